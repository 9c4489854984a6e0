package bonding

import (
	"errors"
	"slices"
	"testing"
)

func TestParseMasters(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][]string{
		"bond0 bond1 bond2\n": {"bond0", "bond1", "bond2"},
		"bond0 dmz int\n":     {"bond0", "dmz", "int"},
		"":                    nil,
		"\n":                  nil,
		"bond0  bond0\tb1\n":  {"bond0", "b1"},
		"../etc bond0 a/b . .. x:1 averyveryverylongname": {"bond0"},
	} {
		if got := ParseMasters([]byte(in)); !slices.Equal(got, want) {
			t.Errorf("ParseMasters(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseSysMode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"balance-rr 0\n": ModeRoundRobin, "active-backup 1\n": ModeActiveBackup, "balance-xor 2\n": ModeXOR,
		"broadcast 3\n": ModeBroadcast, "802.3ad 4\n": Mode8023AD, "balance-tlb 5\n": ModeTLB, "balance-alb 6\n": ModeALB,
		"active-backup": ModeActiveBackup,
	} {
		if got, err := ParseSysMode([]byte(in)); got != want || err != nil {
			t.Errorf("ParseSysMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "\n", "active-backup 4\n", "quantum 7\n", "802.3ad 4 x\n", "4\n"} {
		if got, err := ParseSysMode([]byte(in)); err == nil || got != "" || !errors.Is(err, errBadValue) {
			t.Errorf("ParseSysMode(%q) = %q, %v; want an error", in, got, err)
		}
	}
}

func TestParseSysInt(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"100\n": 100, "0": 0, "": Unknown, "\n": Unknown, "N/A\n": Unknown, "2147483647": 1<<31 - 1} {
		if got, err := ParseSysInt([]byte(in)); got != want || err != nil {
			t.Errorf("ParseSysInt(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"-1", "abc", "1 2", "2147483648", "+5", "0x10"} {
		if got, err := ParseSysInt([]byte(in)); err == nil || got != Unknown {
			t.Errorf("ParseSysInt(%q) = %d, %v; want an error", in, got, err)
		}
	}
}

func TestParseSysOption(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"fast 1\n": "fast", "layer2+3 2\n": "layer2+3", "stable 0": "stable", "always": "always", "": ""} {
		if got, err := ParseSysOption([]byte(in)); got != want || err != nil {
			t.Errorf("ParseSysOption(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"fast one", "a 1 2"} {
		if got, err := ParseSysOption([]byte(in)); err == nil || got != "" {
			t.Errorf("ParseSysOption(%q) = %q, %v; want an error", in, got, err)
		}
	}
}

func TestParseSysValues(t *testing.T) {
	t.Parallel()
	if got := ParseSysText([]byte(" going down\n")); got != "going down" {
		t.Errorf("ParseSysText = %q", got)
	}
	if got := ParseSysList([]byte("eth0 eth1\n")); !slices.Equal(got, []string{"eth0", "eth1"}) {
		t.Errorf("ParseSysList = %q", got)
	}
	if got := ParseSysList([]byte("\n")); got != nil {
		t.Errorf("ParseSysList(empty) = %q, want nil", got)
	}
	for in, want := range map[string]int{"10000\n": 10000, "-1\n": Unknown, "65535": Unknown, "4294967295": Unknown, "": Unknown, "x": Unknown, "0": 0} {
		if got := ParseSysSpeed([]byte(in)); got != want {
			t.Errorf("ParseSysSpeed(%q) = %d, want %d", in, got, want)
		}
	}
	for in, want := range map[string]string{"full\n": "full", "half": "half", "unknown\n": "", "": ""} {
		if got := ParseSysDuplex([]byte(in)); got != want {
			t.Errorf("ParseSysDuplex(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{"bond0": true, "dmz": true, "123456789012345": true, "1234567890123456": false,
		"": false, ".": false, "..": false, "a/b": false, "a b": false, "a:1": false, "a\x00": false, "...": true} {
		if got := ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}
