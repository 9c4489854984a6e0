package testutil

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// Mailpit is a running Mailpit: an SMTP server on SMTP and its HTTP API on API.
type Mailpit struct {
	SMTP string // host:port
	API  string // http://host:port
}

// StartMailpit runs Mailpit on loopback ports with extra flags, and stops it
// when the test ends.
func StartMailpit(t *testing.T, extra ...string) *Mailpit {
	t.Helper()
	bin := Binary(t, "mailpit")
	dir := t.TempDir()
	mp := &Mailpit{SMTP: FreePort(t)}
	httpAddr := FreePort(t)
	mp.API = "http://" + httpAddr
	args := append([]string{
		"--listen", httpAddr, "--smtp", mp.SMTP, "--pop3", FreePort(t),
		"--disable-version-check", "--database", filepath.Join(dir, "mail.db"), "--smtp-disable-rdns",
	}, extra...)
	StartServer(t, "mailpit", dir, bin, args, func() bool {
		c, err := net.DialTimeout("tcp", mp.SMTP, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		resp, err := http.Get(mp.API + "/api/v1/messages")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return mp
}

// MailAddress is an address in Mailpit's API.
type MailAddress struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// Mail is a message as Mailpit's API returns it.
type Mail struct {
	ID   string        `json:"ID"`
	From MailAddress   `json:"From"`
	To   []MailAddress `json:"To"`
	// Bcc holds the envelope recipients the headers do not name (Mailpit
	// reports them so).
	Bcc     []MailAddress `json:"Bcc"`
	Subject string        `json:"Subject"`
	Text    string        `json:"Text"`
	Headers map[string][]string
}

func (mp *Mailpit) get(path string, v any) error {
	resp, err := http.Get(mp.API + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// Messages returns every message Mailpit holds, newest first, with text and headers.
func (mp *Mailpit) Messages(t testing.TB) []Mail {
	t.Helper()
	var list struct {
		Messages []Mail `json:"messages"`
	}
	if err := mp.get("/api/v1/messages", &list); err != nil {
		t.Fatal(err)
	}
	out := make([]Mail, 0, len(list.Messages))
	for _, m := range list.Messages {
		var full Mail
		if err := mp.get("/api/v1/message/"+m.ID, &full); err != nil {
			t.Fatal(err)
		}
		if err := mp.get("/api/v1/message/"+m.ID+"/headers", &full.Headers); err != nil {
			t.Fatal(err)
		}
		out = append(out, full)
	}
	return out
}
