print("botvisor-worker")
