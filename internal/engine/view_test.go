package engine

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/rules"
)

func TestViewIsTheAuditContract(t *testing.T) {
	started := time.Date(2026, 11, 27, 6, 0, 0, 0, time.FixedZone("x", 3600))
	p := &Pass{
		Snapshot: &collectors.Snapshot{Host: "db-17"},
		Result:   rules.Result{Status: rules.StatusWarning, Groups: []rules.Group{{Kind: "bond", Name: "bond0"}}},
		Started:  started,
	}
	b, err := json.Marshal(p.View(false))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"status":"warning","findings":[],"groups":[{"kind":"bond","name":"bond0","needed":0,"healthy":0,"total":0,"members":[]}],"errors":[]}`
	if string(b) != want {
		t.Errorf("audit view\n got %s\nwant %s", b, want)
	}
	if p.Result.Groups[0].Members != nil {
		t.Error("View wrote into the pass")
	}
	b, err = json.Marshal(p.View(true))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"time":"2026-11-27T05:00:00Z","host":"db-17","status":"warning",`) {
		t.Errorf("health view = %s", b)
	}
}
