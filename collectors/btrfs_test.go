package collectors

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseBtrfsErrorStats(t *testing.T) {
	t.Parallel()
	got, err := parseBtrfsErrorStats([]byte("write_errs 1\nread_errs 12\nflush_errs 0\ncorruption_errs 3\ngeneration_errs 0\n"))
	if err != nil || got == nil || *got != (BtrfsErrors{Write: 1, Read: 12, Corruption: 3}) {
		t.Errorf("got %+v, %v", got, err)
	}
	if got.String() != "1 write, 12 read, 3 corruption" || got.Total() != 16 {
		t.Errorf("String %q Total %d", got.String(), got.Total())
	}
	if got, err := parseBtrfsErrorStats([]byte("invalid\n")); got != nil || err != nil {
		t.Errorf("invalid: %+v %v", got, err)
	}
	for _, bad := range []string{"", "write_errs x\n", "write_errs -1\n", "garbage\n", "new_errs 3\n"} {
		if _, err := parseBtrfsErrorStats([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseBtrfsDeviceStats(t *testing.T) {
	t.Parallel()
	in := "[/dev/vdb].write_io_errs    0\n[/dev/vdb].read_io_errs     2\n[/dev/vdb].flush_io_errs    0\n" +
		"[/dev/vdb].corruption_errs  0\n[/dev/vdb].generation_errs  0\n[devid:2].write_io_errs    0\n[devid:2].read_io_errs  5\n"
	got, err := parseBtrfsDeviceStats([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []BtrfsDeviceStats{{Device: "/dev/vdb", Errors: BtrfsErrors{Read: 2}}, {Device: "devid:2", Errors: BtrfsErrors{Read: 5}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if _, err := parseBtrfsDeviceStats([]byte("ERROR: not a btrfs filesystem\n[/dev/vdb].read_io_errs x\n")); err == nil {
		t.Error("garbage: no error")
	}
}

func TestBtrfsTolerance(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		f    Btrfs
		want int
	}{
		{Btrfs{Data: []string{"raid1"}, Metadata: []string{"raid1"}, System: []string{"raid1"}}, 1},
		{Btrfs{Data: []string{"single"}, Metadata: []string{"raid1"}, System: []string{"raid1"}}, 0},
		{Btrfs{Data: []string{"raid6"}, Metadata: []string{"raid1c3"}, System: []string{"raid1c3"}}, 2},
		{Btrfs{Data: []string{"raid1c4"}, Metadata: []string{"raid1c4"}}, 3},
		{Btrfs{Data: []string{"single", "raid1"}, Metadata: []string{"raid1"}}, 0}, // converting
		{Btrfs{Data: []string{"dup"}}, 0},
		{Btrfs{}, 0},
	} {
		if got := c.f.Tolerance(); got != c.want {
			t.Errorf("%+v: %d, want %d", c.f, got, c.want)
		}
	}
}

// TestCollectBtrfsFixtures reads the degraded fixture: the missing devid,
// the one device present named, the profiles, the mount and "degraded".
func TestCollectBtrfsFixtures(t *testing.T) {
	t.Parallel()
	fss, errs := btrfsSource{}.collect(context.Background(), TreeRoots(filepath.Join("..", "testdata", "btrfs_raid1_degraded")))
	if len(errs) != 0 || len(fss) != 1 {
		t.Fatalf("fss %+v errs %v", fss, errs)
	}
	f := fss[0]
	if f.Name() != "data" || f.MountPoint != "/srv/data" || !f.Degraded || f.Tolerance() != 1 {
		t.Errorf("fs = %+v", f)
	}
	want := []BtrfsDevice{{ID: 1, Name: "vdb", Errors: &BtrfsErrors{}}, {ID: 2, Missing: true, Errors: &BtrfsErrors{}}}
	if d := cmp.Diff(want, f.Devices); d != "" {
		t.Errorf("devices (-want +got):\n%s", d)
	}
	fss, errs = btrfsSource{}.collect(context.Background(), TreeRoots(filepath.Join("..", "testdata", "btrfs_raid1_errors")))
	if len(errs) != 0 || len(fss) != 1 || len(fss[0].Stats) != 2 || fss[0].Stats[1].Errors.Read != 12 || fss[0].Degraded {
		t.Errorf("errors fixture: %+v %v", fss, errs)
	}
}

// TestCollectBtrfsBadMissing: a devinfo missing attribute that is neither 0
// nor 1 is an error with its path.
func TestCollectBtrfsBadMissing(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"sys/fs/btrfs/u1/allocation/data/raid1/total_bytes": "1\n",
		"sys/fs/btrfs/u1/devinfo/1/missing":                 "maybe\n",
		"sys/fs/btrfs/features/raid56":                      "0\n",
	})
	fss, errs := btrfsSource{}.collect(context.Background(), TreeRoots(root))
	if len(fss) != 1 || len(errs) != 1 || !strings.HasSuffix(errs[0].Path, "devinfo/1/missing") {
		t.Errorf("fss %+v errs %v", fss, errs)
	}
}

func FuzzParseBtrfsErrorStats(f *testing.F) {
	f.Add([]byte("write_errs 0\nread_errs 0\nflush_errs 0\ncorruption_errs 0\ngeneration_errs 0\n"))
	f.Add([]byte("invalid\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if e, err := parseBtrfsErrorStats(data); err == nil && e != nil && e.Total() < 0 {
			t.Fatalf("negative total %+v", e)
		}
	})
}

func FuzzParseBtrfsDeviceStats(f *testing.F) {
	f.Add([]byte("[/dev/vdb].write_io_errs 0\n[/dev/vdb].read_io_errs 3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, _ := parseBtrfsDeviceStats(data)
		for _, s := range st {
			if s.Device == "" || s.Errors.Total() < 0 {
				t.Fatalf("bad stats %+v", s)
			}
		}
	})
}
