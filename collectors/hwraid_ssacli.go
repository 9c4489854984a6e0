package collectors

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ssacli (HPE Smart Array; hpacucli before it) prints indented text. One
// parser reads `ctrl all show config detail` (what the collector runs) and
// the shorter `ctrl all show status`, `ctrl all show config` and `ctrl slot=N
// logicaldrive all show`: a controller header at column 0 ("Smart Array
// P420i in Slot 0 (Embedded)"), then "Key: Value" lines, arrays ("array A",
// "array B (Failed)", "Array: A"), logical drives ("logicaldrive 1 (279.4 GB,
// RAID 1, OK)" or a "Logical Drive: 1" block) and physical drives
// ("physicaldrive 1I:1:1 (port 1I:box 1:bay 1, SAS, 300 GB, OK)" or a
// "physicaldrive 1I:1:1" block).

var (
	ssaCtrlHeader = regexp.MustCompile(`^(\S.*?) in (.+)$`)
	ssaSlot       = regexp.MustCompile(`^Slot (\w+)`)
	ssaArray      = regexp.MustCompile(`^(?:array ([A-Za-z]+)(?: \((.+)\))?|Array: ([A-Za-z]+))$`)
	ssaLDShort    = regexp.MustCompile(`^logicaldrive (\d+) \((.*)\)$`)
	ssaLDBlock    = regexp.MustCompile(`^Logical Drive: (\d+)$`)
	ssaPDShort    = regexp.MustCompile(`^physicaldrive (\S+) \((.*)\)$`)
	ssaPDBlock    = regexp.MustCompile(`^physicaldrive (\S+)$`)
)

// ssaBlock is what the "Status:" lines under the current header describe.
type ssaBlock int

const (
	ssaInCtrl ssaBlock = iota
	ssaInArray
	ssaInLD
	ssaInPD
	ssaInOther
)

// parseSsacli parses ssacli or hpacucli text output.
func parseSsacli(data []byte) ([]RAIDController, error) {
	var (
		ctls   []RAIDController
		ctl    *RAIDController
		array  string // the current array's letter; "" outside arrays
		arrays = map[string]string{}
		block  ssaBlock
		vd     *RAIDVolume
		pd     *RAIDDrive
	)
	ld := func(id string) *RAIDVolume {
		if v := ctl.Volume(id); v != nil {
			return v
		}
		ctl.VDs = append(ctl.VDs, newVolume(id))
		return &ctl.VDs[len(ctl.VDs)-1]
	}
	drive := func(id string) *RAIDDrive {
		if d := ctl.Drive(id); d != nil {
			return d
		}
		ctl.Drives = append(ctl.Drives, newDrive(id))
		return &ctl.Drives[len(ctl.Drives)-1]
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		raw := strings.TrimRight(sc.Text(), " \t\r")
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		if raw[0] != ' ' && raw[0] != '\t' {
			m := ssaCtrlHeader.FindStringSubmatch(line)
			if m == nil {
				continue // a banner ("FIRMWARE UPGRADE REQUIRED: ...") or its continuation
			}
			id := strings.ToLower(strings.Join(strings.Fields(m[2]), "_"))
			if s := ssaSlot.FindStringSubmatch(m[2]); s != nil {
				id = "slot" + s[1]
			}
			ssaFinish(ctl, arrays)
			ctls = append(ctls, RAIDController{Tool: "ssacli", ID: id, Model: m[1]})
			ctl, array, block, vd, pd = &ctls[len(ctls)-1], "", ssaInCtrl, nil, nil
			continue
		}
		if ctl == nil {
			continue
		}
		if m := ssaArray.FindStringSubmatch(line); m != nil {
			array = m[1] + m[3]
			if m[2] != "" {
				arrays[array] = m[2]
			}
			block, vd, pd = ssaInArray, nil, nil
			continue
		}
		if line == "unassigned" || line == "Physical Drives" || line == "HBA Drives" || line == "Unassigned" {
			array, block, vd, pd = "", ssaInOther, nil, nil
			continue
		}
		if m := ssaLDShort.FindStringSubmatch(line); m != nil {
			vd = ld("ld" + m[1])
			vd.Group = array
			fields := strings.Split(m[2], ", ")
			if len(fields) >= 3 {
				vd.Level = normRAIDLevel(fields[1])
				vd.RawState = strings.Join(fields[2:], ", ")
				vd.State = ssaVDState(vd.RawState)
			}
			block = ssaInLD
			continue
		}
		if m := ssaLDBlock.FindStringSubmatch(line); m != nil {
			vd = ld("ld" + m[1])
			vd.Group = array
			block = ssaInLD
			continue
		}
		if m := ssaPDShort.FindStringSubmatch(line); m != nil {
			d := drive(m[1])
			fields := strings.Split(m[2], ", ")
			st := fields[len(fields)-1]
			if st == "spare" || st == "active spare" {
				d.State, d.RawState = DriveSpare, st
				if len(fields) > 1 && !strings.EqualFold(fields[len(fields)-2], "OK") {
					d.State, d.RawState = ssaDriveState(fields[len(fields)-2]), fields[len(fields)-2]
				}
			} else {
				d.RawState, d.State = st, ssaDriveState(st)
			}
			if array != "" && d.State != DriveSpare {
				d.Group = array
			}
			continue // a listing line, not a block: the header stays
		}
		if m := ssaPDBlock.FindStringSubmatch(line); m != nil {
			pd = drive(m[1])
			if array != "" && pd.Group == "" {
				pd.Group = array
			}
			block = ssaInPD
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			block = ssaInOther // "SEP (...)", "Internal Drive Cage at ...": their Status is not ours
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "Port Name" {
			block = ssaInOther
			continue
		}
		switch block {
		case ssaInCtrl:
			switch k {
			case "Controller Status":
				ctl.Status, ctl.StatusOK = v, statusWordOK(v)
			case "Cache Status":
				ctl.Cache.Status = v
				lv := strings.ToLower(v)
				ctl.Cache.Disabled = strings.Contains(lv, "disabled") || strings.Contains(lv, "failed")
			case "Battery/Capacitor Status":
				ctl.Cache.BackupStatus, ctl.Cache.BackupOK = v, statusWordOK(v)
				if ctl.Cache.Backup == "" {
					ctl.Cache.Backup = "battery"
				}
			case "Cache Backup Power Source":
				if strings.HasPrefix(strings.ToLower(v), "capacitor") {
					ctl.Cache.Backup = "capacitor"
				} else {
					ctl.Cache.Backup = "battery"
				}
			case "PCI Address (Domain:Bus:Device.Function)":
				ctl.PCIAddress = strings.ToLower(v)
			}
		case ssaInArray:
			if k == "Status" && !statusWordOK(v) {
				arrays[array] = v
			}
		case ssaInLD:
			switch k {
			case "Status":
				vd.RawState, vd.State = v, ssaVDState(v)
			case "Fault Tolerance":
				vd.Level = normRAIDLevel(v)
			case "Disk Name":
				vd.OSDevice = v
			case "Logical Drive Label":
				vd.Name = v
			}
		case ssaInPD:
			switch k {
			case "Status":
				pd.RawState, pd.State = v, ssaDriveState(v)
				if strings.HasPrefix(strings.ToLower(v), "predictive failure") {
					pd.PredictiveFailures = 1
				}
			case "Serial Number":
				pd.Serial = v
			case "Model":
				pd.Model = strings.Join(strings.Fields(v), " ")
			case "Drive Type":
				if strings.Contains(strings.ToLower(v), "spare") && pd.State == DriveOnline {
					pd.State = DriveSpare
				}
				if strings.HasPrefix(v, "Unassigned") || strings.HasPrefix(v, "HBA Mode") {
					pd.Group = ""
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("collectors: ssacli: %w", err)
	}
	ssaFinish(ctl, arrays)
	if len(ctls) == 0 {
		if bytes.Contains(data, []byte("No controllers detected")) || bytes.Contains(data, []byte("Error: No controllers")) {
			return nil, fmt.Errorf("collectors: ssacli: %w", ErrNoController)
		}
		return nil, errors.New("collectors: ssacli: no controller header (\"<model> in Slot N\") in the output")
	}
	// A VD's members are its array's drives; an array whose own status is
	// not OK (a failed drive shown only there) makes its VDs degraded at
	// least: the worst of the views wins.
	for i := range ctls {
		c := &ctls[i]
		for j := range c.VDs {
			v := &c.VDs[j]
			for _, d := range c.Drives {
				if d.Group == v.Group && v.Group != "" {
					v.Members = append(v.Members, d.ID)
				}
			}
		}
	}
	return ctls, nil
}

// ssaFinish ends a controller: an array whose own status is not OK (a
// failed drive shown only there, "array B (Failed)") makes its VDs degraded
// at least, whatever their own status says: the worst of the views wins.
func ssaFinish(ctl *RAIDController, arrays map[string]string) {
	if ctl == nil {
		return
	}
	for j := range ctl.VDs {
		v := &ctl.VDs[j]
		st := arrays[v.Group]
		if st == "" || statusWordOK(st) {
			continue
		}
		if v.State == VDOptimal || v.State == VDUnknown {
			v.State = VDDegraded
		}
		v.RawState = strings.TrimSpace(v.RawState + " (array " + v.Group + " " + st + ")")
	}
	clear(arrays)
}

// ssaVDState maps a Smart Array logical drive status.
func ssaVDState(s string) string {
	l := strings.ToLower(s)
	switch {
	case l == "ok":
		return VDOptimal
	case strings.Contains(l, "interim recovery"), strings.Contains(l, "ready for rebuild"), strings.Contains(l, "degraded"):
		return VDDegraded
	case strings.Contains(l, "recovering"), strings.Contains(l, "rebuild"):
		return VDRebuild
	case strings.Contains(l, "failed"):
		return VDFailed
	case strings.Contains(l, "offline"), strings.Contains(l, "disabled"):
		return VDOffline
	case strings.Contains(l, "expanding"), strings.Contains(l, "transforming"), strings.Contains(l, "initializing"):
		return VDOptimal
	}
	return VDUnknown
}

// ssaDriveState maps a Smart Array physical drive status.
func ssaDriveState(s string) string {
	l := strings.ToLower(s)
	switch {
	case l == "ok", strings.HasPrefix(l, "predictive failure"):
		return DriveOnline
	case strings.Contains(l, "rebuild"):
		return DriveRebuilding
	case strings.Contains(l, "failed"):
		return DriveFailed
	case strings.Contains(l, "missing"):
		return DriveMissing
	case strings.Contains(l, "offline"):
		return DriveDown
	}
	return DriveUnknown
}
