package notify

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBackoffGrowsCapsAndJitters(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: time.Minute, Multiplier: 2, Jitter: 0.2}
	mid := func() float64 { return 0.5 }
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	for i, w := range want {
		if got := b.Delay(i+1, 0, mid); got != w {
			t.Errorf("attempt %d: %v, want %v", i+1, got, w)
		}
	}
	if lo, hi := b.Delay(3, 0, func() float64 { return 0 }), b.Delay(3, 0, func() float64 { return 0.999999 }); lo != 3200*time.Millisecond || hi < 4790*time.Millisecond || hi > 4800*time.Millisecond {
		t.Errorf("jitter bounds %v..%v, want 3.2s..4.8s", lo, hi)
	}
	if got := b.Delay(1000, 0, mid); got != time.Minute {
		t.Errorf("attempt 1000: %v", got)
	}
	if got := b.Delay(1, time.Hour, mid); got != time.Minute {
		t.Errorf("Retry-After above Max: %v", got)
	}
	if got := (Backoff{}).Delay(1, 0, mid); got != DefaultBackoff.Initial {
		t.Errorf("zero Backoff: %v", got)
	}
}

func resp(code int, header http.Header) *http.Response {
	return &http.Response{StatusCode: code, Status: fmt.Sprintf("%d %s", code, http.StatusText(code)), Header: header,
		Body: io.NopCloser(strings.NewReader("line one\nline\ttwo\x00"))}
}

func TestHTTPError(t *testing.T) {
	for code, want := range map[int]string{200: "ok", 204: "ok", 301: "permanent", 400: "permanent", 401: "permanent",
		404: "permanent", 422: "permanent", 408: "retry", 429: "retry", 500: "retry", 502: "retry", 503: "retry"} {
		err := HTTPError("x", resp(code, http.Header{}))
		got := "retry"
		switch {
		case err == nil:
			got = "ok"
		case IsPermanent(err):
			got = "permanent"
		}
		if got != want {
			t.Errorf("%d: %s, want %s (%v)", code, got, want, err)
		}
		if err != nil && !strings.Contains(err.Error(), "line one line two") {
			t.Errorf("%d: body not on one printable line: %q", code, err)
		}
	}
	if d, ok := RetryAfter(HTTPError("x", resp(503, http.Header{"Retry-After": {"7"}}))); !ok || d != 7*time.Second {
		t.Errorf("Retry-After: %v %v", d, ok)
	}
	if _, ok := RetryAfter(HTTPError("x", resp(503, http.Header{"Retry-After": {"Wed, 21 Oct 2015 07:28:00 GMT"}}))); ok {
		t.Error("HTTP-date Retry-After taken as a delay")
	}
	if !IsPermanent(fmt.Errorf("wrapped: %w", Permanent(errors.New("x")))) || IsPermanent(errors.New("x")) || Permanent(nil) != nil {
		t.Error("Permanent wrapping")
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T0/B0/XXX": "https://hooks.slack.com/…",
		"http://user:pw@am:9093":                     "http://am:9093",
		"http://am:9093/?token=x":                    "http://am:9093/…",
		"::bad":                                      "<invalid URL>",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
