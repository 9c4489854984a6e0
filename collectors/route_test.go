package collectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// routeHeader is the header line of /proc/net/route as Linux 6.1 prints it (padded).
const routeHeader = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n"

func TestParseRoutes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []Route
		wantErr string
	}{
		{name: "default via bond2 (kernel 6.1 capture)", in: routeHeader +
			"bond2\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0                                                                              \n" +
			"bond2\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                              \n",
			want: []Route{{Iface: "bond2", Gateway: "192.0.2.1", Metric: 0}}},
		{name: "two defaults with metrics", in: routeHeader +
			"eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" +
			"eth1\t00000000\t0101A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\n",
			want: []Route{{Iface: "eth0", Gateway: "10.0.0.1", Metric: 100}, {Iface: "eth1", Gateway: "192.168.1.1", Metric: 200}}},
		{name: "default without gateway (point-to-point)", in: routeHeader +
			"wg0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n",
			want: []Route{{Iface: "wg0", Gateway: "0.0.0.0"}}},
		{name: "not up, or not a default", in: routeHeader +
			"eth0\t00000000\t0100000A\t0002\t0\t0\t0\t00000000\t0\t0\t0\n" +
			"eth0\t00000000\t0100000A\t0003\t0\t0\t0\t000000FF\t0\t0\t0\n" +
			"eth0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n"},
		{name: "header only", in: routeHeader},
		{name: "blank lines", in: routeHeader + "\n\neth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\n",
			want: []Route{{Iface: "eth0", Gateway: "10.0.0.1"}}},
		{name: "columns found by name", in: "Iface Mask Destination Gateway Metric Flags\neth0 00000000 00000000 0100000A 5 0003\n",
			want: []Route{{Iface: "eth0", Gateway: "10.0.0.1", Metric: 5}}},
		{name: "empty", in: "", wantErr: "empty file"},
		{name: "no header", in: "eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", wantErr: "want columns"},
		{name: "duplicate column", in: "Iface Iface Destination Gateway Flags Metric Mask\n", wantErr: "twice"},
		{name: "short line", in: routeHeader + "eth0\t00000000\t0100000A\n", wantErr: "line 2: 3 fields"},
		{name: "bad gateway", in: routeHeader + "eth0\t00000000\tZZ00000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", wantErr: "gateway"},
		{name: "short destination", in: routeHeader + "eth0\t0\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", wantErr: "destination"},
		{name: "bad mask", in: routeHeader + "eth0\t00000000\t0100000A\t0003\t0\t0\t0\t-0000000\t0\t0\t0\n", wantErr: "mask"},
		{name: "bad flags", in: routeHeader + "eth0\t00000000\t0100000A\tup\t0\t0\t0\t00000000\t0\t0\t0\n", wantErr: "flags"},
		{name: "bad metric", in: routeHeader + "eth0\t00000000\t0100000A\t0003\t0\t0\tx\t00000000\t0\t0\t0\n", wantErr: "metric"},
		{name: "garbage after a good default", in: routeHeader +
			"eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" + "banana\n", wantErr: "line 3"},
		{name: "line too long", in: routeHeader + strings.Repeat("x", maxRouteLine+1) + "\n", wantErr: "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRoutes([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.HasPrefix(err.Error(), "collectors: ") {
					t.Fatalf("parseRoutes() error = %v, want one containing %q", err, tt.wantErr)
				}
				if got != nil {
					t.Errorf("parseRoutes() = %v with an error, want nil", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseRoutes() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseRoutes (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseRoutes(f *testing.F) {
	f.Add([]byte(routeHeader + "bond2\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"))
	f.Add([]byte(routeHeader + "eth0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n"))
	f.Add([]byte("Iface Mask Destination Gateway Metric Flags\neth0 00000000 00000000 0100000A 5 0003\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		routes, err := parseRoutes(data)
		if err != nil && routes != nil {
			t.Fatalf("parseRoutes returned routes %v with error %v", routes, err)
		}
		for _, r := range routes {
			if r.Iface == "" || strings.ContainsAny(r.Iface, " \t\n") {
				t.Fatalf("route with bad iface %q", r.Iface)
			}
			if strings.Count(r.Gateway, ".") != 3 {
				t.Fatalf("route with bad gateway %q", r.Gateway)
			}
		}
	})
}

func TestCollectRoutesFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		root    string
		want    []Route
		wantErr string
	}{
		{root: "testdata/net_dual_port_bond", want: []Route{{Iface: "bond0", Gateway: "192.168.2.1"}}},
		{root: "testdata/net_two_cards", want: []Route{{Iface: "eth2", Gateway: "10.0.0.1", Metric: 100}, {Iface: "eth2", Gateway: "10.0.0.2", Metric: 200}}},
		{root: "testdata/net_down_virtual"}, // no /proc/net/route: no routes, no error
		{root: "testdata/net_garbage", wantErr: "gateway"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.root), func(t *testing.T) {
			got, errs := collectRoutes(TreeRoots(tt.root))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("routes (-want +got):\n%s", diff)
			}
			if tt.wantErr == "" {
				if len(errs) != 0 {
					t.Errorf("errors = %v, want none", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Collector != "route" || errs[0].Path != filepath.Join(tt.root, "proc/net/route") || !strings.Contains(errs[0].Reason(), tt.wantErr) {
				t.Errorf("errors = %+v, want one route error on proc/net/route containing %q", errs, tt.wantErr)
			}
		})
	}
}

func TestCollectRoutesUnreadable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A directory where the file should be: it exists, but cannot be read as a route table.
	if err := os.MkdirAll(filepath.Join(dir, "proc/net/route"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, errs := collectRoutes(TreeRoots(dir))
	if got != nil || len(errs) != 1 || errs[0].Collector != "route" {
		t.Errorf("collectRoutes() = %v, %v; want no routes and one error", got, errs)
	}
}

func TestCollectRoutesCorpus(t *testing.T) {
	t.Parallel()
	for _, tree := range []string{"kernel61_healthy", "kernel61_faults", "kernel61_recovering"} {
		t.Run(tree, func(t *testing.T) {
			got, errs := collectRoutes(TreeRoots(labTree(t, tree)))
			if len(errs) != 0 {
				t.Fatalf("errors = %v", errs)
			}
			want := []Route{{Iface: "bond2", Gateway: "192.0.2.1", Metric: 0}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("routes (-want +got):\n%s", diff)
			}
		})
	}
}
