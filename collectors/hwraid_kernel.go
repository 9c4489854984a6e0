package collectors

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// What the RAID drivers show without their tools:
//
//   - /sys/class/raid_devices/<H:C:T:L>/{state,level}: the raid_class
//     volumes (mpt3sas Integrated RAID): state is "active", "degraded",
//     "resyncing", "offline" or "unknown" (drivers/scsi/raid_class.c);
//   - /sys/class/scsi_host/host*/fw_crash_state (megaraid_sas): 0 when no
//     firmware crash dump waits, else 1 available, 2 copying, 3 copied, 4 copy error;
//   - /sys/class/scsi_host/host*/lockup_detected (hpsa): "ld=0", else the
//     controller locked up and every volume behind it is gone.

// readKernelRAID reads the RAID drivers' sysfs attributes; none of them
// present is nothing to say.
func readKernelRAID(r Roots) ([]KernelRAID, []Error) {
	if r.Sys == "" {
		return nil, nil
	}
	var (
		out  []KernelRAID
		errs []Error
	)
	rdir := filepath.Join(r.Sys, "class/raid_devices")
	if ents, err := hostfs.ReadDir(rdir); err == nil {
		for _, e := range ents {
			p := filepath.Join(rdir, e.Name(), "state")
			b, err := hostfs.ReadAttr(p)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, hostfs.New(HWRaidCollector, p, fmt.Errorf("read raid_class state: %w", err)))
				}
				continue
			}
			k := KernelRAID{Driver: "raid_class", Name: e.Name(), Attr: "state", Path: p}
			k.Value, k.Bad = parseRaidClassState(b)
			if lv, err := hostfs.ReadAttr(filepath.Join(rdir, e.Name(), "level")); err == nil {
				k.Level = strings.TrimSpace(string(lv))
			}
			out = append(out, k)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, hostfs.New(HWRaidCollector, rdir, fmt.Errorf("list raid_devices: %w", err)))
	}
	hdir := filepath.Join(r.Sys, "class/scsi_host")
	hosts, err := hostfs.ReadDir(hdir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, hostfs.New(HWRaidCollector, hdir, fmt.Errorf("list scsi hosts: %w", err)))
	}
	for _, h := range hosts {
		for _, a := range []struct{ attr, driver string }{{"fw_crash_state", "megaraid_sas"}, {"lockup_detected", "hpsa"}} {
			p := filepath.Join(hdir, h.Name(), a.attr)
			b, err := hostfs.ReadAttr(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				errs = append(errs, hostfs.New(HWRaidCollector, p, fmt.Errorf("read %s: %w", a.attr, err)))
				continue
			}
			v, bad, perr := parseHostFault(b)
			if perr != nil {
				errs = append(errs, hostfs.New(HWRaidCollector, p, perr))
				continue
			}
			out = append(out, KernelRAID{Driver: a.driver, Name: h.Name(), Attr: a.attr, Value: v, Bad: bad, Path: p})
		}
	}
	return out, errs
}

// parseRaidClassState reads a raid_class state: anything but "active"
// (resyncing, degraded, offline, unknown) is not whole.
func parseRaidClassState(b []byte) (string, bool) {
	s := strings.TrimSpace(string(b))
	return s, s != "active"
}

// parseHostFault reads fw_crash_state ("0") or lockup_detected ("ld=0"):
// a number, zero when healthy.
func parseHostFault(b []byte) (string, bool, error) {
	s := strings.TrimSpace(string(b))
	n, err := strconv.Atoi(strings.TrimPrefix(s, "ld="))
	if err != nil {
		return s, false, fmt.Errorf("collectors: RAID host fault attribute %q: not a number", s)
	}
	return s, n != 0, nil
}
