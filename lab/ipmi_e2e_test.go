//go:build e2e

package lab

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/ipmisimtest"
	"github.com/redwatch/redwatch/rules"
)

// TestLabIPMI is in-band IPMI on a real kernel: the guest's ipmi_si (KCS)
// and ipmi_devintf talk through QEMU's ipmi-bmc-extern to OpenIPMI's
// ipmi_sim on the host (internal/ipmisimtest), and redwatch in the guest
// reads /dev/ipmi0. PS1 fails, then the BMC's redundancy sensor says
// Redundancy Lost, then both are restored (through the simulator's
// console); at each step the audit in the guest must say so, and the daemon
// in the guest (IPMI interval 1s) must page each alert to the webhook
// receiver in the guest, firing then resolved.
func TestLabIPMI(t *testing.T) {
	t.Parallel()
	vmPort := ipmisimtest.FreePort(t, "tcp")
	sim := ipmisimtest.Start(t, ipmisimtest.Options{VMPort: vmPort})
	sim.Do(t, ipmisimtest.Healthy...)
	a := PrepareAssets(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	g, err := Boot(ctx, a, Spec{IPMIPort: vmPort, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	defer func() {
		if t.Failed() {
			out, _, _ := g.Run(context.Background(), "echo '== dmesg ipmi'; dmesg | grep -i ipmi; ls -l /dev/ipmi*; echo '== daemon log'; tail -n 60 /tmp/rwd.log; echo '== hooks.log'; cat /tmp/hooks.log")
			t.Logf("guest:\n%s", out)
		}
	}()
	for _, act := range []Action{
		WaitFor("/dev/ipmi0", "[ -c /dev/ipmi0 ]", 30*time.Second),
		Shell(webhookGuestSetup("1s", "power:\n  ipmi: {interval: 1s}\n")),
	} {
		if err := act.Run(ctx, g); err != nil {
			t.Fatalf("setup %s: %v%s", act.Name, err, g.diagnose())
		}
	}

	const ps1 = rules.PowerGroup + "/PS1 Status"
	healthy := OK().Group(rules.KindPSU, rules.PowerGroup, 2, 2)
	steps := []struct {
		name  string
		cmds  []string
		want  Expect
		hooks []string // alertname status, each awaited once
	}{
		{name: "healthy", want: healthy},
		{name: "PS1 failed", cmds: []string{"sensor_set_bit 0x20 0 0x40 1 1 1"},
			want:  Status("warning").FindingMessage("psu_health", ps1, "Failure detected").Without("power_redundancy_lost", rules.PowerGroup),
			hooks: []string{"psu_health firing"}},
		{name: "redundancy lost", cmds: []string{"sensor_set_bit_clr_rest 0x20 0 0x50 1 1 1"},
			want:  Status("warning").Finding("psu_health", ps1).FindingMessage("power_redundancy_lost", rules.PowerGroup, "Redundancy Lost"),
			hooks: []string{"power_redundancy_lost firing"}},
		{name: "restored", cmds: []string{"sensor_set_bit 0x20 0 0x40 1 0 1", "sensor_set_bit_clr_rest 0x20 0 0x50 0 1 1"},
			want:  healthy,
			hooks: []string{"psu_health resolved", "power_redundancy_lost resolved"}},
	}
	for _, st := range steps {
		stepStart := time.Now()
		sim.Do(t, st.cmds...)
		v, n, err := g.AwaitVerdict(ctx, st.want, 30*time.Second)
		if err != nil {
			if v != nil {
				t.Logf("last verdict: %s", v.Summary())
			}
			t.Fatalf("%s: %v%s", st.name, err, g.diagnose())
		}
		for _, h := range st.hooks {
			name, status, _ := strings.Cut(h, " ")
			if _, err := g.MustRun(ctx, waitAlert(name, status, 1)); err != nil {
				t.Fatalf("%s: the daemon did not page %s: %v", st.name, h, err)
			}
		}
		t.Logf("%s: %s (%d audits, %.1fs with its pages)", st.name, v.Summary(), n, time.Since(stepStart).Seconds())
	}

	// What the receiver got: each alert fired once and resolved once, for
	// the supply and the redundancy sensor, and nothing else.
	out, err := g.MustRun(ctx, "cat /tmp/hooks.log")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var b hookBody
		if err := json.Unmarshal([]byte(line), &b); err != nil {
			t.Fatalf("the receiver got no JSON: %v\n%s", err, line)
		}
		for _, al := range b.Alerts {
			got[al.Labels["alertname"]+" "+al.Labels["subject"]+" "+al.Status]++
		}
	}
	want := map[string]int{
		"psu_health " + ps1 + " firing": 1, "psu_health " + ps1 + " resolved": 1,
		"power_redundancy_lost " + rules.PowerGroup + " firing": 1, "power_redundancy_lost " + rules.PowerGroup + " resolved": 1,
	}
	if len(got) != len(want) {
		t.Errorf("notifications %v, want %v:\n%s", got, want, out)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%d notifications %q, want %d:\n%s", got[k], k, n, out)
		}
	}
	// The audits above read /dev/ipmi0 beside the daemon: a reservation one
	// of them cancelled is read again, never a failed pass (C5h).
	if out, err := g.MustRun(ctx, "grep -i 'reservation cancel' /tmp/rwd.log || true"); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("the daemon failed a read on a cancelled SDR reservation (%v):\n%s", err, out)
	}
	t.Logf("in-band IPMI scenario passed in %.1fs (boot %.1fs)", time.Since(start).Seconds(), g.BootTime.Seconds())
}
