//go:build linux

package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// LinkSource is the kernel's rtnetlink link notifications (RTNLGRP_LINK): a
// carrier change, a slave leaving a bond, an interface appearing or going.
type LinkSource struct{}

// Name is "netlink".
func (*LinkSource) Name() string { return "netlink" }

// Watch subscribes to link updates.
func (*LinkSource) Watch(ctx context.Context, notify func(string)) (<-chan error, error) {
	ch := make(chan netlink.LinkUpdate, 64)
	stop := make(chan struct{})
	failed := make(chan error, 1)
	err := netlink.LinkSubscribeWithOptions(ch, stop, netlink.LinkSubscribeOptions{
		ErrorCallback: func(err error) {
			select {
			case failed <- err:
			default:
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("daemon: netlink link subscribe: %w", err)
	}
	done := make(chan error, 1)
	go func() {
		defer close(done)
		defer close(stop)
		for {
			select {
			case <-ctx.Done():
				done <- nil
				return
			case u, ok := <-ch:
				if !ok {
					var err error
					select {
					case err = <-failed:
					default:
						err = errors.New("subscription closed")
					}
					done <- fmt.Errorf("daemon: netlink: %w", err)
					return
				}
				a := u.Attrs()
				notify(fmt.Sprintf("%s %s oper=%s", a.Name, linkMsg(u.Header.Type), a.OperState))
			}
		}
	}()
	return done, nil
}

func linkMsg(t uint16) string {
	switch t {
	case unix.RTM_NEWLINK:
		return "newlink"
	case unix.RTM_DELLINK:
		return "dellink"
	}
	return fmt.Sprintf("msg%d", t)
}

// waker is a pipe whose read end sits in a poll set, so that closing the
// source wakes the poll without a timeout.
type waker struct{ r, w int }

func newWaker() (*waker, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, err
	}
	return &waker{r: p[0], w: p[1]}, nil
}

func (k *waker) wake() { _, _ = unix.Write(k.w, []byte{0}) }

func (k *waker) close() {
	_ = unix.Close(k.r)
	_ = unix.Close(k.w)
}

// pollLoop polls fd for events (plus the waker) until ctx ends; on each
// wake-up of fd it calls handle, which returns false to stop with err.
func pollLoop(ctx context.Context, fd int, events int16, handle func(revents int16) error) error {
	k, err := newWaker()
	if err != nil {
		return err
	}
	defer k.close()
	stop := context.AfterFunc(ctx, k.wake)
	defer stop()
	fds := []unix.PollFd{{Fd: int32(fd), Events: events}, {Fd: int32(k.r), Events: unix.POLLIN}}
	for {
		fds[0].Revents, fds[1].Revents = 0, 0
		_, err := unix.Poll(fds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		if fds[1].Revents != 0 || ctx.Err() != nil {
			return nil
		}
		if fds[0].Revents != 0 {
			if err := handle(fds[0].Revents); err != nil {
				return err
			}
		}
	}
}

// MDStatSource is poll() on /proc/mdstat: the md driver wakes POLLPRI and
// POLLERR on every array event (a failed or removed member, a resync that
// starts or ends). mdadm --monitor uses the same mechanism.
type MDStatSource struct {
	// Path is the mdstat file, normally /proc/mdstat.
	Path string
}

// Name is "mdstat".
func (*MDStatSource) Name() string { return "mdstat" }

// Watch opens mdstat (absent: the md driver is not loaded) and polls it.
func (m *MDStatSource) Watch(ctx context.Context, notify func(string)) (<-chan error, error) {
	f, err := os.Open(m.Path)
	if err != nil {
		return nil, fmt.Errorf("daemon: mdstat: %w", err)
	}
	// Reading it to the end arms the poll: the kernel compares the event
	// count at the last read with the current one.
	if err := rearmMDStat(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("daemon: mdstat: %w", err)
	}
	done := make(chan error, 1)
	go func() {
		defer close(done)
		defer func() { _ = f.Close() }()
		err := pollLoop(ctx, int(f.Fd()), unix.POLLPRI|unix.POLLERR, func(revents int16) error {
			if revents&unix.POLLNVAL != 0 {
				return errors.New("poll: invalid descriptor")
			}
			if err := rearmMDStat(f); err != nil {
				return err
			}
			notify("array event")
			return nil
		})
		if err != nil {
			err = fmt.Errorf("daemon: mdstat: %w", err)
		}
		done <- err
	}()
	return done, nil
}

func rearmMDStat(f *os.File) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, f)
	return err
}

// UeventSource is the kernel's uevent netlink socket (NETLINK_KOBJECT_UEVENT),
// filtered to the subsystems whose devices matter: a disk that appears or
// goes (block), a power supply that changes (power_supply).
type UeventSource struct {
	// Subsystems are the SUBSYSTEM= values that count; empty means all.
	Subsystems []string
}

// Name is "uevent".
func (*UeventSource) Name() string { return "uevent" }

// Watch opens the uevent socket and reads it.
func (u *UeventSource) Watch(ctx context.Context, notify func(string)) (<-chan error, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		return nil, fmt.Errorf("daemon: uevent socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1}); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("daemon: uevent bind: %w", err)
	}
	done := make(chan error, 1)
	go func() {
		defer close(done)
		defer func() { _ = unix.Close(fd) }()
		buf := make([]byte, 64<<10)
		err := pollLoop(ctx, fd, unix.POLLIN, func(int16) error {
			for {
				n, _, err := unix.Recvfrom(fd, buf, 0)
				if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
					return nil
				}
				if errors.Is(err, unix.ENOBUFS) {
					notify("overflow") // events were lost: a pass is due anyway
					continue
				}
				if err != nil {
					return err
				}
				action, devpath, subsystem := parseUevent(buf[:n])
				if subsystem == "" || (len(u.Subsystems) > 0 && !slices.Contains(u.Subsystems, subsystem)) {
					continue
				}
				notify(subsystem + " " + action + " " + devpath)
			}
		})
		if err != nil {
			err = fmt.Errorf("daemon: uevent: %w", err)
		}
		done <- err
	}()
	return done, nil
}

// parseUevent reads a kernel uevent message: "ACTION@DEVPATH\0KEY=VALUE\0...".
// Messages from udev (they start with "libudev") have no SUBSYSTEM here and
// are skipped by the caller.
func parseUevent(msg []byte) (action, devpath, subsystem string) {
	fields := bytes.Split(msg, []byte{0})
	if len(fields) == 0 {
		return "", "", ""
	}
	head, _, ok := bytes.Cut(fields[0], []byte("@"))
	if !ok {
		return "", "", ""
	}
	for _, f := range fields[1:] {
		k, v, ok := bytes.Cut(f, []byte("="))
		if !ok {
			continue
		}
		switch string(k) {
		case "ACTION":
			action = string(v)
		case "DEVPATH":
			devpath = string(v)
		case "SUBSYSTEM":
			subsystem = string(v)
		}
	}
	if action == "" {
		action = string(head)
	}
	return action, devpath, subsystem
}
