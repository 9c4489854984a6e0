//go:build !linux

package collectors

import "errors"

// openEthtool reports that ethtool exists only on Linux; callers skip it quietly.
func openEthtool() (nicProber, error) {
	return nil, errors.ErrUnsupported
}
