package collectors

import "github.com/redwatch/redwatch/bonding"

// collectBonds reads every bond from /proc/net/bonding and sysfs. (stub: being written)
func collectBonds(r Roots) ([]bonding.Bond, []Error) { return nil, nil }
