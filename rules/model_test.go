package rules

import (
	"encoding/json"
	"testing"
)

// TestResultNonNil makes every list [] in JSON without writing into the
// result it was given (a scrape may be reading it).
func TestResultNonNil(t *testing.T) {
	r := Result{Status: StatusOK, Groups: []Group{{Kind: KindBond, Name: "bond0"}}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"status":"ok","findings":[],"groups":[{"kind":"bond","name":"bond0","needed":0,"healthy":0,"total":0,"members":[]}],"errors":[]}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	if r.Groups[0].Members != nil {
		t.Error("NonNil wrote into the caller's groups")
	}
}
