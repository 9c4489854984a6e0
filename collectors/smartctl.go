package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// SmartCollector is the Collector of the errors of the SMART source.
const SmartCollector = "smart"

// smartctlMaxBytes bounds one captured smartctl JSON file (a full `-x`
// output of a SAS disk is about 60 KiB).
const smartctlMaxBytes = 4 << 20

// smartctl exit-status bits (smartctl(8) "EXIT STATUS").
const (
	// SmartExitCmdline (bit 0): the command line did not parse.
	SmartExitCmdline = 1 << 0
	// SmartExitOpen (bit 1): the device could not be opened, or is in a low-power mode.
	SmartExitOpen = 1 << 1
	// SmartExitCommand (bit 2): some SMART or other ATA command to the disk failed, or a checksum error.
	SmartExitCommand = 1 << 2
	// SmartExitFailing (bit 3): SMART status check returned "DISK FAILING".
	SmartExitFailing = 1 << 3
	// SmartExitPrefail (bit 4): prefail attributes at or below their threshold.
	SmartExitPrefail = 1 << 4
	// SmartExitPastPrefail (bit 5): some attributes were at or below their threshold in the past.
	SmartExitPastPrefail = 1 << 5
	// SmartExitErrorLog (bit 6): the device error log contains records of errors.
	SmartExitErrorLog = 1 << 6
	// SmartExitSelfTestLog (bit 7): the self-test log contains records of errors.
	SmartExitSelfTestLog = 1 << 7
)

// smartExitWords are the words of exit-status bits 2–7.
var smartExitWords = []struct {
	bit  int
	word string
}{
	{SmartExitCmdline, "command line did not parse"},
	{SmartExitOpen, "device open failed or device in low-power mode"},
	{SmartExitCommand, "a SMART or ATA command failed or a checksum error"},
	{SmartExitFailing, "SMART status says DISK FAILING"},
	{SmartExitPrefail, "prefail attributes at or below threshold"},
	{SmartExitPastPrefail, "attributes were at or below threshold in the past"},
	{SmartExitErrorLog, "error log has records of errors"},
	{SmartExitSelfTestLog, "self-test log has records of errors"},
}

// SmartExitWords decodes a smartctl exit status bit by bit into words.
func SmartExitWords(status int) []string {
	var out []string
	for _, w := range smartExitWords {
		if status&w.bit != 0 {
			out = append(out, w.word)
		}
	}
	return out
}

// nvmeCriticalWarningWords are the bits of the NVMe SMART / Health log's
// Critical Warning byte (NVM Express Base Specification, Get Log Page 02h).
var nvmeCriticalWarningWords = []string{
	"available spare below threshold",
	"temperature above or below threshold",
	"reliability degraded by media or internal errors",
	"media placed in read-only mode",
	"volatile memory backup device failed",
	"persistent memory region read-only or unreliable",
}

// NVMeCriticalWarningWords decodes an NVMe critical_warning bit by bit into
// words; a bit the specification does not define is named by its number.
func NVMeCriticalWarningWords(cw int) []string {
	var out []string
	for bit := 0; bit < 8; bit++ {
		if cw&(1<<bit) == 0 {
			continue
		}
		if bit < len(nvmeCriticalWarningWords) {
			out = append(out, nvmeCriticalWarningWords[bit])
		} else {
			out = append(out, fmt.Sprintf("reserved bit %d", bit))
		}
	}
	return out
}

// SmartReport is one disk's health as `smartctl --json` (smartmontools ≥ 7)
// printed it, read from ROOT/smartctl/<disk>.json. An integer fact the
// output does not hold is Unknown.
type SmartReport struct {
	// Disk is the file's name without .json ("sda"), the disk's kernel name.
	Disk string `json:"disk"`
	// Device is device.name, e.g. "/dev/sda", "/dev/bus/0".
	Device string `json:"device"`
	// Type is device.type, e.g. "sat", "nvme", "scsi", "sat+megaraid,0".
	Type string `json:"type"`
	// Protocol is device.protocol: "ATA", "NVMe" or "SCSI".
	Protocol string `json:"protocol"`
	// Model is model_name, else scsi_vendor + scsi_product.
	Model string `json:"model"`
	// Serial is serial_number.
	Serial string `json:"serial"`
	// CapacityBytes is user_capacity.bytes, else nvme_total_capacity; Unknown when neither.
	CapacityBytes int64 `json:"capacity_bytes"`
	// ExitStatus is smartctl.exit_status; 0 when the output has no smartctl object.
	ExitStatus int `json:"exit_status"`
	// Messages are smartctl.messages[].string.
	Messages []string `json:"messages,omitempty"`
	// Passed is smart_status.passed; nil when the output has no smart_status.
	Passed *bool `json:"smart_passed"`
	// CriticalWarning is nvme_smart_health_information_log.critical_warning.
	CriticalWarning int `json:"critical_warning"`
	// AvailableSpare and AvailableSpareThreshold are the NVMe log's
	// available_spare and available_spare_threshold, in percent.
	AvailableSpare          int `json:"available_spare"`
	AvailableSpareThreshold int `json:"available_spare_threshold"`
	// PercentageUsed is the NVMe log's percentage_used (may exceed 100).
	PercentageUsed int `json:"percentage_used"`
	// MediaErrors is the NVMe log's media_errors.
	MediaErrors int64 `json:"media_errors"`
	// Reallocated, Pending and OfflineUncorrectable are the raw values of
	// ATA attributes 5, 197 and 198 (ata_smart_attributes.table).
	Reallocated          int64 `json:"reallocated_sectors"`
	Pending              int64 `json:"pending_sectors"`
	OfflineUncorrectable int64 `json:"offline_uncorrectable"`
	// GrownDefects is scsi_grown_defect_list.
	GrownDefects int64 `json:"grown_defects"`
	// SelfTestFailed is true when the newest self-test in the ATA or NVMe
	// self-test log failed.
	SelfTestFailed bool `json:"self_test_failed"`
	// TemperatureC is temperature.current, in °C.
	TemperatureC int `json:"temperature_celsius"`
	// NoSmart is set when smartctl says the device has no SMART at all
	// (smart_support.available false: a virtual disk, a RAID volume):
	// nothing is claimed about its health, and it is not an error.
	NoSmart bool `json:"no_smart,omitempty"`
}

// Unreadable returns why smartctl could not read the disk's health (exit
// bits 0–1, or no health data at all), or "" when it could. Bit 2 alone
// (one command failed) leaves what was read standing.
func (r *SmartReport) Unreadable() string {
	if r.ExitStatus&(SmartExitCmdline|SmartExitOpen) != 0 {
		why := strings.Join(SmartExitWords(r.ExitStatus&(SmartExitCmdline|SmartExitOpen)), "; ")
		if len(r.Messages) > 0 {
			why += ": " + strings.Join(r.Messages, "; ")
		}
		return fmt.Sprintf("smartctl exit status %d (%s)", r.ExitStatus, why)
	}
	if r.NoSmart && r.Passed == nil {
		return ""
	}
	if r.Passed == nil && r.CriticalWarning == Unknown && r.Reallocated == Unknown && r.GrownDefects == Unknown {
		why := "no SMART health in the output"
		if len(r.Messages) > 0 {
			why += ": " + strings.Join(r.Messages, "; ")
		}
		return fmt.Sprintf("smartctl exit status %d (%s)", r.ExitStatus, why)
	}
	return ""
}

// smartctlJSON is the part of `smartctl --json` output that is read.
type smartctlJSON struct {
	Smartctl *struct {
		ExitStatus int `json:"exit_status"`
		Messages   []struct {
			String string `json:"string"`
		} `json:"messages"`
	} `json:"smartctl"`
	Device struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Protocol string `json:"protocol"`
	} `json:"device"`
	ModelName    string `json:"model_name"`
	ScsiVendor   string `json:"scsi_vendor"`
	ScsiProduct  string `json:"scsi_product"`
	SerialNumber string `json:"serial_number"`
	UserCapacity *struct {
		Bytes int64 `json:"bytes"`
	} `json:"user_capacity"`
	NVMeTotalCapacity *int64 `json:"nvme_total_capacity"`
	SmartStatus       *struct {
		Passed *bool `json:"passed"`
	} `json:"smart_status"`
	SmartSupport *struct {
		Available *bool `json:"available"`
	} `json:"smart_support"`
	NVMeLog *struct {
		CriticalWarning         int   `json:"critical_warning"`
		AvailableSpare          *int  `json:"available_spare"`
		AvailableSpareThreshold *int  `json:"available_spare_threshold"`
		PercentageUsed          *int  `json:"percentage_used"`
		MediaErrors             int64 `json:"media_errors"`
	} `json:"nvme_smart_health_information_log"`
	ATAAttributes *struct {
		Table []struct {
			ID  int `json:"id"`
			Raw struct {
				Value int64 `json:"value"`
			} `json:"raw"`
		} `json:"table"`
	} `json:"ata_smart_attributes"`
	GrownDefects *int64 `json:"scsi_grown_defect_list"`
	ATASelfTests *struct {
		Standard struct {
			Table []struct {
				Status struct {
					Passed *bool `json:"passed"`
				} `json:"status"`
			} `json:"table"`
		} `json:"standard"`
	} `json:"ata_smart_self_test_log"`
	NVMeSelfTests *struct {
		Table []struct {
			Result struct {
				Value int `json:"value"`
			} `json:"self_test_result"`
		} `json:"table"`
	} `json:"nvme_self_test_log"`
	Temperature *struct {
		Current *int `json:"current"`
	} `json:"temperature"`
}

// parseSmartctl parses one `smartctl --json` output. It fails only on
// output that is not a JSON object; what the output lacks is Unknown (see
// SmartReport.Unreadable).
func parseSmartctl(data []byte) (SmartReport, error) {
	var j smartctlJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return SmartReport{}, fmt.Errorf("collectors: smartctl json: %w", err)
	}
	r := SmartReport{
		Device: j.Device.Name, Type: j.Device.Type, Protocol: j.Device.Protocol,
		Model: j.ModelName, Serial: j.SerialNumber, CapacityBytes: Unknown,
		CriticalWarning: Unknown, AvailableSpare: Unknown, AvailableSpareThreshold: Unknown,
		PercentageUsed: Unknown, MediaErrors: Unknown, Reallocated: Unknown, Pending: Unknown,
		OfflineUncorrectable: Unknown, GrownDefects: Unknown, TemperatureC: Unknown,
	}
	if r.Model == "" {
		r.Model = strings.TrimSpace(j.ScsiVendor + " " + j.ScsiProduct)
	}
	if j.Smartctl != nil {
		r.ExitStatus = j.Smartctl.ExitStatus
		for _, m := range j.Smartctl.Messages {
			r.Messages = append(r.Messages, m.String)
		}
	}
	if j.UserCapacity != nil {
		r.CapacityBytes = j.UserCapacity.Bytes
	} else if j.NVMeTotalCapacity != nil {
		r.CapacityBytes = *j.NVMeTotalCapacity
	}
	if j.SmartSupport != nil && j.SmartSupport.Available != nil && !*j.SmartSupport.Available {
		r.NoSmart = true
	}
	if j.SmartStatus != nil && j.SmartStatus.Passed != nil {
		p := *j.SmartStatus.Passed
		r.Passed = &p
	}
	if l := j.NVMeLog; l != nil {
		r.CriticalWarning, r.MediaErrors = l.CriticalWarning, l.MediaErrors
		r.AvailableSpare = intOr(l.AvailableSpare)
		r.AvailableSpareThreshold = intOr(l.AvailableSpareThreshold)
		r.PercentageUsed = intOr(l.PercentageUsed)
	}
	if a := j.ATAAttributes; a != nil {
		r.Reallocated, r.Pending, r.OfflineUncorrectable = 0, 0, 0
		for _, at := range a.Table {
			switch at.ID {
			case 5:
				r.Reallocated = at.Raw.Value
			case 197:
				r.Pending = at.Raw.Value
			case 198:
				r.OfflineUncorrectable = at.Raw.Value
			}
		}
	}
	if j.GrownDefects != nil {
		r.GrownDefects = *j.GrownDefects
	}
	if st := j.ATASelfTests; st != nil && len(st.Standard.Table) > 0 {
		p := st.Standard.Table[0].Status.Passed
		r.SelfTestFailed = p != nil && !*p
	}
	if st := j.NVMeSelfTests; st != nil && len(st.Table) > 0 {
		// 5: fatal or unknown error, 6: unknown failed segment, 7: failed segments.
		v := st.Table[0].Result.Value
		r.SelfTestFailed = r.SelfTestFailed || v >= 5 && v <= 7
	}
	if j.Temperature != nil && j.Temperature.Current != nil {
		r.TemperatureC = *j.Temperature.Current
	}
	return r, nil
}

func intOr(p *int) int {
	if p == nil {
		return Unknown
	}
	return *p
}

// smartSource reads the disks' SMART and NVMe health: the captured
// outputs in --root mode, the live cache (when it has one) on a live host.
type smartSource struct {
	cache *SmartCache
}

func (smartSource) Name() string { return SmartCollector }

func (src smartSource) Collect(_ context.Context, r Roots) (Part, error) {
	if r.Live && src.cache != nil {
		disks, errs, st, reads := src.cache.read()
		for _, rd := range reads {
			if rd.raw != nil {
				hostfs.RecordOutput(SmartCaptureName(rd.target.name), rd.raw)
			}
		}
		return Part{Set: func(s *Snapshot) { s.Disks, s.Smart = disks, &st }, Errors: errs}, nil
	}
	disks, errs, st := collectSmart(r)
	return Part{Set: func(s *Snapshot) { s.Disks, s.Smart = disks, st }, Errors: errs}, nil
}

// SmartctlDir is where a captured tree holds `smartctl --json` outputs,
// one <disk>.json per disk (ROOT/smartctl, beside ROOT/sys); "" on a live host.
func SmartctlDir(r Roots) string {
	if r.Live {
		return ""
	}
	return filepath.Join(filepath.Dir(r.Sys), "smartctl")
}

// collectSmart reads ROOT/smartctl/<disk>.json in --root mode. On a live
// host without a SmartCache there are no disks and no error: nothing is
// claimed about them. A disk smartctl could not read is an Error (UNKNOWN)
// with the file and the reason, and no Disk.
func collectSmart(r Roots) ([]Disk, []Error, *SmartStatus) {
	dir := SmartctlDir(r)
	if dir == "" {
		return nil, nil, nil
	}
	ents, err := hostfs.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	st := &SmartStatus{Source: SmartSourceCapture}
	if err != nil {
		return nil, []Error{hostfs.New(SmartCollector, dir, fmt.Errorf("list smartctl outputs: %w", err))}, st
	}
	var (
		disks []Disk
		errs  []Error
	)
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || name == "" || e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := hostfs.ReadFile(path, smartctlMaxBytes)
		if err != nil {
			errs = append(errs, hostfs.New(SmartCollector, path, fmt.Errorf("read smartctl output: %w", err)))
			continue
		}
		d, derr := smartDisk(name, path, data)
		if derr != nil {
			errs = append(errs, *derr)
			continue
		}
		disks = append(disks, d)
	}
	sort.Slice(disks, func(i, j int) bool { return disks[i].Name < disks[j].Name })
	return disks, errs, st
}

// Disk is one whole disk and its health.
type Disk struct {
	// Name is the disk's kernel name ("sda", "nvme0n1").
	Name string `json:"name"`
	// Smart is its SMART / NVMe health (ROOT/smartctl/<name>.json, or the
	// live cache's last smartctl run).
	Smart SmartReport `json:"smart"`
	// Grew are the counters (SmartMediaErrors, ...) that rose since the
	// live cache's previous read of the disk, with their previous value;
	// nil in --root mode and on the first read.
	Grew map[string]int64 `json:"grew,omitempty"`
}
