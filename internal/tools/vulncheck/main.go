// Command vulncheck builds the local Go vulnerability database that `make
// vulncheck` (part of `make test`) hands to govulncheck, and judges
// govulncheck's findings (scripts/vulncheck.sh drives both):
//
//	vulncheck build-db -src $VULNDB/data/osv -modified 2026-11-05T23:49:57Z -out DIR
//	govulncheck -db file://DIR -format json ./... | vulncheck check -accept scripts/vulncheck-accepted.txt
//
// build-db converts the OSV entries of the golang.org/x/vulndb module (its
// data/osv folder; the Go module proxy serves the module while the database
// host is not reachable from these machines) into the v1 layout that
// `govulncheck -db file://DIR` reads (https://go.dev/security/vuln/database#api).
// check fails on every vulnerability whose vulnerable code the program calls,
// except those listed in the accept file with a reason.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "build-db":
		err = buildDBCmd(os.Args[2:])
	case "check":
		err = checkCmd(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: vulncheck build-db -src OSVDIR -out DBDIR [-modified RFC3339]\n       vulncheck check [-accept FILE] < govulncheck-json")
	os.Exit(2)
}

func buildDBCmd(args []string) error {
	fs := flag.NewFlagSet("build-db", flag.ExitOnError)
	src := fs.String("src", "", "folder of OSV entries (<ID>.json), the vulndb module's data/osv")
	out := fs.String("out", "", "database folder to create (must not exist)")
	modified := fs.String("modified", "", "the database's modification time (RFC 3339; default: the newest entry's)")
	_ = fs.Parse(args)
	if *src == "" || *out == "" || fs.NArg() > 0 {
		usage()
	}
	var mod time.Time
	if *modified != "" {
		t, err := time.Parse(time.RFC3339, *modified)
		if err != nil {
			return fmt.Errorf("vulncheck: -modified: %w", err)
		}
		mod = t
	}
	n, err := buildDB(*src, *out, mod)
	if err != nil {
		return err
	}
	fmt.Printf("vulncheck: %d entries in %s\n", n, *out)
	return nil
}
