package collectors

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// arcconf (Adaptec / Microchip SmartRAID) prints "Key : Value" text in
// sections. `GETCONFIG n AL` holds the controller, its battery or ZMM, the
// logical devices with their segments (member drives) and the physical
// devices; `GETSTATUS n` the tasks running (a rebuild and its percentage).

var (
	arcLDHeader   = regexp.MustCompile(`^Logical (?:device|drive) number (\d+)$`)
	arcPDHeader   = regexp.MustCompile(`^Device #(\d+)$`)
	arcSegment    = regexp.MustCompile(`^(?:Group \d+, )?Segment \d+$`)
	arcSegValue   = regexp.MustCompile(`^(\S+(?: \S+)*?) \((?:Controller:\d+,)?(?:Enclosure:(\d+),Slot:(\d+)|(\d+),(\d+))\)`)
	arcLocation   = regexp.MustCompile(`^Enclosure (\d+), Slot (\d+)`)
	arcChannelDev = regexp.MustCompile(`^(\d+),(\d+)`)
)

// parseArcconfConfig parses `arcconf GETCONFIG n AL` output into controller n.
func parseArcconfConfig(data []byte, n int) (RAIDController, error) {
	ctl := RAIDController{Tool: "arcconf", ID: "c" + strconv.Itoa(n)}
	type seg struct {
		vd       int
		state    string
		byLoc    string
		byChanDv string
	}
	var (
		segs     []seg
		section  string // "controller", "battery", "zmm", "ld", "pd"
		vd       *RAIDVolume
		pd       *RAIDDrive
		pdIsDisk bool
		chanDev  = map[string]int{} // "0,5" -> index in ctl.Drives
		found    bool
		complete bool
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "---"):
			continue
		case strings.HasPrefix(line, "Controllers found:"):
			found = true
			if strings.TrimSpace(strings.TrimPrefix(line, "Controllers found:")) == "0" {
				return ctl, fmt.Errorf("collectors: arcconf: %q: %w", line, ErrNoController)
			}
			continue
		case strings.HasPrefix(line, "Command completed successfully"):
			complete = true
			continue
		case strings.HasPrefix(line, "Invalid controller number"):
			return ctl, fmt.Errorf("collectors: arcconf: %q: %w", line, ErrNoController)
		case line == "Controller information":
			section = "controller"
			continue
		case line == "Controller Battery Information":
			section = "battery"
			continue
		case line == "Controller ZMM Information":
			section = "zmm"
			continue
		case strings.HasPrefix(line, "Controller ") && strings.HasSuffix(line, "Information"),
			line == "Controller Vital Product Data":
			section = "other"
			continue
		}
		if m := arcLDHeader.FindStringSubmatch(line); m != nil {
			id := "ld" + m[1]
			ctl.VDs = append(ctl.VDs, newVolume(id))
			vd, section = &ctl.VDs[len(ctl.VDs)-1], "ld"
			vd.Target, _ = strconv.Atoi(m[1])
			continue
		}
		if m := arcPDHeader.FindStringSubmatch(line); m != nil {
			pd, pdIsDisk, section = nil, false, "pd"
			continue
		}
		if section == "pd" && strings.HasPrefix(line, "Device is a") {
			pdIsDisk = strings.Contains(line, "Hard drive") || strings.Contains(line, "Solid State")
			if pdIsDisk {
				ctl.Drives = append(ctl.Drives, newDrive(""))
				pd = &ctl.Drives[len(ctl.Drives)-1]
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch section {
		case "controller":
			switch k {
			case "Controller Status":
				ctl.Status, ctl.StatusOK = v, statusWordOK(v)
			case "Controller Model":
				ctl.Model = v
			}
		case "battery", "zmm":
			if k == "Status" {
				lv := strings.ToLower(v)
				if strings.Contains(lv, "not installed") || strings.Contains(lv, "not present") {
					continue
				}
				ctl.Cache.Backup = map[string]string{"battery": "battery", "zmm": "zmm"}[section]
				ctl.Cache.BackupStatus = v
				ctl.Cache.BackupOK = statusWordOK(v) || strings.Contains(lv, "optimal") || strings.Contains(lv, "charging") && !strings.Contains(lv, "fail")
			}
		case "ld":
			switch {
			case k == "Logical device name" || k == "Logical drive name":
				vd.Name = v
			case k == "RAID level":
				vd.Level = normRAIDLevel(v)
			case k == "Status of logical device" || k == "Status of logical drive":
				vd.RawState, vd.State = v, arcVDState(v)
			case arcSegment.MatchString(k):
				if m := arcSegValue.FindStringSubmatch(v); m != nil {
					s := seg{vd: len(ctl.VDs) - 1, state: m[1]}
					if m[2] != "" {
						s.byLoc = m[2] + ":" + m[3]
					} else {
						s.byChanDv = m[4] + "," + m[5]
					}
					segs = append(segs, s)
				}
			}
		case "pd":
			if pd == nil || !pdIsDisk {
				continue
			}
			switch {
			case k == "State":
				pd.RawState, pd.State = v, arcDriveState(v)
			case k == "Reported Location":
				if m := arcLocation.FindStringSubmatch(v); m != nil {
					pd.ID = m[1] + ":" + m[2]
				}
			case strings.HasPrefix(k, "Reported Channel,Device"):
				if m := arcChannelDev.FindStringSubmatch(v); m != nil {
					if pd.ID == "" {
						pd.ID = m[1] + "," + m[2]
					}
					chanDev[m[1]+","+m[2]] = len(ctl.Drives) - 1
				}
			case k == "Serial number":
				pd.Serial = v
			case k == "Model":
				pd.Model = v
			case k == "PFA":
				if strings.EqualFold(v, "Yes") {
					pd.PredictiveFailures = 1
				}
			case k == "S.M.A.R.T. warnings":
				if n, err := strconv.Atoi(v); err == nil && n > 0 {
					pd.SmartAlert = true
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return ctl, fmt.Errorf("collectors: arcconf: %w", err)
	}
	if !found && ctl.Status == "" {
		return ctl, errors.New("collectors: arcconf getconfig: no \"Controllers found\" or \"Controller Status\" in the output")
	}
	if !complete && ctl.Status == "" {
		return ctl, errors.New("collectors: arcconf getconfig: the command did not complete successfully")
	}
	// chanDev was filled while reading the drives, after the segments.
	for i := range ctl.Drives {
		d := &ctl.Drives[i]
		if d.ID == "" {
			d.ID = "#" + strconv.Itoa(i)
		}
	}
	for _, s := range segs {
		id := s.byLoc
		if id == "" {
			id = s.byChanDv
			if i, ok := chanDev[s.byChanDv]; ok {
				id = ctl.Drives[i].ID
			}
		}
		v := &ctl.VDs[s.vd]
		v.Members = append(v.Members, id)
		v.Group = v.ID
		d := ctl.Drive(id)
		if d == nil {
			ctl.Drives = append(ctl.Drives, newDrive(id))
			d = &ctl.Drives[len(ctl.Drives)-1]
		}
		d.Group = v.ID
		// The segment's own state is the drive's state in this VD: the worse wins.
		if ss := arcSegmentState(s.state); d.State == "" || d.State == DriveOnline && ss != DriveOnline {
			d.State = ss
			if d.RawState == "" || ss != DriveOnline {
				d.RawState = s.state
			}
		}
	}
	return ctl, nil
}

// parseArcconfStatus parses `arcconf GETSTATUS n`: the logical device of
// each task and its percentage. It returns logical device number ->
// (operation, percentage).
func parseArcconfStatus(data []byte) (map[int]arcTask, error) {
	out := map[int]arcTask{}
	cur := Unknown
	var t arcTask
	seen := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "Controllers found:") || strings.HasPrefix(line, "Command completed") {
			seen = true
		}
		if strings.HasPrefix(line, "Invalid controller number") {
			return nil, fmt.Errorf("collectors: arcconf getstatus: %q: %w", line, ErrNoController)
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "Logical device", "Logical Device", "Logical drive":
			if cur != Unknown {
				out[cur] = t
			}
			cur, t = Unknown, arcTask{Percent: Unknown}
			if n, err := strconv.Atoi(v); err == nil {
				cur = n
			}
		case "Current operation":
			t.Operation = v
		case "Percentage complete":
			if n, err := strconv.Atoi(v); err == nil {
				t.Percent = n
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("collectors: arcconf getstatus: %w", err)
	}
	if !seen {
		return nil, errors.New("collectors: arcconf getstatus: no \"Controllers found\" or \"Command completed\" in the output")
	}
	if cur != Unknown {
		out[cur] = t
	}
	return out, nil
}

// arcTask is one task of `arcconf GETSTATUS`.
type arcTask struct {
	Operation string
	Percent   int
}

// applyArcconfStatus marks the VDs with a rebuild task as rebuilding (when
// they are not worse) and records its percentage.
func applyArcconfStatus(ctl *RAIDController, tasks map[int]arcTask) {
	for n, t := range tasks {
		v := ctl.Volume("ld" + strconv.Itoa(n))
		if v == nil || !strings.Contains(strings.ToLower(t.Operation), "rebuild") {
			continue
		}
		v.Progress = t.Percent
		if v.State == VDOptimal {
			v.State = VDRebuild
		}
	}
}

// arcVDState maps an arcconf logical device status.
func arcVDState(s string) string {
	l := strings.ToLower(s)
	switch {
	case l == "optimal" || l == "okay" || l == "ok":
		return VDOptimal
	case strings.Contains(l, "rebuild"):
		return VDRebuild
	case strings.Contains(l, "degraded"), strings.Contains(l, "critical"), strings.Contains(l, "impacted"), strings.Contains(l, "suboptimal"):
		return VDDegraded
	case strings.Contains(l, "offline"):
		return VDOffline
	case strings.Contains(l, "fail"):
		return VDFailed
	}
	return VDUnknown
}

// arcDriveState maps an arcconf physical device state.
func arcDriveState(s string) string {
	l := strings.ToLower(s)
	switch {
	case l == "online" || l == "optimal":
		return DriveOnline
	case strings.Contains(l, "rebuild"):
		return DriveRebuilding
	case strings.Contains(l, "defunct"), strings.Contains(l, "fail"):
		return DriveFailed
	case strings.Contains(l, "spare"):
		return DriveSpare
	case l == "ready", strings.Contains(l, "raw"), strings.Contains(l, "unconfigured"):
		return DriveUnconfigured
	case strings.Contains(l, "offline"):
		return DriveDown
	case strings.Contains(l, "missing"):
		return DriveMissing
	}
	return DriveUnknown
}

// arcSegmentState maps a segment's state ("Present", "Rebuilding",
// "Missing", "Inconsistent").
func arcSegmentState(s string) string {
	l := strings.ToLower(s)
	switch {
	case l == "present":
		return DriveOnline
	case strings.Contains(l, "rebuild"):
		return DriveRebuilding
	case strings.Contains(l, "missing"):
		return DriveMissing
	case strings.Contains(l, "inconsistent"), strings.Contains(l, "fail"), strings.Contains(l, "defunct"):
		return DriveFailed
	}
	return DriveUnknown
}
