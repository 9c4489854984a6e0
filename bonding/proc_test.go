package bonding

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const abHeader = "Ethernet Channel Bonding Driver: v3.7.1 (April 27, 2011)\n\n" +
	"Bonding Mode: fault-tolerance (active-backup)\n" +
	"Primary Slave: None\n" +
	"Currently Active Slave: eth0\n" +
	"MII Status: up\n" +
	"MII Polling Interval (ms): 100\n" +
	"Up Delay (ms): 0\n" +
	"Down Delay (ms): 0\n"

const slaveEth0 = "\nSlave Interface: eth0\nMII Status: up\nSpeed: 1000 Mbps\nDuplex: full\n" +
	"Link Failure Count: 0\nPermanent HW addr: 00:11:22:33:44:00\nSlave queue ID: 0\n"

const slaveEth1Down = "\nSlave Interface: eth1\nMII Status: down\nSpeed: Unknown\nDuplex: Unknown\n" +
	"Link Failure Count: 3\nPermanent HW addr: 00:11:22:33:44:01\nSlave queue ID: 0\n"

const lacpHeader = "Ethernet Channel Bonding Driver: v6.1.0-56-amd64\n\n" +
	"Bonding Mode: IEEE 802.3ad Dynamic link aggregation\n" +
	"Transmit Hash Policy: layer3+4 (1)\n" +
	"MII Status: up\n" +
	"MII Polling Interval (ms): 100\n" +
	"Up Delay (ms): 0\n" +
	"Down Delay (ms): 0\n\n" +
	"802.3ad info\nLACP rate: fast\nMin links: 0\nAggregator selection policy (ad_select): bandwidth\n" +
	"System priority: 65535\nSystem MAC address: 52:54:00:12:34:56\n"

func lacpAggInfo(indent string) string {
	return "Active Aggregator Info:\n" +
		indent + "Aggregator ID: 3\n" +
		indent + "Number of ports: 2\n" +
		indent + "Actor Key: 15\n" +
		indent + "Partner Key: 33\n" +
		indent + "Partner Mac Address: 52:54:00:12:34:58\n"
}

const lacpSlave = "\nSlave Interface: eth0\nMII Status: up\nSpeed: 10000 Mbps\nDuplex: full\n" +
	"Link Failure Count: 0\nPermanent HW addr: 52:54:00:12:34:56\nSlave queue ID: 0\nAggregator ID: 3\n" +
	"Actor Churn State: monitoring\nPartner Churn State: churned\nActor Churned Count: 2\nPartner Churned Count: 5\n" +
	"details actor lacp pdu:\n    system priority: 65535\n    system mac address: 52:54:00:12:34:56\n" +
	"    port key: 15\n    port priority: 255\n    port number: 1\n    port state: 61\n" +
	"details partner lacp pdu:\n    system priority: 65535\n    system mac address: 52:54:00:12:34:58\n" +
	"    oper key: 33\n    port priority: 255\n    port number: 1\n    port state: 63\n"

func TestParseProcHandWritten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, b Bond)
	}{
		{"active-backup one down", abHeader + slaveEth0 + slaveEth1Down, func(t *testing.T, b Bond) {
			want := Bond{
				Name: "bond0", Sources: []string{SourceProc}, Mode: ModeActiveBackup, ModeText: "fault-tolerance (active-backup)",
				DriverVersion: "v3.7.1", MIIStatus: "up", ActiveSlave: "eth0", MIIMon: 100, UpDelay: 0, DownDelay: 0, ARPInterval: 0,
				Slaves: []Slave{
					{Name: "eth0", MIIStatus: "up", Speed: 1000, Duplex: "full", LinkFailures: 0, PermHWAddr: "00:11:22:33:44:00", QueueID: 0,
						AggregatorID: Unknown, ActorChurnedCount: Unknown, PartnerChurnedCount: Unknown, ActorPortState: Unknown, PartnerPortState: Unknown},
					{Name: "eth1", MIIStatus: "down", Speed: Unknown, Duplex: "", LinkFailures: 3, PermHWAddr: "00:11:22:33:44:01", QueueID: 0,
						AggregatorID: Unknown, ActorChurnedCount: Unknown, PartnerChurnedCount: Unknown, ActorPortState: Unknown, PartnerPortState: Unknown},
				},
			}
			if diff := cmp.Diff(want, b); diff != "" {
				t.Errorf("bond (-want +got):\n%s", diff)
			}
			if !b.Monitored() {
				t.Error("miimon 100: Monitored() = false")
			}
		}},
		{"fail_over_mac suffix and primary reselect", strings.Replace(strings.Replace(abHeader,
			"(active-backup)\n", "(active-backup) (fail_over_mac follow)\n", 1),
			"Primary Slave: None", "Primary Slave: eth1 (primary_reselect better)", 1) + slaveEth0, func(t *testing.T, b Bond) {
			if b.Mode != ModeActiveBackup || b.ModeText != "fault-tolerance (active-backup) (fail_over_mac follow)" {
				t.Errorf("mode %q text %q", b.Mode, b.ModeText)
			}
			if b.Primary != "eth1" || b.PrimaryReselect != "better" {
				t.Errorf("primary %q reselect %q", b.Primary, b.PrimaryReselect)
			}
		}},
		{"no active slave", strings.Replace(abHeader, "Currently Active Slave: eth0", "Currently Active Slave: None", 1) + slaveEth1Down,
			func(t *testing.T, b Bond) {
				if b.ActiveSlave != "" || b.Primary != "" {
					t.Errorf("active %q primary %q, want empty", b.ActiveSlave, b.Primary)
				}
			}},
		{"arp monitor only", strings.Replace(abHeader, "MII Polling Interval (ms): 100\n", "MII Polling Interval (ms): 0\n", 1) +
			"ARP Polling Interval (ms): 1000\nARP IP target/s (n.n.n.n form): 10.0.0.1, 10.0.0.2,10.0.0.3\n" + slaveEth0,
			func(t *testing.T, b Bond) {
				if b.MIIMon != 0 || b.ARPInterval != 1000 || !slices.Equal(b.ARPTargets, []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
					t.Errorf("miimon %d arp %d targets %q", b.MIIMon, b.ARPInterval, b.ARPTargets)
				}
				if !b.Monitored() {
					t.Error("ARP monitor with targets: Monitored() = false")
				}
			}},
		{"arp interval without targets is no monitor", strings.Replace(abHeader, "MII Polling Interval (ms): 100\n", "MII Polling Interval (ms): 0\n", 1) +
			"ARP Polling Interval (ms): 1000\nARP IP target/s (n.n.n.n form):\n" + slaveEth0,
			func(t *testing.T, b Bond) {
				if b.ARPInterval != 1000 || len(b.ARPTargets) != 0 || b.Monitored() {
					t.Errorf("arp %d targets %q monitored %v, want 1000, none, false", b.ARPInterval, b.ARPTargets, b.Monitored())
				}
			}},
		{"miimon 0 no arp", strings.Replace(abHeader, "MII Polling Interval (ms): 100\n", "MII Polling Interval (ms): 0\n", 1) + slaveEth0,
			func(t *testing.T, b Bond) {
				if b.MIIMon != 0 || b.ARPInterval != 0 || b.Monitored() {
					t.Errorf("miimon %d arp %d monitored %v", b.MIIMon, b.ARPInterval, b.Monitored())
				}
			}},
		{"unknown lines ignored, CRLF", strings.ReplaceAll(abHeader+"Peer Notification Delay (ms): 0\nARP Missed Max: 2\nNS IPv6 target/s (xx::xx form): fe80::1\n"+
			"Some Future Line: 7\nfuture flag without colon\n"+slaveEth0, "\n", "\r\n"),
			func(t *testing.T, b Bond) {
				if b.Mode != ModeActiveBackup || len(b.Slaves) != 1 || b.Slaves[0].MIIStatus != "up" || b.Slaves[0].PermHWAddr != "00:11:22:33:44:00" {
					t.Errorf("got %+v", b)
				}
			}},
		{"old speed encodings and empty hw addr", abHeader +
			"\nSlave Interface: eth0\nMII Status: up\nSpeed: 65535 Mbps\nDuplex: half\nLink Failure Count: 0\nPermanent HW addr:\n" +
			"\nSlave Interface: eth1\nMII Status: going down\nSpeed: 4294967295 Mbps\nLink Failure Count: 0\nPermanent HW addr: \n" +
			"\nSlave Interface: eth2\nMII Status: going back\nSpeed: -1 Mbps\nLink Failure Count: 0\n" +
			"\nSlave Interface: eth3\nMII Status: up\nSpeed: 0 Mbps\nLink Failure Count: 0\n",
			func(t *testing.T, b Bond) {
				got := []int{b.Slaves[0].Speed, b.Slaves[1].Speed, b.Slaves[2].Speed, b.Slaves[3].Speed}
				if !slices.Equal(got, []int{Unknown, Unknown, Unknown, 0}) {
					t.Errorf("speeds %v", got)
				}
				if b.Slaves[0].Duplex != "half" || b.Slaves[0].PermHWAddr != "" || b.Slaves[1].MIIStatus != "going down" || b.Slaves[2].MIIStatus != "going back" {
					t.Errorf("got %+v", b.Slaves)
				}
				if b.Slaves[0].QueueID != Unknown {
					t.Errorf("queue id not printed: %d, want Unknown", b.Slaves[0].QueueID)
				}
			}},
		{"802.3ad tab indent", lacpHeader + lacpAggInfo("\t") + lacpSlave, checkLACP},
		{"802.3ad two spaces", lacpHeader + lacpAggInfo("  ") + lacpSlave, checkLACP},
		{"802.3ad four tabs", lacpHeader + lacpAggInfo("\t\t\t\t") + lacpSlave, checkLACP},
		{"802.3ad no indent", lacpHeader + lacpAggInfo("") + lacpSlave, checkLACP},
		{"802.3ad no aggregator info (unprivileged)", strings.Replace(lacpHeader, "System priority: 65535\nSystem MAC address: 52:54:00:12:34:56\n", "", 1) +
			strings.Replace(lacpSlave, "Aggregator ID: 3", "Aggregator ID: N/A", 1),
			func(t *testing.T, b Bond) {
				l := b.LACP
				if l == nil || l.ActiveAggregatorID != Unknown || l.NumPorts != Unknown || l.ActorKey != Unknown || l.PartnerKey != Unknown ||
					l.PartnerMAC != "" || l.NoActiveAggregator || l.SystemMAC != "" || l.Rate != "fast" {
					t.Errorf("lacp %+v", l)
				}
				if b.Slaves[0].AggregatorID != Unknown {
					t.Errorf("N/A aggregator: %d", b.Slaves[0].AggregatorID)
				}
			}},
		{"802.3ad no active aggregator", lacpHeader + "bond bond0 has no active aggregator\n",
			func(t *testing.T, b Bond) {
				l := b.LACP
				if l == nil || !l.NoActiveAggregator || l.ActiveAggregatorID != 0 || l.NumPorts != 0 || len(b.Slaves) != 0 || b.Slaves == nil {
					t.Errorf("lacp %+v slaves %v", l, b.Slaves)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseProc("bond0", []byte(tt.in))
			if err != nil {
				t.Fatalf("ParseProc: %v", err)
			}
			tt.check(t, b)
		})
	}
}

func checkLACP(t *testing.T, b Bond) {
	t.Helper()
	want := &LACP{Rate: "fast", AggSelect: "bandwidth", ActiveAggregatorID: 3, NumPorts: 2, ActorKey: 15, PartnerKey: 33,
		PartnerMAC: "52:54:00:12:34:58", SystemMAC: "52:54:00:12:34:56"}
	if b.Mode != Mode8023AD || b.TransmitHashPolicy != "layer3+4" || !reflect.DeepEqual(b.LACP, want) {
		t.Errorf("mode %q hash %q lacp %+v", b.Mode, b.TransmitHashPolicy, b.LACP)
	}
	s := b.Slaves[0]
	if s.AggregatorID != 3 || s.ActorChurnState != "monitoring" || s.PartnerChurnState != "churned" || s.ActorChurnedCount != 2 ||
		s.PartnerChurnedCount != 5 || s.ActorPortState != 61 || s.PartnerPortState != 63 || s.Speed != 10000 {
		t.Errorf("slave %+v", s)
	}
}

func TestParseProcModes(t *testing.T) {
	t.Parallel()
	for text, mode := range map[string]string{
		"load balancing (round-robin)":                           ModeRoundRobin,
		"fault-tolerance (active-backup)":                        ModeActiveBackup,
		"fault-tolerance (active-backup) (fail_over_mac active)": ModeActiveBackup,
		"fault-tolerance (active-backup) (fail_over_mac follow)": ModeActiveBackup,
		"load balancing (xor)":                                   ModeXOR,
		"fault-tolerance (broadcast)":                            ModeBroadcast,
		"IEEE 802.3ad Dynamic link aggregation":                  Mode8023AD,
		"transmit load balancing":                                ModeTLB,
		"adaptive load balancing":                                ModeALB,
		"balance-alb":                                            ModeALB,
		"802.3ad":                                                Mode8023AD,
		"unknown":                                                "",
		"load balancing":                                         "",
		"fault-tolerance (active-backup)x":                       "",
		"":                                                       "",
	} {
		if got := ModeFromProc(text); got != mode {
			t.Errorf("ModeFromProc(%q) = %q, want %q", text, got, mode)
		}
		in := strings.Replace(abHeader, "fault-tolerance (active-backup)", text, 1)
		b, err := ParseProc("bond0", []byte(in))
		if mode == "" {
			if err == nil || !strings.Contains(err.Error(), "unknown bonding mode") {
				t.Errorf("mode %q: err = %v, want unknown bonding mode", text, err)
			}
			continue
		}
		if err != nil || b.Mode != mode || (mode == Mode8023AD) != (b.LACP != nil) {
			t.Errorf("mode %q: %q, lacp %v, %v", text, b.Mode, b.LACP, err)
		}
	}
}

// TestParseProcIncomplete pins what "truncated" means: see ParseProc.
func TestParseProcIncomplete(t *testing.T) {
	t.Parallel()
	full := abHeader + slaveEth0 + slaveEth1Down
	tests := []struct {
		name, in, want string
		incomplete     bool
	}{
		{"empty", "", `bonding: /proc/net/bonding/bond0: empty file`, true},
		{"blank lines only", "\n\n \t\n", `bonding: /proc/net/bonding/bond0: empty file`, true},
		{"driver line only", "Ethernet Channel Bonding Driver: v3.7.1 (April 27, 2011)\n", `bonding: /proc/net/bonding/bond0: no "Bonding Mode" line`, true},
		{"no mode line", strings.Replace(full, "Bonding Mode: fault-tolerance (active-backup)\n", "", 1), `bonding: /proc/net/bonding/bond0: no "Bonding Mode" line`, true},
		{"cut after mode", full[:strings.Index(full, "Primary")], `bonding: /proc/net/bonding/bond0: no "MII Status" line`, true},
		{"cut after MII status", full[:strings.Index(full, "MII Polling")], `bonding: /proc/net/bonding/bond0: no "MII Polling Interval (ms)" line`, true},
		{"cut after miimon", full[:strings.Index(full, "Up Delay")], `bonding: /proc/net/bonding/bond0: no "Up Delay (ms)" line`, true},
		{"cut after updelay", full[:strings.Index(full, "Down Delay")], `bonding: /proc/net/bonding/bond0: no "Down Delay (ms)" line`, true},
		{"cut after slave name", abHeader + slaveEth0 + "\nSlave Interface: eth1\n", `bonding: /proc/net/bonding/bond0: slave eth1: no "MII Status" line`, true},
		{"cut inside slave", full[:strings.LastIndex(full, "Speed")], `bonding: /proc/net/bonding/bond0: slave eth1: no "Link Failure Count" line`, true},
		{"cut mid value", full[:strings.LastIndex(full, "Link Failure Count: 3")+len("Link Failure Count: ")],
			`line 23: "Link Failure Count:": not a non-negative number`, false},
		{"cut mid key", full[:strings.LastIndex(full, "MII Status: down")+len("MII Sta")], `bonding: /proc/net/bonding/bond0: slave eth1: no "MII Status" line`, true},
		{"802.3ad slave without aggregator id", lacpHeader + strings.Replace(lacpSlave, "Aggregator ID: 3\n", "", 1),
			`bonding: /proc/net/bonding/bond0: slave eth0: no "Aggregator ID" line in 802.3ad mode`, true},
		{"802.3ad cut before aggregator id", lacpHeader + lacpAggInfo("\t") + lacpSlave[:strings.Index(lacpSlave, "Aggregator ID")],
			`bonding: /proc/net/bonding/bond0: slave eth0: no "Aggregator ID" line in 802.3ad mode`, true},
		{"empty MII status", strings.Replace(full, "MII Status: down", "MII Status:", 1), `empty MII status`, false},
		{"bad number", strings.Replace(full, "Link Failure Count: 3", "Link Failure Count: 3x", 1), `"Link Failure Count: 3x": not a non-negative number: bad value`, false},
		{"negative number", strings.Replace(full, "MII Polling Interval (ms): 100", "MII Polling Interval (ms): -100", 1), `not a non-negative number`, false},
		{"huge number", strings.Replace(full, "Link Failure Count: 3", "Link Failure Count: 99999999999999999999", 1), `not a non-negative number`, false},
		{"bad speed", strings.Replace(full, "Speed: 1000 Mbps", "Speed: fast", 1), `"Speed: fast"`, false},
		{"slave twice", abHeader + slaveEth0 + slaveEth0, `slave listed twice`, false},
		{"empty slave name", abHeader + "\nSlave Interface: \nMII Status: up\nLink Failure Count: 0\n", `empty slave name`, false},
		{"two bonds concatenated", full + full, `second "Bonding Mode" line`, false},
		{"unknown mode", strings.Replace(full, "fault-tolerance (active-backup)", "fault-tolerance (quantum)", 1), `unknown bonding mode`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseProc("bond0", []byte(tt.in))
			if err == nil {
				t.Fatalf("ParseProc = %+v, nil; want error %q", b, tt.want)
			}
			if tt.incomplete && err.Error() != tt.want || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "bonding: /proc/net/bonding/bond0: ") {
				t.Errorf("err = %q: not prefixed with the package and path", err)
			}
			if got := errors.Is(err, ErrIncomplete); got != tt.incomplete {
				t.Errorf("errors.Is(err, ErrIncomplete) = %v, want %v", got, tt.incomplete)
			}
			if !tt.incomplete && !errors.Is(err, errBadValue) {
				t.Errorf("err %v does not wrap errBadValue", err)
			}
			if diff := cmp.Diff(Bond{}, b); diff != "" {
				t.Errorf("got a half-read bond (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseProcRepoFixtures(t *testing.T) {
	t.Parallel()
	// The repository's own audit scenarios (../testdata) that must fail.
	for dir, want := range map[string]string{
		"bad_bonding_truncated": `slave eth1: no "MII Status" line`,
		"bad_bonding_empty":     `empty file`,
	} {
		data, err := os.ReadFile(filepath.Join("..", "testdata", dir, "proc", "net", "bonding", "bond0"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseProc("bond0", data); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", dir, err, want)
		}
	}
}

// corpusProc is what each single-file corpus sample must parse to (see
// ../shared/corpus/MANIFEST.tsv).
type corpusProc struct {
	mode, mii, active  string
	miimon, arp        int
	targets            []string
	monitored          bool
	slaves             []slaveFacts // State is "" from /proc
	aggID, ports       int          // LACP; 0, 0 for non-802.3ad
	partner            string
	noActiveAggregator bool
}

var corpusSamples = map[string]corpusProc{
	"augeas_ab_arp_targets_v340": {mode: ModeActiveBackup, mii: "up", active: "eth1", miimon: 100, arp: 1000,
		targets: []string{"169.254.144.20", "169.254.144.21"}, monitored: true,
		slaves: []slaveFacts{{"eth0", "up", "", Unknown, 1, Unknown}, {"eth1", "up", "", Unknown, 0, Unknown}}},
	"augeas_kernel_doc_rr_2004": {mode: ModeRoundRobin, mii: "up", active: "eth0", miimon: 1000, monitored: true,
		slaves: []slaveFacts{{"eth1", "up", "", Unknown, 1, Unknown}, {"eth0", "up", "", Unknown, 1, Unknown}}},
	"hpe_fmn_lacp_no_slaves": {mode: Mode8023AD, mii: "down", miimon: 100, monitored: true, slaves: []slaveFacts{},
		aggID: 0, ports: 0, noActiveAggregator: true},
	"insights_ab_10g_ok": {mode: ModeActiveBackup, mii: "up", active: "enp17s0f0", miimon: 100, monitored: true,
		slaves: []slaveFacts{{"enp17s0f0", "up", "", Unknown, 0, 10000}, {"enp17s0f1", "up", "", Unknown, 0, 10000}}},
	"insights_ab_arpmon_flapping": {mode: ModeActiveBackup, mii: "up", active: "em3", miimon: 0, arp: 1000, targets: []string{"10.152.1.1"}, monitored: true,
		slaves: []slaveFacts{{"em3", "up", "", Unknown, 92028, 1000}, {"p2p3", "up", "", Unknown, 71524, 1000}}},
	"insights_lacp_slave_down_churned": {mode: Mode8023AD, mii: "up", miimon: 100, monitored: true,
		slaves: []slaveFacts{{"enp0s9", "up", "", 1, 0, 1000}, {"enp0s8", "down", "", 2, 0, Unknown}},
		aggID:  1, ports: 1, partner: "00:00:00:00:00:00"},
	"insights_rr_2slaves_ok": {mode: ModeRoundRobin, mii: "up", miimon: 100, monitored: true,
		slaves: []slaveFacts{{"eno1", "up", "", Unknown, 0, 1000}, {"eno2", "up", "", Unknown, 0, 1000}}},
	"insights_xor_2slaves_ok": {mode: ModeXOR, mii: "up", miimon: 100, monitored: true,
		slaves: []slaveFacts{{"eno1", "up", "", Unknown, 0, 1000}, {"eno2", "up", "", Unknown, 0, 1000}}},
	"otus_ab_failovermac_primary_ok": {mode: ModeActiveBackup, mii: "up", active: "eth1", miimon: 100, monitored: true,
		slaves: []slaveFacts{{"eth1", "up", "", Unknown, 0, 1000}, {"eth2", "up", "", Unknown, 0, 1000}}},
	"telegraf_ab_backup_down": {mode: ModeActiveBackup, mii: "up", active: "eth2", miimon: 100, monitored: true,
		slaves: []slaveFacts{{"eth3", "down", "", Unknown, 2, 1000}, {"eth2", "up", "", Unknown, 0, 100}}},
	"telegraf_lacp_10g_ok_no_agg_info": {mode: Mode8023AD, mii: "up", miimon: 100, monitored: true,
		slaves: []slaveFacts{{"eth0", "up", "", 2, 2, 10000}, {"eth1", "up", "", 2, 1, 10000}}, aggID: Unknown, ports: Unknown},
	"telegraf_lacp_second_slave_down": {mode: Mode8023AD, mii: "up", miimon: 100, monitored: true,
		slaves: []slaveFacts{{"eth0", "up", "", 2, 2, 10000}, {"eth1", "down", "", 2, 1, Unknown}}, aggID: Unknown, ports: Unknown},
	"monitoringplug_proc_2bonds/proc/net/bonding/bond0": {mode: Mode8023AD, mii: "up", miimon: 100, monitored: true,
		slaves: []slaveFacts{{"eth0", "up", "", 1, 0, 1000}, {"eth1", "up", "", 1, 0, 1000}}, aggID: 1, ports: 2, partner: "00:40:96:de:af:6e"},
	"monitoringplug_proc_2bonds/proc/net/bonding/bond1": {mode: ModeActiveBackup, mii: "up", active: "eth2", miimon: 100, monitored: true,
		slaves: []slaveFacts{{"eth3", "up", "", Unknown, 0, 1000}, {"eth2", "up", "", Unknown, 0, 1000}}},
}

func TestParseProcCorpus(t *testing.T) {
	t.Parallel()
	dir := needCorpus(t, "bonding")
	// Every single-file sample must be in the table: a new sample is noticed.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := corpusSamples[e.Name()]; !ok && !e.IsDir() {
			t.Errorf("corpus sample %s has no expectation in corpusSamples", e.Name())
		}
	}
	for sample, want := range corpusSamples {
		t.Run(sample, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, sample))
			if err != nil {
				t.Fatal(err)
			}
			b, err := ParseProc("bond0", data)
			if err != nil {
				t.Fatalf("ParseProc: %v", err)
			}
			checkCorpusBond(t, b, want)
		})
	}
}

func checkCorpusBond(t *testing.T, b Bond, want corpusProc) {
	t.Helper()
	if b.Mode != want.mode || b.MIIStatus != want.mii || b.ActiveSlave != want.active || b.MIIMon != want.miimon ||
		b.ARPInterval != want.arp || !slices.Equal(b.ARPTargets, want.targets) || b.Monitored() != want.monitored {
		t.Errorf("bond: mode %q mii %q active %q miimon %d arp %d targets %q monitored %v; want %+v",
			b.Mode, b.MIIStatus, b.ActiveSlave, b.MIIMon, b.ARPInterval, b.ARPTargets, b.Monitored(), want)
	}
	if diff := cmp.Diff(want.slaves, factsOf(b)); diff != "" {
		t.Errorf("slaves (-want +got):\n%s", diff)
	}
	if (b.Mode == Mode8023AD) != (b.LACP != nil) {
		t.Fatalf("mode %s with LACP %v", b.Mode, b.LACP)
	}
	if b.LACP != nil {
		l := b.LACP
		if l.ActiveAggregatorID != want.aggID || l.NumPorts != want.ports || l.PartnerMAC != want.partner || l.NoActiveAggregator != want.noActiveAggregator {
			t.Errorf("lacp %+v, want agg %d ports %d partner %q none %v", l, want.aggID, want.ports, want.partner, want.noActiveAggregator)
		}
	}
}

func TestParseProcLab(t *testing.T) {
	t.Parallel()
	lab := needCorpus(t, "lab")
	parse := func(t *testing.T, tree, bond string) Bond {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(lab, tree, "proc", "net", "bonding", bond))
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseProc(bond, data)
		if err != nil {
			t.Fatalf("%s %s: %v", tree, bond, err)
		}
		return b
	}
	t.Run("healthy", func(t *testing.T) {
		b0 := parse(t, "kernel61_healthy", "bond0")
		if b0.Mode != Mode8023AD || b0.DriverVersion != "v6.1.0-56-amd64" || b0.LACP.ActiveAggregatorID != 1 || b0.LACP.NumPorts != 2 ||
			b0.LACP.PartnerMAC != "52:54:00:12:34:58" || b0.LACP.Rate != "fast" {
			t.Errorf("bond0 %+v lacp %+v", b0, b0.LACP)
		}
		for _, s := range b0.Slaves {
			if s.MIIStatus != "up" || s.AggregatorID != 1 || s.Speed != 10000 || s.ActorPortState != 63 || s.PartnerPortState != 63 {
				t.Errorf("bond0 slave %+v", s)
			}
		}
		b2 := parse(t, "kernel61_healthy", "bond2")
		if b2.Mode != ModeActiveBackup || b2.ActiveSlave != "eth4" || b2.LACP != nil ||
			!reflect.DeepEqual(factsOf(b2), []slaveFacts{{"eth4", "up", "", Unknown, 0, 10000}, {"eth5", "up", "", Unknown, 0, 10000}}) {
			t.Errorf("bond2 %+v", b2)
		}
	})
	t.Run("faults", func(t *testing.T) {
		b0 := parse(t, "kernel61_faults", "bond0")
		want := []slaveFacts{{"eth0", "up", "", 1, 0, 10000}, {"eth1", "down", "", 1, 1, 10000}}
		if got := factsOf(b0); !reflect.DeepEqual(got, want) || b0.LACP.NumPorts != 1 {
			t.Errorf("bond0 slaves %+v ports %d, want %+v, 1 port", got, b0.LACP.NumPorts, want)
		}
		if s := b0.Slaves[1]; s.ActorPortState != 15 || s.PartnerPortState != 55 {
			t.Errorf("eth1 port states %d/%d, want 15/55", s.ActorPortState, s.PartnerPortState)
		}
		b2 := parse(t, "kernel61_faults", "bond2")
		if b2.Mode != ModeActiveBackup || b2.ActiveSlave != "eth4" || b2.Slaves[1].Name != "eth5" || b2.Slaves[1].MIIStatus != "down" {
			t.Errorf("bond2 %+v", b2)
		}
	})
	t.Run("all parse", func(t *testing.T) {
		for _, tree := range labTrees {
			for _, bond := range []string{"bond0", "bond1", "bond2"} {
				if b := parse(t, tree, bond); len(b.Slaves) != 2 || !b.Monitored() {
					t.Errorf("%s %s: %d slaves, monitored %v", tree, bond, len(b.Slaves), b.Monitored())
				}
			}
		}
	})
}

// TestParseProcSlavePartner follows bond_procfs.c bond_info_show_slave: each
// 802.3ad slave's own partner is the "system mac address" under "details
// partner lacp pdu:" (all zeros when nothing answers on that link), which is
// not the bond's "Partner Mac Address" under "Active Aggregator Info:".
func TestParseProcSlavePartner(t *testing.T) {
	t.Parallel()
	lab := needCorpus(t, "lab")
	data, err := os.ReadFile(filepath.Join(lab, "kernel61_recovering", "proc", "net", "bonding", "bond1"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseProc("bond1", data)
	if err != nil {
		t.Fatal(err)
	}
	if b.LACP.PartnerMAC != "52:54:00:12:34:56" {
		t.Errorf("bond partner %q", b.LACP.PartnerMAC)
	}
	if got := []string{b.Slaves[0].PartnerMAC, b.Slaves[1].PartnerMAC}; !slices.Equal(got, []string{"52:54:00:12:34:56", "00:00:00:00:00:00"}) {
		t.Errorf("slave partners %q", got)
	}
	if !b.CarriesTraffic(&b.Slaves[0]) || b.CarriesTraffic(&b.Slaves[1]) {
		t.Errorf("eth2 (aggregator 1, active) must carry traffic and eth3 (aggregator 2) not: %v %v",
			b.CarriesTraffic(&b.Slaves[0]), b.CarriesTraffic(&b.Slaves[1]))
	}
}

// TestCarriesTraffic follows bond_3ad.c ad_agg_selection_logic: only the
// ports of the active aggregator are enabled; with no active aggregator
// (bond_procfs.c prints "bond X has no active aggregator", bond_sysfs.c
// ad_aggregator prints 0) no slave carries traffic; a slave with no
// aggregator at all ("Aggregator ID: N/A") is outside the active one.
func TestCarriesTraffic(t *testing.T) {
	t.Parallel()
	in := func(id int) *Slave { return &Slave{Name: "eth0", MIIStatus: "up", AggregatorID: id} }
	tests := []struct {
		name string
		b    Bond
		s    *Slave
		want bool
	}{
		{"active-backup", Bond{Mode: ModeActiveBackup}, in(Unknown), true},
		{"802.3ad in the active aggregator", Bond{Mode: Mode8023AD, LACP: &LACP{ActiveAggregatorID: 1}}, in(1), true},
		{"802.3ad in another aggregator", Bond{Mode: Mode8023AD, LACP: &LACP{ActiveAggregatorID: 1}}, in(2), false},
		{"802.3ad in no aggregator (N/A)", Bond{Mode: Mode8023AD, LACP: &LACP{ActiveAggregatorID: 1}}, in(Unknown), false},
		{"802.3ad, no active aggregator", Bond{Mode: Mode8023AD, LACP: &LACP{NoActiveAggregator: true}}, in(1), false},
		{"802.3ad, active aggregator unknown (unprivileged /proc)", Bond{Mode: Mode8023AD, LACP: &LACP{ActiveAggregatorID: Unknown}}, in(2), true},
		{"802.3ad, /proc says the bond's carrier is off (min_links not met)", Bond{Mode: Mode8023AD, Sources: []string{SourceProc}, MIIStatus: "down", LACP: &LACP{ActiveAggregatorID: 1}}, in(1), false},
		{"active-backup, /proc says the bond is down", Bond{Mode: ModeActiveBackup, Sources: []string{SourceProc, SourceSys}, MIIStatus: "down"}, in(Unknown), false},
		// bonding_show_mii_status of 3.x/4.x kernels: "down" without a curr_active_slave, which 802.3ad never has.
		{"802.3ad, sysfs alone says the bond is down", Bond{Mode: Mode8023AD, Sources: []string{SourceSys}, MIIStatus: "down", LACP: &LACP{ActiveAggregatorID: 1}}, in(1), true},
	}
	for _, tc := range tests {
		if got := tc.b.CarriesTraffic(tc.s); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
