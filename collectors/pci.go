package collectors

import "strings"

// Why not github.com/jaypipes/ghw's PCI topology: it enumerates every PCI
// device of the running host and loads the PCI ID database (pcidb); here one
// sysfs link per NIC or disk is resolved lexically inside the tree's root,
// and only the address on its path is needed.

// parsePCIFunction reports whether s is a PCI function address as the kernel
// names it in sysfs ("%04x:%02x:%02x.%d": domain, bus, device, function, e.g.
// "0000:3b:00.1") and returns the slot, the address without ".f"
// ("0000:3b:00"). The domain has four to eight hex digits (Intel VMD domains
// are "10000:"), the device is at most 0x1f and the function at most 7, so
// that other sysfs names ("0000:00", "pci0000:00", "virtio2") never match.
func parsePCIFunction(s string) (slot string, ok bool) {
	// domain:bb:dd.f is len(domain) + 8 bytes.
	dl := len(s) - 8
	if dl < 4 || dl > 8 {
		return "", false
	}
	if !pciIsHex(s[:dl]) || s[dl] != ':' || !pciIsHex(s[dl+1:dl+3]) || s[dl+3] != ':' ||
		!pciIsHex(s[dl+4:dl+6]) || s[dl+6] != '.' {
		return "", false
	}
	if dev := pciHexVal(s[dl+4])<<4 | pciHexVal(s[dl+5]); dev > 0x1f {
		return "", false
	}
	if f := s[dl+7]; f < '0' || f > '7' {
		return "", false
	}
	return s[:dl+6], true
}

// pciFunctionOnPath returns the last component of the slash-separated path p
// that is a PCI function address, and its slot; "" when there is none (a
// virtual device, a platform device). Walking up matters: with virtio the
// device link resolves to .../0000:00:05.0/virtio2, whose PCI function is the
// parent; behind bridges the path holds the root port first and the function
// last (.../0000:3a:00.0/0000:3b:00.1).
func pciFunctionOnPath(p string) (fn, slot string) {
	for p != "" {
		i := strings.LastIndexByte(p, '/')
		c := p[i+1:]
		if s, ok := parsePCIFunction(c); ok {
			return c, s
		}
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return "", ""
}

// pciIsHex reports whether s is non-empty and all hex digits.
func pciIsHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if pciHexVal(s[i]) > 15 {
			return false
		}
	}
	return true
}

// pciHexVal is the value of the hex digit c, 255 when c is not one.
func pciHexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 255
}
