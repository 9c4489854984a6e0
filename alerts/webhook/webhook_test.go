package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/internal/secret"
	"github.com/redwatch/redwatch/rules"
)

func note() *notify.Notification {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return &notify.Notification{
		ID: "0123456789abcdef0123456789abcdef", Fingerprint: "fedcba9876543210", Status: notify.Firing,
		Host: "db7", Rule: "bond-slave-down", Severity: rules.Critical, Subject: "bond0/eth1",
		Message: "bond0 lost eth1", Remediation: "check the cable", Group: "bond bond0",
		Members:  []notify.Member{{Name: "eth0", State: "up"}, {Name: "eth1", State: "down"}},
		StartsAt: t0, CreatedAt: t0, ExternalURL: "http://db7:9258/",
	}
}

// TestReceiverVerifies is a receiver written the way the package doc says:
// it checks the schema strictly, verifies the HMAC over the raw body with
// only the standard library, and checks the bearer token and custom header.
func TestReceiverVerifies(t *testing.T) {
	const key, token = "hmac-key-XYZ", "tok-123-abc"
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	type seen struct {
		raw []byte
		hdr http.Header
		msg map[string]any
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write(body)
		if !hmac.Equal([]byte(r.Header.Get("X-Redwatch-Signature")), []byte("sha256="+hex.EncodeToString(mac.Sum(nil)))) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got <- seen{body, r.Header.Clone(), m}
	}))
	defer srv.Close()

	w, err := New("ops", Config{URL: srv.URL + "/hook?x=1", HMACSecret: secret.String(key), BearerTokenFile: tokenFile,
		Headers: map[string]secret.String{"X-Team": "storage"}})
	if err != nil {
		t.Fatal(err)
	}
	n := note()
	if err := w.Notify(context.Background(), notify.Single(*n)); err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.hdr.Get("Authorization") != "Bearer "+token || s.hdr.Get("X-Team") != "storage" ||
		s.hdr.Get(HeaderNotificationID) != n.ID || s.hdr.Get(HeaderFingerprint) != n.Fingerprint ||
		s.hdr.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", s.hdr)
	}
	// Schema: every Alertmanager v4 field, with these values.
	for _, k := range []string{"version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels",
		"commonLabels", "commonAnnotations", "externalURL", "alerts"} {
		if _, ok := s.msg[k]; !ok {
			t.Errorf("payload lacks %q", k)
		}
	}
	if s.msg["version"] != "4" || s.msg["status"] != "firing" || s.msg["receiver"] != "ops" || s.msg["externalURL"] != n.ExternalURL {
		t.Errorf("payload %v", s.msg)
	}
	as := s.msg["alerts"].([]any)
	a := as[0].(map[string]any)
	for _, k := range []string{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"} {
		if _, ok := a[k]; !ok {
			t.Errorf("alert lacks %q", k)
		}
	}
	labels := a["labels"].(map[string]any)
	ann := a["annotations"].(map[string]any)
	if labels["alertname"] != n.Rule || labels["severity"] != "critical" || labels["instance"] != "db7" || labels["subject"] != n.Subject {
		t.Errorf("labels %v", labels)
	}
	if ann["notification_id"] != n.ID || ann["remediation"] != n.Remediation || !strings.Contains(ann["description"].(string), "eth1=down") {
		t.Errorf("annotations %v", ann)
	}
	if a["fingerprint"] != n.Fingerprint || a["startsAt"] != "2026-03-04T05:06:07Z" || a["endsAt"] != "0001-01-01T00:00:00Z" {
		t.Errorf("alert %v", a)
	}
	if !Verify([]byte(key), s.raw, s.hdr.Get(HeaderSignature)) || Verify([]byte("other"), s.raw, s.hdr.Get(HeaderSignature)) {
		t.Error("Verify disagrees with the receiver")
	}
}

// TestGroupMessage renders a group of two firing alerts and one resolved as
// one Alertmanager v4 message: groupLabels are the group_by labels,
// commonLabels what all three share, alerts[] each alert with its own status,
// and the headers carry the group's ID and every fingerprint.
func TestGroupMessage(t *testing.T) {
	got := make(chan *http.Request, 1)
	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer srv.Close()
	w, err := New("ops", Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := *note(), *note(), *note()
	b.ID, b.Fingerprint, b.Subject, b.Severity = "11", "f2", "bond0/eth0", rules.Warning
	c.ID, c.Fingerprint, c.Rule, c.Subject, c.Status, c.EndsAt = "22", "f3", "md-degraded", "md0", notify.Resolved, c.StartsAt.Add(time.Hour)
	g := notify.NewGroup(map[string]string{"instance": "db7"}, []notify.Notification{a, b, c})
	if err := w.Notify(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	r, body := <-got, <-bodies
	if r.Header.Get(HeaderNotificationID) != g.ID || len(g.ID) != 32 || g.ID == a.ID ||
		r.Header.Get(HeaderFingerprint) != "fedcba9876543210,f2,f3" {
		t.Errorf("headers %v (group ID %s)", r.Header, g.ID)
	}
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m.Status != "firing" || m.GroupKey != `{}:{instance="db7"}` || len(m.GroupLabels) != 1 || m.GroupLabels["instance"] != "db7" {
		t.Errorf("message %+v", m)
	}
	if len(m.CommonLabels) != 1 || m.CommonLabels["instance"] != "db7" {
		t.Errorf("commonLabels %v, want only instance", m.CommonLabels)
	}
	if len(m.Alerts) != 3 || m.Alerts[0].Fingerprint != a.Fingerprint || m.Alerts[1].Labels["severity"] != "warning" ||
		m.Alerts[2].Status != "resolved" || m.Alerts[2].Labels["alertname"] != "md-degraded" || m.Alerts[1].Annotations["notification_id"] != "11" {
		t.Errorf("alerts %+v", m.Alerts)
	}
}

func TestErrorsClassifiedAndRedacted(t *testing.T) {
	var code atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client leaving
		if code.Load() == -1 {
			<-r.Context().Done() // hangs until the client's timeout gives up
			return
		}
		w.WriteHeader(int(code.Load()))
	}))
	defer srv.Close()
	w, err := New("ops", Config{URL: srv.URL + "/services/T000/B000/XXXXSECRETPATH", Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		code      int
		permanent bool
	}{{400, true}, {403, true}, {301, true}, {408, false}, {429, false}, {502, false}, {-1, false}} {
		code.Store(int64(tc.code))
		err := w.Notify(context.Background(), notify.Single(*note()))
		if err == nil || notify.IsPermanent(err) != tc.permanent {
			t.Errorf("status %d: %v, permanent %v, want %v", tc.code, err, notify.IsPermanent(err), tc.permanent)
			continue
		}
		if strings.Contains(err.Error(), "XXXXSECRETPATH") {
			t.Errorf("error shows the URL path: %v", err)
		}
	}
	code.Store(204)
	if err := w.Notify(context.Background(), notify.Single(*note())); err != nil {
		t.Errorf("204: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{
		{},
		{URL: "ftp://x"},
		{URL: "http://x", BearerToken: "a", BearerTokenFile: "/b"},
		{URL: "http://x", HMACSecret: "a", HMACSecretFile: "/b"},
		{URL: "http://x", Headers: map[string]secret.String{"x-redwatch-signature": "v"}},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	dir := t.TempDir()
	loose := filepath.Join(dir, "loose")
	if err := os.WriteFile(loose, []byte("k"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New("x", Config{URL: "http://x", HMACSecretFile: loose}); err == nil {
		t.Error("world-readable secret file accepted")
	}
}
