package rules

import "strings"

// Remediations name the real group and member: a built-in rule's
// remediation may hold the placeholders {group}, {member} and {disk}, filled from
// the finding's subject ("md0/sdb1": group md0, member sdb1), so that a
// finding says `mdadm /dev/md0 --add /dev/sdb1`, not /dev/mdX and /dev/sdY.
// A finding about a whole group has no member: {member} is then the
// finding's "member" fact, or NEW_DISK (the disk the operator brings).
const (
	phGroup  = "{group}"
	phMember = "{member}"
	// phDisk is a disk finding's "disk" fact (disk_* rules).
	phDisk = "{disk}"
	// unknownMember stands for a member the finding cannot name.
	unknownMember = "NEW_DISK"
)

// fillNames fills a remediation's placeholders from finding f.
func fillNames(remediation string, f Finding) string {
	if !strings.Contains(remediation, "{") {
		return remediation
	}
	group, member, _ := strings.Cut(f.Subject, "/")
	if member == "" {
		member = f.Facts["member"]
	}
	if member == "" {
		member = unknownMember
	}
	return strings.NewReplacer(phGroup, group, phMember, member, phDisk, f.Facts["disk"]).Replace(remediation)
}
