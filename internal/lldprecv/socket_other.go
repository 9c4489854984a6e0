//go:build !linux

package lldprecv

import (
	"errors"
	"os"
)

var errNetDown = errors.New("network is down")

// openPacket reports that raw packet sockets are Linux's.
func openPacket(string) (*os.File, error) {
	return nil, errors.New("lldprecv: raw packet sockets exist only on Linux")
}
