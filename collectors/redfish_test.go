package collectors

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/internal/testtree"
	"github.com/redwatch/redwatch/redfish"
	"github.com/redwatch/redwatch/redfish/redfishtest"
)

func TestRedfishPSU(t *testing.T) {
	v := func(f float64) *float64 { return &f }
	tests := []struct {
		s      redfish.Supply
		state  string
		reason string
	}{
		{redfish.Supply{Name: "PS1", Status: redfish.Status{State: "Enabled", Health: "OK"}}, PSUStateOK, ""},
		{redfish.Supply{Name: "PS2", Status: redfish.Status{State: "Absent"}}, PSUStateAbsent, "bay empty (Redfish Status State Absent, Health not given)"},
		{redfish.Supply{Name: "PS1", Status: redfish.Status{State: "Enabled", Health: "Critical"}}, PSUStateFailed, "failed: Redfish Status State Enabled, Health Critical"},
		{redfish.Supply{Name: "PS1", Status: redfish.Status{State: "Enabled", Health: "Warning"}}, PSUStatePredictiveFailure, "warning: Redfish Status State Enabled, Health Warning"},
		{redfish.Supply{Name: "PS1", Status: redfish.Status{State: "Enabled", Health: "Critical"}, LineInputVoltage: v(0)}, PSUStateInputLost,
			"input lost: LineInputVoltage 0 V (Redfish Status State Enabled, Health Critical)"},
		{redfish.Supply{Name: "PS1", Status: redfish.Status{State: "Enabled", Health: "Warning"}, LineInputStatus: "LossOfInput"}, PSUStateInputLost,
			"input lost: LineInputStatus LossOfInput (Redfish Status State Enabled, Health Warning)"},
		{redfish.Supply{Name: "PS2", Status: redfish.Status{State: "StandbySpare", Health: "OK"}}, PSUStateStandby, "standby spare: Redfish Status State StandbySpare, Health OK"},
		{redfish.Supply{Name: "PS2", Status: redfish.Status{State: "UnavailableOffline", Health: "OK"}}, PSUStateFailed, "not delivering power: Redfish Status State UnavailableOffline, Health OK"},
		{redfish.Supply{Name: "PS2", Status: redfish.Status{State: "Enabled"}}, PSUStateUnknown, "state not known: Redfish Status State Enabled, Health not given"},
		{redfish.Supply{Name: "PS2", Status: redfish.Status{State: "Starting", Health: "OK"}}, PSUStateUnknown, "state not known: Redfish Status State Starting, Health OK"},
	}
	for _, tt := range tests {
		p := RedfishPSU(tt.s)
		if p.State != tt.state || p.Reason != tt.reason || p.Source != PSUSourceRedfish || !p.IsMains() {
			t.Errorf("%+v: got %s %q (%+v), want %s %q", tt.s, p.State, p.Reason, p, tt.state, tt.reason)
		}
		if (p.State == PSUStateAbsent) != (p.Present == 0) {
			t.Errorf("%+v: present %d for state %s", tt.s, p.Present, p.State)
		}
	}
	for in, want := range map[redfish.Supply]string{
		{Label: "PSU 1", Name: "Power Supply Bay 7", MemberID: "0"}: "1",
		{Name: "Power Supply Bay 2", MemberID: "1"}:                 "2",
		{Name: "Power Supply", MemberID: "0"}:                       "0",
	} {
		if got := redfishSlot(in); got != want {
			t.Errorf("slot of %+v = %q, want %q", in, got, want)
		}
	}
}

func TestRedfishRedundancy(t *testing.T) {
	psus := map[string]*PSU{
		"a": {Name: "PS1", State: PSUStateOK}, "b": {Name: "PS2", State: PSUStateOK},
		"x": {Name: "PS3", State: PSUStateAbsent}, "f": {Name: "PS4", State: PSUStateFailed},
		"w": {Name: "PS5", State: PSUStatePredictiveFailure},
	}
	set := func(state, health string, need int, members ...string) redfish.Redundancy {
		return redfish.Redundancy{Name: "R", Mode: "N+m", MinNeeded: need, Members: members, Status: redfish.Status{State: state, Health: health}}
	}
	tests := []struct {
		r     redfish.Redundancy
		state string
		msg   string
	}{
		{set("Enabled", "OK", 1, "a", "b"), RedundancyFull, "Redfish Status State Enabled, Health OK; mode N+m; 2 of 2 supplies usable, 1 needed"},
		{set("Offline", "OK", 1, "a", "b"), RedundancyLost, "Redfish Status State Offline, Health OK; mode N+m; 2 of 2 supplies usable, 1 needed"},
		{set("Disabled", "OK", -1), RedundancyLost, "Redfish Status State Disabled, Health OK; mode N+m"},
		{set("UnavailableOffline", "OK", -1), RedundancyLost, "Redfish Status State UnavailableOffline, Health OK; mode N+m"},
		{set("Enabled", "Warning", -1), RedundancyDegraded, "Redfish Status State Enabled, Health Warning; mode N+m"},
		{set("Enabled", "Critical", -1), RedundancyLost, "Redfish Status State Enabled, Health Critical; mode N+m"},
		// An Absent bay counts against MinNumNeeded whatever Status says.
		{set("Enabled", "OK", 1, "a", "x"), RedundancyLost, "Redfish Status State Enabled, Health OK; mode N+m; 1 of 2 supplies usable, 1 needed; not usable: PS3 absent"},
		{set("Enabled", "OK", 2, "a", "x", "f"), RedundancyNonRedundantInsufficient,
			"Redfish Status State Enabled, Health OK; mode N+m; 1 of 3 supplies usable, 2 needed; not usable: PS3 absent, PS4 failed"},
		{set("Enabled", "OK", 1, "a", "w"), RedundancyFull, "Redfish Status State Enabled, Health OK; mode N+m; 2 of 2 supplies usable, 1 needed"},
		{set("", "", -1), RedundancyUnknown, "Redfish Status State not given, Health not given; mode N+m"},
	}
	for _, tt := range tests {
		pr := RedfishRedundancy(tt.r, psus)
		if pr.State != tt.state || pr.Message != tt.msg || pr.Source != PSUSourceRedfish {
			t.Errorf("%+v:\n got %s %q\nwant %s %q", tt.r, pr.State, pr.Message, tt.state, tt.msg)
		}
	}
}

// TestRedfishTree reads the captured fixture trees (T/redfish/<path>.json).
func TestRedfishTree(t *testing.T) {
	tests := map[string]struct {
		psus []string // "name slot state"
		red  []string // "name state min"
	}{
		"psu_redfish_redundancy_offline": {[]string{"PS1 1 ok", "PS2 2 ok"}, []string{"PSU Redundancy lost 1"}},
		"psu_redfish_bay_absent": {[]string{"Power Supply Bay 1 1 ok", "Power Supply Bay 2 2 absent"},
			[]string{"PowerSupplyRedundancy 0 lost 1"}},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			rec := hostfs.StartRecording()
			part, err := RedfishSource(nil).Collect(context.Background(), TreeRoots(filepath.Join("..", "testdata", name)))
			rec.Stop()
			if err != nil || len(part.Errors) > 0 {
				t.Fatalf("%v %v", err, part.Errors)
			}
			var s Snapshot
			part.Set(&s)
			var got []string
			for _, p := range s.PSUs {
				got = append(got, p.Name+" "+p.Slot+" "+p.State)
			}
			if strings.Join(got, "|") != strings.Join(want.psus, "|") {
				t.Errorf("supplies %q, want %q", got, want.psus)
			}
			got = nil
			for _, r := range s.PowerRedundancy {
				got = append(got, r.Name+" "+r.State+" "+strconv.Itoa(r.MinNeeded))
			}
			if strings.Join(got, "|") != strings.Join(want.red, "|") {
				t.Errorf("redundancy %q, want %q", got, want.red)
			}
			// A capture of the tree keeps every resource read, at its place.
			for _, o := range rec.Outputs() {
				if !strings.HasPrefix(o.Name, "redfish/redfish/v1") || !strings.HasSuffix(o.Name, ".json") {
					t.Errorf("recorded output %s", o.Name)
				}
			}
			if len(rec.Outputs()) < 4 {
				t.Errorf("%d resources recorded", len(rec.Outputs()))
			}
		})
	}
	// No T/redfish: no supply, no error.
	part, err := RedfishSource(nil).Collect(context.Background(), TreeRoots(filepath.Join("..", "testdata", "psu_two_healthy")))
	if err != nil || len(part.Errors) > 0 || part.Set != nil {
		t.Errorf("tree without redfish/: %+v %v", part, err)
	}
}

// liveReader returns a reader of srv with a 0600 password file and its CA.
func liveReader(t *testing.T, srv *redfishtest.Server, password string, clk clock.Clock) *RedfishReader {
	t.Helper()
	pw, ca := srv.Files(t, password)
	return NewRedfishReader(RedfishOptions{Endpoint: srv.URL, Username: srv.Username, PasswordFile: pw, CAFile: ca}, clk)
}

// TestRedfishReaderCache: the first pass reads the service; the next passes
// within the interval reuse the read (no request); a pass after it starts
// one refresh in the background and still answers from the cache.
func TestRedfishReaderCache(t *testing.T) {
	srv := redfishtest.ServeMockup(t, testtree.Corpus(t, "redfish", "tower_Power.json"))
	clk := clock.NewFake(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	rd := liveReader(t, srv, srv.Password, clk)
	src := RedfishSource(rd)
	collect := func() Snapshot {
		t.Helper()
		part, err := src.Collect(context.Background(), HostRoots())
		if err != nil || len(part.Errors) > 0 {
			t.Fatalf("%v %v", err, part.Errors)
		}
		var s Snapshot
		part.Set(&s)
		return s
	}
	if s := collect(); len(s.PSUs) != 2 || len(s.PowerRedundancy) != 1 {
		t.Fatalf("first pass: %+v", s)
	}
	if opened, deleted := srv.Sessions(); opened != 1 || deleted != 1 {
		t.Fatalf("first pass: %d sessions opened, %d deleted", opened, deleted)
	}
	clk.Add(DefaultRedfishInterval - time.Second)
	collect()
	if opened, _ := srv.Sessions(); opened != 1 {
		t.Fatalf("a pass within the interval read the service (%d sessions)", opened)
	}
	clk.Add(time.Second)
	if s := collect(); len(s.PSUs) != 2 {
		t.Fatalf("pass after the interval: %+v", s)
	}
	for i := 0; ; i++ { // the refresh runs in the background: wait for it to finish
		rd.cache.mu.Lock()
		running := rd.cache.running
		rd.cache.mu.Unlock()
		if opened, deleted := srv.Sessions(); !running && opened == 2 && deleted == 2 {
			break
		}
		if i > 5000 {
			t.Fatal("no background refresh")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRedfishReaderFails: a wrong password and an unreachable service are
// errors of the redfish source (UNKNOWN for it), naming the endpoint and
// never the password; no supply is claimed.
func TestRedfishReaderFails(t *testing.T) {
	srv := redfishtest.ServeMockup(t, testtree.Corpus(t, "redfish", "tower_Power.json"))
	const wrong = "wr0ng-Secret"
	down := redfishtest.Start(t, redfishtest.Resources{})
	downURL := down.URL
	down.Close()
	for name, rd := range map[string]*RedfishReader{
		"wrong password": liveReader(t, srv, wrong, nil),
		"unreachable":    NewRedfishReader(RedfishOptions{Endpoint: downURL, Username: "u", PasswordFile: liveReader(t, srv, wrong, nil).opts.PasswordFile, Fingerprint: srv.Fingerprint, Timeout: 5 * time.Second}, nil),
	} {
		part, err := RedfishSource(rd).Collect(context.Background(), HostRoots())
		if err != nil {
			t.Fatal(err)
		}
		var s Snapshot
		part.Set(&s)
		if len(part.Errors) != 1 || len(s.PSUs) != 0 {
			t.Fatalf("%s: errors %v, supplies %+v", name, part.Errors, s.PSUs)
		}
		e := part.Errors[0]
		if e.Collector != RedfishCollector || e.Path != rd.opts.Endpoint || strings.Contains(e.Error(), wrong) {
			t.Errorf("%s: error %q", name, e.Error())
		}
		t.Logf("%s: %v", name, e)
	}
}
