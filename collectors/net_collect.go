package collectors

// collectNICs reads /sys/class/net. (stub: being written)
func collectNICs(r Roots) ([]NIC, []Error) { return nil, nil }

// collectRoutes reads the default routes from /proc/net/route. (stub: being written)
func collectRoutes(r Roots) ([]Route, []Error) { return nil, nil }
