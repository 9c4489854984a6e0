//go:build e2e

package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// alertReps is how many times the cable is pulled and plugged back.
const alertReps = 5

// alertsGuestSetup writes the guest's webhook receiver and the daemon's
// configuration, and starts both. The receiver is busybox httpd on
// 127.0.0.1:8081 (the guest's loopback: the guest has no other network) with
// a CGI script that appends each request body as one line to /tmp/hooks.log.
var alertsGuestSetup = webhookGuestSetup("1h", "")

// webhookGuestSetup is alertsGuestSetup's script with the daemon's interval
// and YAML put before the alerts: block of its configuration. The guest has
// no power supply: power_not_observable (info) is disabled so that its one
// notification at start does not race the receiver's first check.
func webhookGuestSetup(interval, yamlHead string) string {
	return fmt.Sprintf(`set -e
mkdir -p /www/cgi-bin /tmp/rw
cat > /www/cgi-bin/hook <<'EOS'
#!/bin/sh
{ head -c "$CONTENT_LENGTH"; echo; } >> /tmp/hooks.log
printf 'Content-Type: text/plain\r\n\r\nok\n'
EOS
chmod 755 /www/cgi-bin/hook
cat > /tmp/rw.yaml <<'EOS'
%srules:
  - {id: power_not_observable, disabled: true}
alerts:
  retry: {initial: 200ms, max: 2s}
  channels:
    - name: lab
      type: webhook
      webhook: {url: "http://127.0.0.1:8081/cgi-bin/hook", timeout: 5s}
EOS
: > /tmp/hooks.log
setsid busybox httpd -f -p 127.0.0.1:8081 -h /www </dev/null >/tmp/httpd.log 2>&1 3>&- &
setsid redwatch daemon --interval %s --listen 127.0.0.1:29100 --state-dir /tmp/rw --config /tmp/rw.yaml --log-level debug </dev/null >/tmp/rwd.log 2>&1 3>&- &`, yamlHead, interval)
}

// waitHooks is a guest script that polls /tmp/hooks.log every 5 ms until at
// least n bodies for bond_member_down carry the status, then prints how many
// polls it took.
func waitHooks(status string, n int) string { return waitAlert("bond_member_down", status, n) }

// waitAlert is waitHooks for any alert name.
func waitAlert(alertname, status string, n int) string {
	return fmt.Sprintf(`(i=0
while [ $i -lt 4000 ]; do
	i=$((i+1))
	if [ "$(grep '"alertname":"%s"' /tmp/hooks.log | grep -c '"status":"%s"')" -ge %d ]; then echo $i; exit 0; fi
	usleep 5000
done
echo "fewer than %d %s notifications for %s after $i polls" >&2
exit 1)`, alertname, status, n, n, status, alertname)
}

// hookBody is what the receiver got: the Alertmanager webhook payload.
type hookBody struct {
	Version string `json:"version"`
	Status  string `json:"status"`
	Alerts  []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		StartsAt    time.Time         `json:"startsAt"`
		EndsAt      time.Time         `json:"endsAt"`
		Fingerprint string            `json:"fingerprint"`
	} `json:"alerts"`
}

// TestLabAlerts is the alerts path end to end on a real kernel: `redwatch
// daemon` in the guest with a webhook channel to a receiver inside the
// guest; a cable pulled over QMP (set_link down on a bond slave) delivers a
// firing notification naming bond0/eth1, the cable plugged back its
// resolved notification. The interval is an hour, so only the kernel's
// netlink events can have caused the passes.
//
// Fault → delivery is host-timed: from just before the QMP set_link to the
// answer of the guest command that polls the receiver's file (5 ms steps),
// so it includes one command round trip over the virtio-serial channel,
// measured separately and reported.
func TestLabAlerts(t *testing.T) {
	a := PrepareAssets(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	g, err := Boot(ctx, a, Spec{NICs: []NIC{{}, {}}, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, act := range []Action{
		Bond("bond0", "active-backup", "eth0", "eth1"), SlaveMII("bond0", "eth1", "up"),
		Shell(alertsGuestSetup),
	} {
		if err := act.Run(ctx, g); err != nil {
			t.Fatalf("setup %s: %v%s", act.Name, err, g.diagnose())
		}
	}
	defer func() {
		if t.Failed() {
			out, _, _ := g.Run(context.Background(), "echo '== daemon log'; tail -n 60 /tmp/rwd.log; echo '== hooks.log'; cat /tmp/hooks.log; echo '== httpd.log'; cat /tmp/httpd.log; ls -lR /tmp/rw")
			t.Logf("guest:\n%s", out)
		}
	}()
	if _, err := g.MustRun(ctx, pollHealth(`"status":"ok"`, 2000)); err != nil {
		t.Fatalf("the daemon never said ok: %v%s", err, g.diagnose())
	}
	// The receiver answers (a request that is no notification: the script
	// logs it, so clear the file afterwards).
	if _, err := g.MustRun(ctx, `wget -q -O - --post-data '{}' http://127.0.0.1:8081/cgi-bin/hook | grep -qx ok && : > /tmp/hooks.log`); err != nil {
		t.Fatalf("the receiver in the guest does not answer: %v", err)
	}
	if out, _ := g.MustRun(ctx, "cat /tmp/hooks.log"); strings.TrimSpace(out) != "" {
		t.Fatalf("notifications while healthy:\n%s", out)
	}

	// One guest command that reads the receiver's file once.
	var overhead []time.Duration
	for i := 0; i < alertReps; i++ {
		start := time.Now()
		if _, err := g.MustRun(ctx, waitHooks("firing", 0)); err != nil {
			t.Fatal(err)
		}
		overhead = append(overhead, time.Since(start))
	}

	var fire, resolve []time.Duration
	for i := 1; i <= alertReps; i++ {
		start := time.Now()
		if err := g.SetLink(ctx, "nic1", false); err != nil {
			t.Fatal(err)
		}
		if _, err := g.MustRun(ctx, waitHooks("firing", i)); err != nil {
			t.Fatalf("rep %d: no firing notification: %v%s", i, err, g.diagnose())
		}
		fire = append(fire, time.Since(start))

		start = time.Now()
		if err := g.SetLink(ctx, "nic1", true); err != nil {
			t.Fatal(err)
		}
		if _, err := g.MustRun(ctx, waitHooks("resolved", i)); err != nil {
			t.Fatalf("rep %d: no resolved notification: %v%s", i, err, g.diagnose())
		}
		resolve = append(resolve, time.Since(start))
	}

	// What the receiver got, decoded.
	out, err := g.MustRun(ctx, "cat /tmp/hooks.log")
	if err != nil {
		t.Fatal(err)
	}
	var firing, resolved, messages, carried int
	var fp string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var b hookBody
		if err := json.Unmarshal([]byte(line), &b); err != nil {
			t.Fatalf("the receiver got no JSON: %v\n%s", err, line)
		}
		// One message per pass (group_by [instance], the default): the
		// alerts of one pass share it, one notification per alert, and the
		// message is firing when one of them fires.
		if b.Version != "4" || len(b.Alerts) == 0 {
			t.Fatalf("not an Alertmanager webhook v4 payload with alerts:\n%s", line)
		}
		messages++
		carried += len(b.Alerts)
		anyFiring, seen := false, map[string]bool{}
		for _, al := range b.Alerts {
			anyFiring = anyFiring || al.Status == "firing"
			if seen[al.Fingerprint] {
				t.Errorf("one message carries alert %s twice:\n%s", al.Fingerprint, line)
			}
			seen[al.Fingerprint] = true
		}
		if want := map[bool]string{true: "firing", false: "resolved"}[anyFiring]; b.Status != want {
			t.Errorf("message status %q, want %q from its alerts:\n%s", b.Status, want, line)
		}
		for _, al := range b.Alerts {
			if al.Labels["alertname"] != "bond_member_down" {
				continue // e.g. bond_below_min_healthy bond0, which routes here too
			}
			if al.Labels["subject"] != "bond0/eth1" || al.Fingerprint == "" {
				t.Fatalf("bond_member_down notification for the wrong subject:\n%s", line)
			}
			if fp == "" {
				fp = al.Fingerprint
			} else if al.Fingerprint != fp {
				t.Errorf("fingerprint changed: %s then %s", fp, al.Fingerprint)
			}
			switch al.Status {
			case "firing":
				if resolved != firing {
					t.Errorf("firing #%d before the previous alert resolved", firing+1)
				}
				firing++
			case "resolved":
				if resolved+1 != firing || al.EndsAt.Before(al.StartsAt) {
					t.Errorf("resolved #%d out of order or ends before it starts:\n%s", resolved+1, line)
				}
				resolved++
			default:
				t.Errorf("status %q:\n%s", al.Status, line)
			}
		}
	}
	// Each pull and each plug is one pass, hence one message, whatever else
	// that pass raised or resolved with the member.
	if messages != 2*alertReps {
		t.Errorf("%d messages for %d pulls and plugs, want one each:\n%s", messages, alertReps, out)
	}
	t.Logf("%d messages carried %d alert notifications (one message per pass)", messages, carried)
	if firing != alertReps || resolved != alertReps {
		t.Fatalf("bond_member_down bond0/eth1: %d firing and %d resolved notifications, want %d each:\n%s", firing, resolved, alertReps, out)
	}
	metrics, err := g.MustRun(ctx, "wget -q -O - http://127.0.0.1:29100/metrics | grep -E '^redwatch_(alert|passes_total)'")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("metrics in the guest:\n%s", metrics)
	if strings.Contains(metrics, `trigger="interval"`) {
		t.Fatal("an interval pass ran: the deliveries are not the events'")
	}
	delivered := 0
	for _, l := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(l, `redwatch_alert_notifications_total{channel="lab",result="delivered"} `); ok {
			delivered, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if delivered < 2*alertReps || !strings.Contains(metrics, `redwatch_alert_queue_depth{channel="lab"} 0`) {
		t.Fatalf("the metrics do not show %d deliveries and an empty queue", 2*alertReps)
	}
	t.Logf("one read of the receiver's file as a guest command (host-timed): %s", stats(overhead))
	t.Logf("cable pull (QMP set_link down) → firing webhook for bond0/eth1 received in the guest, host-timed: %s; each %v", stats(fire), roundAll(fire))
	t.Logf("cable back (QMP set_link up) → resolved webhook received, host-timed (includes the bond's miimon): %s; each %v", stats(resolve), roundAll(resolve))
}

func roundAll(d []time.Duration) []time.Duration {
	out := make([]time.Duration, len(d))
	for i, v := range d {
		out[i] = v.Round(time.Millisecond)
	}
	return out
}
