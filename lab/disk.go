package lab

import (
	"encoding/binary"
	"fmt"
	"os"
)

// Disk is a virtio-blk disk of the guest. The guest names them vda, vdb, ...
// in the order of Spec.Disks.
type Disk struct {
	// SizeMiB is the disk's size; 0 means 64 MiB.
	SizeMiB int
	// PartitionsMiB, when set, writes an MBR partition table into the image
	// before boot with one primary partition (type 0xfd, Linux RAID) of each
	// size, 1 MiB aligned: the guest sees vda1, vda2, ...
	PartitionsMiB []int
}

const sector = 512

// createImage writes a sparse raw disk image, with its partition table.
func createImage(path string, d Disk) error {
	size := d.SizeMiB
	if size == 0 {
		size = 64
	}
	mbr, err := mbrTable(size, d.PartitionsMiB)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("lab: disk image: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(int64(size) << 20); err != nil {
		return fmt.Errorf("lab: disk image: %w", err)
	}
	if mbr != nil {
		if _, err := f.WriteAt(mbr, 0); err != nil {
			return fmt.Errorf("lab: disk image: %w", err)
		}
	}
	return f.Close()
}

// mbrTable builds a DOS partition table (the first sector) holding one
// primary partition of each size in MiB, the first at 1 MiB, each following
// the last; nil when there are no partitions.
func mbrTable(diskMiB int, parts []int) ([]byte, error) {
	if len(parts) == 0 {
		return nil, nil
	}
	if len(parts) > 4 {
		return nil, fmt.Errorf("lab: disk: %d partitions, an MBR holds 4", len(parts))
	}
	const mib = (1 << 20) / sector
	b := make([]byte, sector)
	start := uint32(mib)
	for i, p := range parts {
		if p <= 0 {
			return nil, fmt.Errorf("lab: disk: partition %d has size %d MiB", i+1, p)
		}
		n := uint32(p * mib)
		if uint64(start)+uint64(n) > uint64(diskMiB*mib) {
			return nil, fmt.Errorf("lab: disk: partitions of %v MiB do not fit in %d MiB", parts, diskMiB)
		}
		e := b[446+16*i : 446+16*(i+1)]
		e[0] = 0x00                                 // not bootable
		copy(e[1:4], []byte{0xfe, 0xff, 0xff})      // CHS start: use LBA
		e[4] = 0xfd                                 // Linux RAID autodetect
		copy(e[5:8], []byte{0xfe, 0xff, 0xff})      // CHS end: use LBA
		binary.LittleEndian.PutUint32(e[8:], start) // first sector
		binary.LittleEndian.PutUint32(e[12:], n)    // sectors
		start += n
	}
	binary.LittleEndian.PutUint32(b[440:], 0x7ed3a11e) // disk signature
	b[510], b[511] = 0x55, 0xaa
	return b, nil
}
