package daemon

import (
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// SystemdNotifier sends sd_notify messages to $NOTIFY_SOCKET; without one
// (not run by systemd) it does nothing.
type SystemdNotifier struct{}

// Notify sends state (READY=1, STATUS=..., WATCHDOG=1).
func (SystemdNotifier) Notify(state string) error {
	_, err := sd.SdNotify(false, state)
	return err
}

// SystemdWatchdog is the watchdog interval systemd asks for (WatchdogSec),
// zero when there is none.
func SystemdWatchdog() time.Duration {
	d, err := sd.SdWatchdogEnabled(false)
	if err != nil {
		return 0
	}
	return d
}
