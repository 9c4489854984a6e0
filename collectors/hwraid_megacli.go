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

// MegaCli (the LSI tool before storcli) prints "Key: Value" text.
// parseMegacli reads the outputs of `-PDList -aALL`, `-LDInfo -Lall -aALL`
// and `-AdpBbuCmd -aALL` (in any mix, one or several in one file): the
// adapters, their virtual drives, physical drives and BBU.

var (
	megaAdapter   = regexp.MustCompile(`^Adapter\s*#?\s*(\d+)`)
	megaBBUAdp    = regexp.MustCompile(`^BBU status for Adapter: (\d+)`)
	megaVD        = regexp.MustCompile(`^Virtual Drive: (\d+) \(Target Id: (\d+)\)`)
	megaPosition  = regexp.MustCompile(`DiskGroup: (\d+)`)
	megaExitCode  = regexp.MustCompile(`^Exit Code: (0x[0-9A-Fa-f]+)`)
	megaNoAdapter = []string{"Adapter 0: No such adapter", "No Adapters Found", "No adapter found"}
)

// parseMegacli parses MegaCli text output.
func parseMegacli(data []byte) ([]RAIDController, error) {
	for _, s := range megaNoAdapter {
		if bytes.Contains(data, []byte(s)) {
			return nil, fmt.Errorf("collectors: megacli: %q: %w", s, ErrNoController)
		}
	}
	var (
		ctls    []RAIDController
		ci      = -1
		vd      *RAIDVolume
		pd      *RAIDDrive
		encl    string
		section string
		exit    = ""
		// defaultWB is the current VD's default write policy.
		defaultWB bool
	)
	adapter := func(n string) {
		id := "c" + n
		for i := range ctls {
			if ctls[i].ID == id {
				ci = i
				return
			}
		}
		ctls = append(ctls, RAIDController{Tool: "megacli", ID: id})
		ci = len(ctls) - 1
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if m := megaExitCode.FindStringSubmatch(line); m != nil {
			exit = m[1]
			continue
		}
		if m := megaBBUAdp.FindStringSubmatch(line); m != nil {
			adapter(m[1])
			section, vd, pd = "bbu", nil, nil
			ctls[ci].Cache.Backup, ctls[ci].Cache.BackupOK = "bbu", true
			continue
		}
		if m := megaAdapter.FindStringSubmatch(line); m != nil {
			adapter(m[1])
			section, vd, pd = "", nil, nil
			continue
		}
		if ci < 0 {
			continue
		}
		ctl := &ctls[ci]
		if m := megaVD.FindStringSubmatch(line); m != nil {
			ctl.VDs = append(ctl.VDs, newVolume("v"+m[1]))
			vd, pd, section = &ctl.VDs[len(ctl.VDs)-1], nil, "vd"
			vd.Target, _ = strconv.Atoi(m[2])
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case k == "Enclosure Device ID":
			encl, section, vd = v, "pd", nil
			continue
		case k == "Slot Number" && section == "pd":
			id := v
			if encl != "" && encl != "N/A" {
				id = encl + ":" + v
			}
			ctl.Drives = append(ctl.Drives, newDrive(id))
			pd = &ctl.Drives[len(ctl.Drives)-1]
			continue
		}
		switch section {
		case "vd":
			switch k {
			case "RAID Level":
				vd.Level = normRAIDLevel(v)
			case "State":
				vd.RawState, vd.State = v, megaVDState(v)
			case "Name":
				vd.Name = v
			case "Default Cache Policy":
				defaultWB = strings.HasPrefix(v, "WriteBack")
			case "Current Cache Policy":
				vd.CacheWTFallback = defaultWB && strings.HasPrefix(v, "WriteThrough")
			}
		case "pd":
			if pd == nil {
				continue
			}
			switch k {
			case "Firmware state":
				pd.RawState, pd.State = v, megaDriveState(v)
			case "Media Error Count":
				pd.MediaErrors = atoiOr(v)
			case "Other Error Count":
				pd.OtherErrors = atoiOr(v)
			case "Predictive Failure Count":
				pd.PredictiveFailures = atoiOr(v)
			case "Drive has flagged a S.M.A.R.T alert":
				pd.SmartAlert = strings.EqualFold(v, "Yes")
			case "Drive's position", "Drive's postion":
				if m := megaPosition.FindStringSubmatch(v); m != nil {
					pd.Group = m[1]
				}
			case "Inquiry Data":
				pd.Model = strings.Join(strings.Fields(v), " ")
			}
		case "bbu":
			switch k {
			case "Battery Pack Missing", "Battery Replacement required":
				if strings.EqualFold(v, "Yes") {
					ctl.Cache.BackupOK = false
					ctl.Cache.BackupStatus = k
				}
			case "Battery State", "Battery state":
				if v != "" {
					ctl.Cache.BackupStatus = v
					if !statusWordOK(v) {
						ctl.Cache.BackupOK = false
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("collectors: megacli: %w", err)
	}
	if len(ctls) == 0 {
		return nil, errors.New("collectors: megacli: no adapter in the output")
	}
	if exit != "" && exit != "0x00" {
		return nil, fmt.Errorf("collectors: megacli: exit code %s", exit)
	}
	// A VD's members: the drives in its disk group (LDInfo does not name
	// them; MegaCli numbers disk groups like VDs when each group has one VD).
	for i := range ctls {
		c := &ctls[i]
		for j := range c.VDs {
			v := &c.VDs[j]
			v.Group = strings.TrimPrefix(v.ID, "v")
			for _, d := range c.Drives {
				if d.Group == v.Group {
					v.Members = append(v.Members, d.ID)
				}
			}
		}
	}
	return ctls, nil
}

func atoiOr(s string) int {
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		return n
	}
	return Unknown
}

// megaVDState maps MegaCli's VD state.
func megaVDState(s string) string {
	l := strings.ToLower(s)
	switch {
	case l == "optimal":
		return VDOptimal
	case strings.HasPrefix(l, "partially degraded"):
		return VDPartially
	case strings.HasPrefix(l, "degraded"):
		return VDDegraded
	case strings.HasPrefix(l, "offline"):
		return VDOffline
	case strings.Contains(l, "fail"):
		return VDFailed
	}
	return VDUnknown
}

// megaDriveState maps MegaCli's "Firmware state".
func megaDriveState(s string) string {
	l := strings.ToLower(s)
	switch {
	case strings.HasPrefix(l, "online"):
		return DriveOnline
	case strings.HasPrefix(l, "rebuild"), strings.HasPrefix(l, "copyback"):
		return DriveRebuilding
	case strings.HasPrefix(l, "failed"):
		return DriveFailed
	case strings.HasPrefix(l, "offline"):
		return DriveDown
	case strings.HasPrefix(l, "missing"):
		return DriveMissing
	case strings.HasPrefix(l, "unconfigured(bad)"):
		return DriveUnconfBad
	case strings.HasPrefix(l, "unconfigured(good)"):
		return DriveUnconfigured
	case strings.HasPrefix(l, "hotspare"):
		return DriveSpare
	case strings.HasPrefix(l, "jbod"):
		return DriveJBOD
	}
	return DriveUnknown
}
