// Package lab is redwatch's real-kernel fault lab: it boots a QEMU guest
// (TCG) running Debian's stock kernel with the real bonding, md and virtio
// drivers, with redwatch and a small command loop in its initramfs, injects
// faults over QMP (cable pulls, hot-unplugs) or from inside the guest (mdadm
// --fail, a slave removed from its bond), and reads redwatch's verdict from
// inside the guest.
//
// The harness (this package's non-test files) fetches what the guest needs
// from Debian's archive with apt-get download into a cache keyed by package
// version, builds the redwatch binary and an initramfs around it, boots
// guests and talks to them over a virtio-serial port. The scenarios are the
// tests behind the build tag e2e:
//
//	go test -tags e2e -v ./lab/
//
// See README.md in this directory and /work/shared/design/LAB.md.
package lab
