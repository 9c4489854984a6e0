package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/testtree"
	"github.com/redwatch/redwatch/redfish/redfishtest"
)

// TestRedfishFromConfig: power.redfish makes the engine read the BMC's
// Redfish service on a live host, once per interval (the next pass reuses
// the read), and a reload that changes the settings reads afresh.
func TestRedfishFromConfig(t *testing.T) {
	srv := redfishtest.ServeMockup(t, testtree.Corpus(t, "redfish", "tower_Power.json"))
	pw, ca := srv.Files(t, srv.Password)
	// A live host with nothing under its roots: only the BMC has facts.
	roots := collectors.TreeRoots(testtree.Bare(t))
	roots.Live = true
	cfgText := fmt.Sprintf("power:\n  redfish:\n    endpoint: %s\n    username: %s\n    password_file: %s\n    ca_file: %s\n",
		srv.URL, srv.Username, pw, ca)
	clk := clock.NewFake(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	e := &Engine{Roots: roots, Clock: clk, Config: mustConfig(t, cfgText)}
	redfishPSUs := func(p *Pass) int {
		n := 0
		for _, s := range p.Snapshot.PSUs {
			if s.Source == collectors.PSUSourceRedfish {
				n++
			}
		}
		return n
	}
	if p := e.Run(context.Background()); redfishPSUs(p) != 2 {
		t.Fatalf("first pass: %d Redfish supplies, errors %v", redfishPSUs(p), p.Snapshot.Errors)
	}
	clk.Add(10 * time.Second)
	if p := e.Run(context.Background()); redfishPSUs(p) != 2 {
		t.Fatalf("second pass: %d Redfish supplies", redfishPSUs(p))
	}
	if opened, _ := srv.Sessions(); opened != 1 {
		t.Errorf("%d sessions after two passes within the interval, want 1", opened)
	}
	e.SetConfig(mustConfig(t, cfgText+"    auth: basic\n"))
	if p := e.Run(context.Background()); redfishPSUs(p) != 2 {
		t.Fatalf("after the reload: %d Redfish supplies", redfishPSUs(p))
	}
	e.SetConfig(mustConfig(t, ""))
	if p := e.Run(context.Background()); redfishPSUs(p) != 0 {
		t.Errorf("without power.redfish: %d Redfish supplies", redfishPSUs(p))
	}
	if opened, deleted := srv.Sessions(); opened != 1 || deleted != 1 {
		t.Errorf("sessions opened %d, deleted %d; want 1 and 1 (basic auth opens none)", opened, deleted)
	}
}
