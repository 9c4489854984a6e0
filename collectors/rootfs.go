package collectors

// collectRootFS resolves the block stack under "/". (stub: being written)
func collectRootFS(r Roots) (*RootFS, []Error) { return nil, nil }
