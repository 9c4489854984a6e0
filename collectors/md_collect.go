package collectors

// collectMD reads the md arrays. (stub: being written)
func collectMD(r Roots) ([]MDArray, []Error) { return nil, nil }
