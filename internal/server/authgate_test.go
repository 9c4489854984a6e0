package server

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestFailedAuthCostBounded: a client trying passwords gets 401 for the
// first AuthCheckBurst attempts (the clock does not move, so the bucket does
// not refill) and then 429 without a bcrypt comparison, while the
// credentials Prometheus already used keep working and a request without
// credentials still gets 401.
func TestFailedAuthCostBounded(t *testing.T) {
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, []byte("basic_auth_users:\n  prometheus: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, degraded(t), passTime)
	addr := serve(t, s, webConfig)
	client := &http.Client{Timeout: 10 * time.Second}
	do := func(user, pass string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		readAll(t, resp.Body)
		return resp.StatusCode
	}
	if code := do("prometheus", "s3cret"); code != http.StatusOK {
		t.Fatalf("right password: %d", code)
	}
	counts := map[int]int{}
	for i := range 3 * AuthCheckBurst {
		counts[do("prometheus", "guess"+string(rune('a'+i)))]++
	}
	if counts[http.StatusUnauthorized] != AuthCheckBurst-1 || counts[http.StatusTooManyRequests] != 2*AuthCheckBurst+1 {
		t.Errorf("%d wrong passwords: %v, want %d x 401 then 429", 3*AuthCheckBurst, counts, AuthCheckBurst-1)
	}
	if code := do("prometheus", "s3cret"); code != http.StatusOK {
		t.Errorf("Prometheus's credentials during the brute force: %d, want 200", code)
	}
	if code := do("", ""); code != http.StatusUnauthorized {
		t.Errorf("no credentials: %d, want 401", code)
	}
}
