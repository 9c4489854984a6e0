package server

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestConnectionCap(t *testing.T) {
	for _, c := range []struct {
		want    int
		nofile  uint64
		limit   int
		lowered bool
		err     string
	}{
		{0, 8192, DefaultMaxConnections, false, ""},
		{0, 1024, DefaultMaxConnections, false, ""}, // the unit's LimitNOFILE
		{100, 1024, 100, false, ""},
		{2000, 1024, 1024 - FDReserve, true, ""},
		{0, 256, 256 - FDReserve, true, ""},
		{0, FDReserve, 0, false, "leaves no descriptor"},
		{-1, 1024, 0, false, "must not be negative"},
	} {
		limit, lowered, err := ConnectionCap(c.want, c.nofile)
		if limit != c.limit || lowered != c.lowered || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("ConnectionCap(%d, %d) = %d, %v, %v; want %d, %v, %q", c.want, c.nofile, limit, lowered, err, c.limit, c.lowered, c.err)
		}
	}
}

// TestUnitLimitsAgree reads the shipped unit: its LimitNOFILE leaves room
// for the default connection cap and the descriptor reserve, and its
// MemoryMax holds the base budget plus the cap's connections.
func TestUnitLimitsAgree(t *testing.T) {
	unit, err := os.ReadFile(filepath.Join("..", "..", "packaging", "redwatch.service"))
	if err != nil {
		t.Fatal(err)
	}
	value := func(key string) string {
		m := regexp.MustCompile(`(?m)^` + key + `=(\S+)$`).FindStringSubmatch(string(unit))
		if m == nil {
			t.Fatalf("unit has no %s=", key)
		}
		return m[1]
	}
	nofile, err := strconv.ParseUint(value("LimitNOFILE"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	limit, lowered, err := ConnectionCap(0, nofile)
	if err != nil || lowered || limit != DefaultMaxConnections {
		t.Errorf("LimitNOFILE=%d lowers the default cap %d to %d (%v)", nofile, DefaultMaxConnections, limit, err)
	}
	mem := value("MemoryMax")
	mib, err := strconv.ParseUint(strings.TrimSuffix(mem, "M"), 10, 64)
	if err != nil || !strings.HasSuffix(mem, "M") {
		t.Fatalf("MemoryMax=%s: want a value in M", mem)
	}
	if need := uint64(BaseMemory+DefaultMaxConnections*ConnMemory) >> 20; mib < need {
		t.Errorf("MemoryMax=%s is below the %d MiB that %d connections and the rest need", mem, need, DefaultMaxConnections)
	}
}
