//go:build !linux

package daemon

import (
	"context"
	"errors"
)

var errNotLinux = errors.New("daemon: kernel event sources need Linux")

// LinkSource is the kernel's rtnetlink link notifications (Linux only).
type LinkSource struct{}

// Name is "netlink".
func (*LinkSource) Name() string { return "netlink" }

// Watch fails: not Linux.
func (*LinkSource) Watch(context.Context, func(string)) (<-chan error, error) {
	return nil, errNotLinux
}

// MDStatSource is poll() on /proc/mdstat (Linux only).
type MDStatSource struct{ Path string }

// Name is "mdstat".
func (*MDStatSource) Name() string { return "mdstat" }

// Watch fails: not Linux.
func (*MDStatSource) Watch(context.Context, func(string)) (<-chan error, error) {
	return nil, errNotLinux
}

// UeventSource is the kernel's uevent socket (Linux only).
type UeventSource struct{ Subsystems []string }

// Name is "uevent".
func (*UeventSource) Name() string { return "uevent" }

// Watch fails: not Linux.
func (*UeventSource) Watch(context.Context, func(string)) (<-chan error, error) {
	return nil, errNotLinux
}
