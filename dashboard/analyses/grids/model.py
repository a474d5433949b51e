PARAMS = []
