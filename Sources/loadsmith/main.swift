print("loadsmith")
