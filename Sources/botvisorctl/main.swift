print("botvisorctl")
