package collectors

import (
	"strings"
	"testing"
)

func TestParsePCIFunction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		slot string
		ok   bool
	}{
		{"0000:00:05.0", "0000:00:05", true},
		{"0000:3b:00.1", "0000:3b:00", true},
		{"0000:AF:1f.7", "0000:AF:1f", true},
		{"10000:e1:00.0", "10000:e1:00", true}, // Intel VMD domain
		{"ffffffff:00:00.0", "ffffffff:00:00", true},
		{"0000:00:20.0", "", false}, // device > 0x1f
		{"0000:00:05.8", "", false}, // function > 7
		{"000:00:05.0", "", false},  // short domain
		{"123456789:00:05.0", "", false},
		{"0000:0g:05.0", "", false},
		{"0000-00:05.0", "", false},
		{"0000:00:05:0", "", false},
		{"pci0000:00", "", false},
		{"virtio2", "", false},
		{"0000:00", "", false},
		{"", "", false},
		{"0000:00:05.0 ", "", false},
	}
	for _, tt := range tests {
		slot, ok := parsePCIFunction(tt.in)
		if slot != tt.slot || ok != tt.ok {
			t.Errorf("parsePCIFunction(%q) = %q, %v; want %q, %v", tt.in, slot, ok, tt.slot, tt.ok)
		}
	}
}

func TestPCIFunctionOnPath(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, fn, slot string }{
		// virtio: the PCI function is the parent of virtioN.
		{"/devices/pci0000:00/0000:00:05.0/virtio2", "0000:00:05.0", "0000:00:05"},
		// behind a root port: the last address is the function.
		{"/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.1", "0000:3b:00.1", "0000:3b:00"},
		// USB NIC: the last PCI address is the USB host controller.
		{"/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0", "0000:00:14.0", "0000:00:14"},
		{"0000:00:07.1", "0000:00:07.1", "0000:00:07"},
		{"/devices/virtual/net/bond0", "", ""},
		{"/devices/platform/soc/ff540000.ethernet", "", ""},
		{"", "", ""},
		{"/", "", ""},
	}
	for _, tt := range tests {
		fn, slot := pciFunctionOnPath(tt.in)
		if fn != tt.fn || slot != tt.slot {
			t.Errorf("pciFunctionOnPath(%q) = %q, %q; want %q, %q", tt.in, fn, slot, tt.fn, tt.slot)
		}
	}
}

func FuzzParsePCIFunction(f *testing.F) {
	for _, s := range []string{"0000:00:05.0", "10000:e1:00.0", "0000:00:20.0", "pci0000:00", "", "/devices/pci0000:00/0000:00:05.0/virtio2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slot, ok := parsePCIFunction(s)
		if ok != (slot != "") {
			t.Fatalf("parsePCIFunction(%q) = %q, %v", s, slot, ok)
		}
		if ok && (!strings.HasPrefix(s, slot) || s[len(slot):len(slot)+1] != "." || len(s) != len(slot)+2) {
			t.Fatalf("parsePCIFunction(%q): slot %q is not the address without .f", s, slot)
		}
		fn, fslot := pciFunctionOnPath(s)
		if fn != "" {
			if sl, ok := parsePCIFunction(fn); !ok || sl != fslot {
				t.Fatalf("pciFunctionOnPath(%q) = %q, %q: not a PCI function and its slot", s, fn, fslot)
			}
			if !strings.HasSuffix(s, fn) && !strings.Contains(s, fn+"/") {
				t.Fatalf("pciFunctionOnPath(%q) = %q: not a component of the path", s, fn)
			}
		} else if fslot != "" {
			t.Fatalf("pciFunctionOnPath(%q): slot %q without function", s, fslot)
		}
	})
}
