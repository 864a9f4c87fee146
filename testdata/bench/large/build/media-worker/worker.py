print("media worker")
