package collectors

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// storcli, perccli (Broadcom MegaRAID and Dell PERC) and storcli2/perccli2
// (MegaRAID 95xx/96xx) print the same JSON shape with `J`:
//
//	{"Controllers": [{"Command Status": {"Controller": 0, "Status": "Success"|"Failure",
//	  "Description": ..., "Detailed Status": [...]}, "Response Data": {...}}]}
//
// parseStorcli reads every part of "Response Data" that says something about
// redundancy, whichever command printed it: `/cx show all` (Basics, Status,
// TOPOLOGY, VD LIST, PD LIST, Cachevault_Info, BBU_Info, Energy Pack Info),
// `/cx/eall/sall show all` ("Drive /c0/e252/s0" rows and their "Detailed
// Information" counters), `/cx/vall show all` ("/c0/v0", "PDs for VD 0",
// "VD0 Properties"), `/cx/eX/sY show` ("Drive Information"), `/cx/fall show`
// ("FOREIGN CONFIGURATION") and `/cx/cv show all` (Property/Value lists).

// storcliJSON is the envelope of every storcli JSON output.
type storcliJSON struct {
	Controllers []struct {
		CommandStatus struct {
			Controller     any    `json:"Controller"`
			Status         string `json:"Status"`
			Description    string `json:"Description"`
			DetailedStatus []struct {
				ErrMsg string `json:"ErrMsg"`
				ErrCd  any    `json:"ErrCd"`
				Status string `json:"Status"`
			} `json:"Detailed Status"`
		} `json:"Command Status"`
		ResponseData map[string]json.RawMessage `json:"Response Data"`
	} `json:"Controllers"`
}

// ErrNoController is a RAID tool saying it found no controller: the tool is
// installed but sees nothing, which is UNKNOWN (a broken driver or a
// controller gone), never OK.
var ErrNoController = errors.New("the tool found no controller")

// storcliOutput is one parsed storcli output: the controllers it described.
type storcliOutput struct {
	Controllers []RAIDController
}

// parseStorcli parses one storcli/perccli/storcli2 JSON output.
func parseStorcli(data []byte) (storcliOutput, error) {
	var j storcliJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return storcliOutput{}, fmt.Errorf("collectors: storcli json: %w", err)
	}
	if len(j.Controllers) == 0 {
		return storcliOutput{}, errors.New("collectors: storcli json: no \"Controllers\" in the output")
	}
	var out storcliOutput
	for i, c := range j.Controllers {
		cs := c.CommandStatus
		if !strings.EqualFold(cs.Status, "Success") {
			if strings.Contains(strings.ToLower(cs.Description), "no controller found") {
				return storcliOutput{}, fmt.Errorf("collectors: storcli: %q: %w", cs.Description, ErrNoController)
			}
			var msgs []string
			cvOnly := len(cs.DetailedStatus) > 0
			for _, d := range cs.DetailedStatus {
				msgs = append(msgs, d.ErrMsg)
				if !strings.Contains(d.ErrMsg, "/cx/cv") {
					cvOnly = false
				}
			}
			if cvOnly {
				// `/cx/bbu show` on a CacheVault controller: not a fault, the
				// backup is read from /cx/cv (or Cachevault_Info).
				continue
			}
			return storcliOutput{}, fmt.Errorf("collectors: storcli: controller %d: command status %q: %s %s",
				i, cs.Status, cs.Description, strings.Join(msgs, "; "))
		}
		ctl := RAIDController{Tool: "storcli", ID: "c" + anyString(cs.Controller)}
		if anyString(cs.Controller) == "" {
			ctl.ID = "c" + strconv.Itoa(i)
		}
		if err := storcliResponse(&ctl, c.ResponseData); err != nil {
			return storcliOutput{}, fmt.Errorf("collectors: storcli: %s: %w", ctl.ID, err)
		}
		out.Controllers = append(out.Controllers, ctl)
	}
	return out, nil
}

// anyString renders a JSON scalar (number or string) as text, trimmed.
func anyString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// anyInt is a JSON scalar as an int; Unknown when it is none.
func anyInt(v any) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return n
		}
	}
	return Unknown
}

type row = map[string]any

var (
	storcliDriveKey  = regexp.MustCompile(`^Drive (/c\d+/e\d+/s\d+|/c\d+/s\d+)$`)
	storcliDetailKey = regexp.MustCompile(`^Drive (/c\d+(?:/e\d+)?/s\d+) - Detailed Information$`)
	storcliVDKey     = regexp.MustCompile(`^/c\d+/v\d+$`)
	storcliVDPDsKey  = regexp.MustCompile(`^PDs for VD (\d+)$`)
	storcliVDPropKey = regexp.MustCompile(`^VD(\d+) Properties$`)
)

// storcliResponse fills ctl from one controller's "Response Data".
func storcliResponse(ctl *RAIDController, rd map[string]json.RawMessage) error {
	keys := make([]string, 0, len(rd))
	for k := range rd {
		keys = append(keys, k)
	}
	sort.Strings(keys)            // "/c0/v0" before "PDs for VD 0" before "VD0 Properties"
	topo := map[string][]string{} // drive group -> member drive IDs from TOPOLOGY
	topoSeen := false
	for _, k := range keys {
		raw := rd[k]
		switch {
		case k == "Basics":
			var b row
			if err := json.Unmarshal(raw, &b); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			ctl.Model = firstString(b, "Model", "Product Name")
			ctl.PCIAddress = storcliPCI(anyString(b["PCI Address"]))
		case k == "Status":
			var s row
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			ctl.Status = anyString(s["Controller Status"])
			ctl.StatusOK = statusWordOK(ctl.Status)
			// "BBU Status": 0 is good, "NA" is none fitted; any other number
			// is a fault bit set by the firmware.
			if v, ok := s["BBU Status"]; ok && ctl.Cache.Backup == "" {
				if st := anyString(v); st != "" && !strings.EqualFold(st, "NA") {
					ctl.Cache.Backup, ctl.Cache.BackupStatus, ctl.Cache.BackupOK = "bbu", st, st == "0"
				}
			}
		case k == "VD LIST" || storcliVDKey.MatchString(k):
			var rows []row
			if err := json.Unmarshal(raw, &rows); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			for _, r := range rows {
				storcliVD(ctl, r)
			}
		case k == "PD LIST" || k == "Drive Information" || storcliDriveKey.MatchString(k) || storcliVDPDsKey.MatchString(k):
			var rows []row
			if err := json.Unmarshal(raw, &rows); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			for _, r := range rows {
				storcliPD(ctl, r)
			}
			if m := storcliVDPDsKey.FindStringSubmatch(k); m != nil {
				if vd := ctl.Volume("v" + m[1]); vd != nil && len(vd.Members) == 0 {
					for _, r := range rows {
						vd.Members = append(vd.Members, anyString(r["EID:Slt"]))
					}
				}
			}
		case storcliDetailKey.MatchString(k):
			var d map[string]any
			if err := json.Unmarshal(raw, &d); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			storcliDetail(ctl, storcliDetailKey.FindStringSubmatch(k)[1], d)
		case k == "Virtual Drives":
			// storcli2 `/cx/vall show all`: [{"VD Info": row, "PDs": [rows], "VD Properties": {...}}];
			// storcli's `/cx show all` has the count here instead.
			var vds []struct {
				Info  row   `json:"VD Info"`
				PDs   []row `json:"PDs"`
				Props row   `json:"VD Properties"`
			}
			if json.Unmarshal(raw, &vds) != nil {
				continue
			}
			for _, v := range vds {
				vd := storcliVD(ctl, v.Info)
				for _, r := range v.PDs {
					storcliPD(ctl, r)
					if vd != nil {
						vd.Members = append(vd.Members, anyString(r["EID:Slt"]))
					}
				}
				if vd != nil {
					vd.OSDevice = anyString(v.Props["OS Drive Name"])
				}
			}
		case storcliVDPropKey.MatchString(k):
			var p row
			if err := json.Unmarshal(raw, &p); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			if vd := ctl.Volume("v" + storcliVDPropKey.FindStringSubmatch(k)[1]); vd != nil {
				vd.OSDevice = anyString(p["OS Drive Name"])
			}
		case k == "TOPOLOGY":
			var rows []row
			if err := json.Unmarshal(raw, &rows); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			topoSeen = true
			for _, r := range rows {
				if !strings.EqualFold(anyString(r["Type"]), "DRIVE") {
					continue
				}
				dg := anyString(r["DG"])
				id := anyString(r["EID:Slot"])
				state := anyString(r["State"])
				if id == "" || id == "-" {
					id = fmt.Sprintf("(missing %s.%s)", anyString(r["Arr"])+anyString(r["Span"]), anyString(r["Row"]))
					if ctl.Drive(id) == nil {
						d := newDrive(id)
						d.Group, d.RawState, d.State = dg, state, DriveMissing
						ctl.Drives = append(ctl.Drives, d)
					}
				} else if ctl.Drive(id) == nil {
					d := newDrive(id)
					d.Group, d.RawState = dg, state
					d.State = storcliDriveState(state, anyString(r["Status"]))
					ctl.Drives = append(ctl.Drives, d)
				}
				topo[dg] = append(topo[dg], id)
			}
		case k == "Cachevault_Info" || k == "BBU_Info" || k == "Energy Pack Info":
			var rows []row
			if err := json.Unmarshal(raw, &rows); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			st := ""
			for _, r := range rows {
				if p := anyString(r["Property"]); p != "" {
					if p == "State" || p == "Status" {
						st = anyString(r["Value"])
					}
					continue
				}
				st = firstString(r, "State", "Status")
			}
			kind := map[string]string{"Cachevault_Info": "cachevault", "BBU_Info": "bbu", "Energy Pack Info": "energy_pack"}[k]
			if st != "" {
				ctl.Cache.Backup, ctl.Cache.BackupStatus, ctl.Cache.BackupOK = kind, st, statusWordOK(st)
			}
		case k == "FOREIGN CONFIGURATION":
			var rows []row
			if err := json.Unmarshal(raw, &rows); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			dgs := map[string]bool{}
			for _, r := range rows {
				dgs[anyString(r["DG"])] = true
			}
			ctl.Foreign = max(ctl.Foreign, len(dgs))
		case k == "Total foreign Drive Groups":
			var n any
			if err := json.Unmarshal(raw, &n); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			ctl.Foreign = max(ctl.Foreign, anyInt(n))
		}
	}
	// A VD's members: its drive group's drives in TOPOLOGY (missing ones
	// included), else the drives of that group in the PD list.
	for i := range ctl.VDs {
		vd := &ctl.VDs[i]
		if len(vd.Members) > 0 {
			continue
		}
		if topoSeen {
			vd.Members = topo[vd.Group]
			continue
		}
		for _, d := range ctl.Drives {
			if d.Group == vd.Group && d.Group != "" {
				vd.Members = append(vd.Members, d.ID)
			}
		}
	}
	return nil
}

func firstString(r row, keys ...string) string {
	for _, k := range keys {
		if s := anyString(r[k]); s != "" {
			return s
		}
	}
	return ""
}

// storcliPCI turns storcli's "00:02:00:00" (bus:dev:fn with a leading
// domain or segment) or storcli2's "00:16:00:0" into 0000:02:00.0.
func storcliPCI(s string) string {
	parts := strings.Split(s, ":")
	if len(parts) != 4 {
		return ""
	}
	var n [4]int
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 16, 16)
		if err != nil {
			return ""
		}
		n[i] = int(v)
	}
	if n[1] > 0xff || n[2] > 0x1f || n[3] > 7 {
		return ""
	}
	return pciFromBDF(n[0], n[1], n[2], n[3])
}

// storcliVD adds or updates the VD of one VD LIST row ("DG/VD": "0/1")
// and returns it; nil when the row names none.
func storcliVD(ctl *RAIDController, r row) *RAIDVolume {
	dg, vdn, ok := strings.Cut(anyString(r["DG/VD"]), "/")
	if !ok {
		return nil
	}
	id := "v" + vdn
	vd := ctl.Volume(id)
	if vd == nil {
		ctl.VDs = append(ctl.VDs, newVolume(id))
		vd = &ctl.VDs[len(ctl.VDs)-1]
	}
	vd.Group = dg
	vd.Name = anyString(r["Name"])
	vd.Level = normRAIDLevel(anyString(r["TYPE"]))
	vd.RawState = anyString(r["State"])
	vd.State = storcliVDState(vd.RawState)
	if t, err := strconv.Atoi(vdn); err == nil {
		vd.Target = t
	}
	// storcli2 prints the default and the current cache policy: write-back
	// by default but write-through now is write-back lost.
	if def, cur := anyString(r["DefaultCache"]), anyString(r["CurrentCache"]); strings.Contains(def, "WB") && strings.Contains(cur, "WT") {
		vd.CacheWTFallback = true
	}
	return vd
}

// storcliPD adds or updates the drive of one PD LIST row.
func storcliPD(ctl *RAIDController, r row) {
	id := anyString(r["EID:Slt"])
	if id == "" {
		return
	}
	d := ctl.Drive(id)
	if d == nil {
		ctl.Drives = append(ctl.Drives, newDrive(id))
		d = &ctl.Drives[len(ctl.Drives)-1]
	}
	d.RawState = anyString(r["State"])
	if st := anyString(r["Status"]); st != "" {
		d.RawState += "/" + st
	}
	d.State = storcliDriveState(anyString(r["State"]), anyString(r["Status"]))
	if dg := anyString(r["DG"]); dg != "-" {
		d.Group = dg
	} else {
		d.Group = ""
	}
	d.Model = anyString(r["Model"])
}

// storcliDetail reads a drive's "Detailed Information" counters.
func storcliDetail(ctl *RAIDController, path string, det map[string]any) {
	// path is "/c0/e252/s0": the drive's ID is "252:0".
	var eid, slot string
	for _, p := range strings.Split(path, "/") {
		switch {
		case strings.HasPrefix(p, "e"):
			eid = p[1:]
		case strings.HasPrefix(p, "s"):
			slot = p[1:]
		}
	}
	id := slot
	if eid != "" {
		id = eid + ":" + slot
	}
	d := ctl.Drive(id)
	if d == nil {
		return
	}
	if st, ok := det["Drive "+path+" State"].(map[string]any); ok {
		d.MediaErrors = anyInt(st["Media Error Count"])
		d.OtherErrors = anyInt(st["Other Error Count"])
		d.PredictiveFailures = anyInt(st["Predictive Failure Count"])
		d.SmartAlert = strings.EqualFold(anyString(st["S.M.A.R.T alert flagged by drive"]), "Yes")
	}
	if at, ok := det["Drive "+path+" Device attributes"].(map[string]any); ok {
		d.Serial = anyString(at["SN"])
	}
}

// storcliVDState maps storcli's VD state abbreviations.
func storcliVDState(s string) string {
	switch strings.ToLower(s) {
	case "optl", "optimal":
		return VDOptimal
	case "dgrd", "degraded":
		return VDDegraded
	case "pdgd", "partially degraded":
		return VDPartially
	case "rec", "rbld":
		return VDRebuild
	case "ofln", "offline":
		return VDOffline
	case "failed", "fail":
		return VDFailed
	}
	return VDUnknown
}

// storcliDriveState maps storcli's PD state (and storcli2's Status column).
func storcliDriveState(state, status string) string {
	switch strings.ToLower(status) {
	case "online":
		return DriveOnline
	case "offline":
		return DriveDown
	case "failed":
		return DriveFailed
	case "rebuild", "rebuilding", "copyback":
		return DriveRebuilding
	case "missing":
		return DriveMissing
	}
	switch strings.ToLower(state) {
	case "onln", "online", "conf":
		if strings.EqualFold(state, "conf") && status != "" && !strings.EqualFold(status, "Online") {
			return DriveUnknown
		}
		return DriveOnline
	case "offln", "offline":
		return DriveDown
	case "failed", "f":
		return DriveFailed
	case "rbld", "cpybck":
		return DriveRebuilding
	case "msng", "missing":
		return DriveMissing
	case "ghs", "dhs":
		return DriveSpare
	case "ugood", "uconf":
		if strings.EqualFold(status, "Bad") || strings.EqualFold(status, "Unusable") {
			return DriveUnconfBad
		}
		return DriveUnconfigured
	case "ubad", "ubunsp", "ugunsp":
		return DriveUnconfBad
	case "jbod":
		return DriveJBOD
	}
	return DriveUnknown
}

// storcliTextVDRow matches a row of storcli's text VD table:
// "0/0   RAID1 Dgrd  RW     Yes     NRWBC -   ON  557.861 GB      ".
var storcliTextVDRow = regexp.MustCompile(`^(\d+)/(\d+)\s+(\S+)\s+(\S+)\s`)

// parseStorcliText parses storcli's text output (without `J`) as far as its
// VD table and command status go: `/cx/vall show` and the VD LIST of
// `/cx show`. Older storcli builds and scripts keep text.
func parseStorcliText(data []byte) (storcliOutput, error) {
	ctl := RAIDController{Tool: "storcli", ID: "c0"}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	status, desc := "", ""
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, " = "); ok {
			switch strings.TrimSpace(k) {
			case "Controller":
				ctl.ID = "c" + strings.TrimSpace(v)
			case "Status":
				status = strings.TrimSpace(v)
			case "Description":
				desc = strings.TrimSpace(v)
			}
			continue
		}
		m := storcliTextVDRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		storcliVD(&ctl, row{"DG/VD": m[1] + "/" + m[2], "TYPE": m[3], "State": m[4]})
	}
	if err := sc.Err(); err != nil {
		return storcliOutput{}, fmt.Errorf("collectors: storcli text: %w", err)
	}
	if status == "" {
		return storcliOutput{}, errors.New("collectors: storcli text: no \"Status = \" line: not storcli output")
	}
	if !strings.EqualFold(status, "Success") {
		if strings.Contains(strings.ToLower(desc), "no controller found") {
			return storcliOutput{}, fmt.Errorf("collectors: storcli text: %q: %w", desc, ErrNoController)
		}
		return storcliOutput{}, fmt.Errorf("collectors: storcli text: status %q: %s", status, desc)
	}
	return storcliOutput{Controllers: []RAIDController{ctl}}, nil
}
