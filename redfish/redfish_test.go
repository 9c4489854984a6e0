package redfish_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/internal/testtree"
	"github.com/redwatch/redwatch/redfish"
	"github.com/redwatch/redwatch/redfish/redfishtest"
)

// serveMockup serves one DMTF mockup sample of the corpus with the service
// root, Chassis collection and chassis around it.
func serveMockup(t *testing.T, sample string) *redfishtest.Server {
	t.Helper()
	return redfishtest.ServeMockup(t, testtree.Corpus(t, "redfish", sample))
}

func client(t *testing.T, srv *redfishtest.Server, o redfish.Options) *redfish.Client {
	t.Helper()
	o.Endpoint = srv.URL
	if o.Username == "" {
		o.Username, o.Password = srv.Username, srv.Password
	}
	c, err := redfish.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestWalkMockups walks each mockup over HTTPS (CA checked, a session
// opened and deleted) and checks the supplies and redundancy sets read.
func TestWalkMockups(t *testing.T) {
	tests := []struct {
		sample     string
		supplies   []string // "chassis name state/health"
		redundancy []string // "name mode min state/health members"
	}{
		{"bladed_MultiBladeEncl_Power.json",
			[]string{"MultiBladeEncl Power Supply 0 Enabled/OK", "MultiBladeEncl Power Supply 1 Enabled/OK"},
			[]string{"Power Supply Redundancy N+m 1 Enabled/OK 2"}},
		{"rackmount1_Power_single_psu.json", []string{"1U Power Supply Bay Enabled/Warning"}, nil},
		{"tower_Power.json",
			[]string{"Tower Power Supply Bay 1 Enabled/Warning", "Tower Power Supply Bay 2 Enabled/OK"},
			[]string{"PowerSupply Redundancy Group 1 N+m 1 Enabled/OK 2"}},
		{"tower_PowerSubsystem",
			[]string{"Tower Power Supply Bay 1 Enabled/Warning", "Tower Power Supply Bay 2 Enabled/OK"},
			[]string{"PowerSupplyRedundancy 0 NPlusM 1 Enabled/OK 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			srv := serveMockup(t, tt.sample)
			c := client(t, srv, redfish.Options{CAPEM: srv.CAPEM})
			f, err := redfish.Walk(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if opened, deleted := srv.Sessions(); opened != 1 || deleted != 1 {
				t.Errorf("sessions opened %d, deleted %d; want 1 and 1", opened, deleted)
			}
			var got []string
			for _, s := range f.Supplies {
				got = append(got, s.Chassis+" "+s.Name+" "+s.Status.State+"/"+s.Status.Health)
			}
			if strings.Join(got, "|") != strings.Join(tt.supplies, "|") {
				t.Errorf("supplies %q, want %q", got, tt.supplies)
			}
			got = nil
			for _, r := range f.Redundancy {
				got = append(got, strings.Join([]string{r.Name, r.Mode, itoa(r.MinNeeded), r.Status.State + "/" + r.Status.Health, itoa(len(r.Members))}, " "))
				for _, m := range r.Members {
					if !hasSupply(f, m) {
						t.Errorf("redundancy member %s is none of the supplies", m)
					}
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.redundancy, "|") {
				t.Errorf("redundancy %q, want %q", got, tt.redundancy)
			}
		})
	}
}

func hasSupply(f redfish.Facts, id string) bool {
	for _, s := range f.Supplies {
		if s.ID == id {
			return true
		}
	}
	return false
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestClientAuth: basic authentication works without a session; a wrong
// password is refused with an error that never holds the password, for
// both kinds of authentication.
func TestClientAuth(t *testing.T) {
	srv := serveMockup(t, "tower_Power.json")
	c := client(t, srv, redfish.Options{CAPEM: srv.CAPEM, Basic: true})
	if _, err := redfish.Walk(context.Background(), c); err != nil {
		t.Fatalf("basic: %v", err)
	}
	_ = c.Close(context.Background())
	if opened, _ := srv.Sessions(); opened != 0 {
		t.Errorf("basic authentication opened %d sessions", opened)
	}
	const wrong = "not-the-Pa55word"
	for _, basic := range []bool{false, true} {
		c := client(t, srv, redfish.Options{CAPEM: srv.CAPEM, Basic: basic, Username: srv.Username, Password: wrong})
		_, err := redfish.Walk(context.Background(), c)
		if err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), srv.Password) {
			t.Errorf("basic=%v: wrong password: error %v, want a 401 without the password", basic, err)
		}
	}
}

// TestClientTLS: the service's certificate must chain to the CA given, or
// have the pinned fingerprint; anything else is refused with a clear error.
func TestClientTLS(t *testing.T) {
	srv := serveMockup(t, "tower_Power.json")
	other := redfishtest.NewCA(t)
	ok := []redfish.Options{
		{CAPEM: srv.CAPEM},
		{Fingerprint: srv.Fingerprint},
		{Fingerprint: "SHA256:" + strings.ToUpper(colons(srv.Fingerprint))},
		{CAPEM: srv.CAPEM, Fingerprint: srv.Fingerprint},
	}
	for _, o := range ok {
		if _, err := redfish.Walk(context.Background(), client(t, srv, o)); err != nil {
			t.Errorf("%+v: %v", o.Fingerprint, err)
		}
	}
	wrongPin := strings.Repeat("ab", 32)
	refused := []struct {
		o    redfish.Options
		want string
	}{
		{redfish.Options{CAPEM: other.PEM}, "certificate signed by unknown authority"},
		{redfish.Options{}, "certificate signed by unknown authority"},
		{redfish.Options{Fingerprint: wrongPin}, "not the pinned " + wrongPin},
		{redfish.Options{CAPEM: other.PEM, Fingerprint: srv.Fingerprint}, "certificate signed by unknown authority"},
	}
	for _, r := range refused {
		_, err := redfish.Walk(context.Background(), client(t, srv, r.o))
		if err == nil || !strings.Contains(err.Error(), r.want) {
			t.Errorf("%+v: error %v, want %q", r.o.Fingerprint, err, r.want)
		}
		if err != nil && strings.Contains(err.Error(), srv.Password) {
			t.Errorf("error holds the password: %v", err)
		}
	}
	if opened, _ := srv.Sessions(); opened != len(ok) {
		t.Errorf("%d sessions opened, want %d: a refused certificate must not get the credentials", opened, len(ok))
	}
}

func colons(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

func TestParseEndpoint(t *testing.T) {
	for _, bad := range []string{"http://bmc", "https://", "https://u:p@bmc", "https://bmc/redfish/v1", "https://bmc?x=1", "bmc"} {
		if _, err := redfish.ParseEndpoint(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, good := range []string{"https://bmc", "https://10.0.0.5:8443", "https://bmc/"} {
		if _, err := redfish.ParseEndpoint(good); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
}

func TestCleanPath(t *testing.T) {
	for _, bad := range []string{"", "/", "/redfish", "/redfish/v10", "/redfish/v1/../../etc/passwd", "/redfish/v1//x",
		"/redfish/v1/Chassis/1?x", "https://evil/redfish/v1", "/redfish/v1/a\x00b", `/redfish/v1/a\b`} {
		if _, err := redfish.CleanPath(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if p, err := redfish.CleanPath("/redfish/v1/Chassis/1/Power#/PowerSupplies/0"); err != nil || p != "/redfish/v1/Chassis/1/Power" {
		t.Errorf("got %q %v", p, err)
	}
}

// mapFetcher serves resources from a map (a walk's input in the fuzz target).
type mapFetcher map[string][]byte

func (m mapFetcher) Fetch(_ context.Context, p string) ([]byte, error) {
	if b, ok := m[p]; ok {
		return b, nil
	}
	return nil, errors.New("no such resource")
}

// FuzzWalk walks a service whose chassis' Power, PowerSubsystem, supplies
// collection and supply resources are the fuzzer's: no input panics, and a
// walk either fails with the resource's path or returns facts.
func FuzzWalk(f *testing.F) {
	for _, s := range []string{"tower_Power.json", "bladed_MultiBladeEncl_Power.json"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "shared", "corpus", "redfish", s)); err == nil {
			f.Add(b, []byte(`{}`), []byte(`{}`))
		}
	}
	sub := filepath.Join("..", "..", "shared", "corpus", "redfish", "tower_PowerSubsystem", "redfish", "v1", "Chassis", "Tower", "PowerSubsystem")
	a, _ := os.ReadFile(filepath.Join(sub, "index.json"))
	b, _ := os.ReadFile(filepath.Join(sub, "PowerSupplies", "index.json"))
	c, _ := os.ReadFile(filepath.Join(sub, "PowerSupplies", "Bay1", "index.json"))
	f.Add(a, b, c)
	f.Add([]byte(`{"PowerSupplies":[{"Status":{"State":"Absent"}}],"Redundancy":[{"MinNumNeeded":-5,"RedundancySet":[{"@odata.id":"/x"}]}]}`), []byte(`[]`), []byte(`null`))
	f.Fuzz(func(t *testing.T, power, supplies, supply []byte) {
		m := mapFetcher{
			"/redfish/v1":                                                 []byte(`{"Chassis":{"@odata.id":"/redfish/v1/Chassis"}}`),
			"/redfish/v1/Chassis":                                         []byte(`{"Members":[{"@odata.id":"/redfish/v1/Chassis/A"},{"@odata.id":"/redfish/v1/Chassis/B"}]}`),
			"/redfish/v1/Chassis/A":                                       []byte(`{"Id":"A","Power":{"@odata.id":"/redfish/v1/Chassis/A/Power"}}`),
			"/redfish/v1/Chassis/B":                                       []byte(`{"Id":"B","PowerSubsystem":{"@odata.id":"/redfish/v1/Chassis/B/PowerSubsystem"}}`),
			"/redfish/v1/Chassis/A/Power":                                 power,
			"/redfish/v1/Chassis/B/PowerSubsystem":                        power,
			"/redfish/v1/Chassis/Tower/PowerSubsystem/PowerSupplies":      supplies,
			"/redfish/v1/Chassis/Tower/PowerSubsystem/PowerSupplies/Bay1": supply,
			"/redfish/v1/Chassis/Tower/PowerSubsystem/PowerSupplies/Bay2": supply,
		}
		facts, err := redfish.Walk(context.Background(), m)
		var re *redfish.ResourceError
		if err != nil && (!errors.As(err, &re) || re.Path == "") {
			t.Fatalf("error %v without a resource path", err)
		}
		if err == nil {
			for _, s := range facts.Supplies {
				if s.Chassis == "" {
					t.Fatalf("supply %+v without a chassis", s)
				}
			}
		}
		_, _ = redfish.ParsePower("X", power)
		_, _ = redfish.ParsePowerSupply("X", supply)
	})
}

// BenchmarkWalkSubsystem walks the PowerSubsystem mockup over HTTPS on
// loopback (session opened, 7 resources, session deleted) per iteration.
func BenchmarkWalkSubsystem(b *testing.B) {
	srv := redfishtest.ServeMockup(b, testtree.Corpus(b, "redfish", "tower_PowerSubsystem"))
	for b.Loop() {
		c, err := redfish.New(redfish.Options{Endpoint: srv.URL, Username: srv.Username, Password: srv.Password, CAPEM: srv.CAPEM})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := redfish.Walk(context.Background(), c); err != nil {
			b.Fatal(err)
		}
		if err := c.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
