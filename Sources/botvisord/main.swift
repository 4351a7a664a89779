print("botvisord")
