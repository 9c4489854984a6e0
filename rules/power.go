package rules

import "github.com/redwatch/redwatch/collectors"

// powerRules are the power-supply rules. (being written)
var powerRules = []Rule{}

// powerGroups maps the snapshot's power supplies into groups. (being written)
func powerGroups(s *collectors.Snapshot) []Group { return nil }
