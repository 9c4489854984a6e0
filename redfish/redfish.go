// Package redfish reads a BMC's power supplies and their redundancy from
// its Redfish service (DMTF DSP0266): the typed resources redwatch needs,
// pure parsers over their JSON, the walk from the service root to each
// chassis' PowerSubsystem (or legacy Power) resource, and an HTTPS client
// (client.go) with basic or session authentication and a CA file or a
// pinned certificate.
//
// Why net/http and typed structs rather than github.com/stmcginnis/gofish:
// redwatch reads five resource types and a dozen properties of them; gofish
// models the whole schema (hundreds of types) for a module that the Go
// module proxy reachable here does not even serve, and its TLS choice is
// "Insecure" or a whole http.Client of one's own (no pinned fingerprint, no
// CA file), so the parts that matter for a monitor — a certificate pinned
// by fingerprint, bounded response sizes, errors that never carry a
// secret, the same walk replayed from a captured tree — would be ours
// anyway. A walk over an interface (Fetcher) serves the live BMC and a
// capture alike.
package redfish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// ServiceRoot is the path of the service root.
const ServiceRoot = "/redfish/v1"

// MaxResource bounds one resource's JSON (a Power resource with its
// voltages and fans is a few tens of KiB).
const MaxResource = 4 << 20

// maxMembers bounds a collection walked (chassis, supplies).
const maxMembers = 256

// Link is a navigation property: {"@odata.id": "/redfish/v1/..."}.
type Link struct {
	ID string `json:"@odata.id"`
}

// Status is a resource's Status (Resource.Status): State ("Enabled",
// "Absent", "StandbySpare", "Disabled", "UnavailableOffline", ...) and
// Health ("OK", "Warning", "Critical"); "" when not given.
type Status struct {
	State  string `json:"State"`
	Health string `json:"Health"`
}

// Words says the status as the service said it: "State Enabled, Health OK".
func (s Status) Words() string {
	st, h := s.State, s.Health
	if st == "" {
		st = "not given"
	}
	if h == "" {
		h = "not given"
	}
	return "State " + st + ", Health " + h
}

// serviceRoot is the part of /redfish/v1 read.
type serviceRoot struct {
	Chassis *Link `json:"Chassis"`
}

// collection is a resource collection's members.
type collection struct {
	Members []Link `json:"Members"`
}

// chassis is the part of a Chassis resource read.
type chassis struct {
	ID             string `json:"Id"`
	Name           string `json:"Name"`
	Power          *Link  `json:"Power"`
	PowerSubsystem *Link  `json:"PowerSubsystem"`
}

// legacyPower is the part of a (deprecated, still common) Power resource
// read: /redfish/v1/Chassis/<id>/Power.
type legacyPower struct {
	ODataID       string `json:"@odata.id"`
	PowerSupplies []struct {
		ODataID          string   `json:"@odata.id"`
		MemberID         string   `json:"MemberId"`
		Name             string   `json:"Name"`
		Status           Status   `json:"Status"`
		LineInputVoltage *float64 `json:"LineInputVoltage"`
	} `json:"PowerSupplies"`
	Redundancy []struct {
		ODataID         string `json:"@odata.id"`
		MemberID        string `json:"MemberId"`
		Name            string `json:"Name"`
		Mode            string `json:"Mode"`
		MinNumNeeded    *int   `json:"MinNumNeeded"`
		MaxNumSupported *int   `json:"MaxNumSupported"`
		RedundancySet   []Link `json:"RedundancySet"`
		Status          Status `json:"Status"`
	} `json:"Redundancy"`
}

// powerSubsystem is the part of a PowerSubsystem resource read.
type powerSubsystem struct {
	PowerSupplies         *Link `json:"PowerSupplies"`
	PowerSupplyRedundancy []struct {
		RedundancyType      string `json:"RedundancyType"`
		MinNeededInGroup    *int   `json:"MinNeededInGroup"`
		MaxSupportedInGroup *int   `json:"MaxSupportedInGroup"`
		RedundancyGroup     []Link `json:"RedundancyGroup"`
		Status              Status `json:"Status"`
	} `json:"PowerSupplyRedundancy"`
}

// powerSupply is the part of a PowerSupply resource read.
type powerSupply struct {
	ODataID         string `json:"@odata.id"`
	ID              string `json:"Id"`
	Name            string `json:"Name"`
	Status          Status `json:"Status"`
	LineInputStatus string `json:"LineInputStatus"`
	Location        struct {
		PartLocation struct {
			ServiceLabel string `json:"ServiceLabel"`
		} `json:"PartLocation"`
	} `json:"Location"`
}

// Supply is one power supply bay as the service reports it.
type Supply struct {
	// Chassis is the Id of the chassis the supply is in.
	Chassis string `json:"chassis"`
	// ID is its @odata.id (a legacy Power resource's entries carry a
	// fragment: /redfish/v1/Chassis/1/Power#/PowerSupplies/0).
	ID string `json:"id"`
	// Name is its Name, else its Location's ServiceLabel, else its Id or
	// MemberId.
	Name string `json:"name"`
	// Label is Location.PartLocation.ServiceLabel ("PSU 1"), "" without.
	Label string `json:"label,omitempty"`
	// MemberID is the legacy MemberId or the PowerSupply's Id.
	MemberID string `json:"member_id"`
	// Status is its Status.
	Status Status `json:"status"`
	// LineInputVoltage is the legacy LineInputVoltage (V); nil when not given.
	LineInputVoltage *float64 `json:"line_input_voltage,omitempty"`
	// LineInputStatus is the PowerSupply's LineInputStatus ("Normal",
	// "LossOfInput", "OutOfRange"); "" when not given.
	LineInputStatus string `json:"line_input_status,omitempty"`
}

// Redundancy is one redundancy set of power supplies: a legacy Power
// Redundancy entry or a PowerSubsystem PowerSupplyRedundancy group.
type Redundancy struct {
	// Chassis is the Id of the chassis whose resource lists it.
	Chassis string `json:"chassis"`
	// Name is the entry's Name, else "PowerSupplyRedundancy N".
	Name string `json:"name"`
	// Mode is Mode (legacy: "N+m", "Sharing", "Failover", ...) or
	// RedundancyType ("NPlusM", ...).
	Mode string `json:"mode"`
	// MinNeeded is MinNumNeeded or MinNeededInGroup; -1 when not given.
	MinNeeded int `json:"min_needed"`
	// MaxSupported is MaxNumSupported or MaxSupportedInGroup; -1 when not given.
	MaxSupported int `json:"max_supported"`
	// Members are the @odata.id of the supplies in the set.
	Members []string `json:"members"`
	// Status is its Status.
	Status Status `json:"status"`
}

// Facts are the power facts of a service: every supply and redundancy set
// of every chassis that has a PowerSubsystem or Power resource.
type Facts struct {
	Supplies   []Supply     `json:"supplies"`
	Redundancy []Redundancy `json:"redundancy"`
}

// decode parses data into v: one JSON object of at most MaxResource bytes.
func decode(data []byte, v any) error {
	if len(data) > MaxResource {
		return fmt.Errorf("resource of %d bytes, more than %d", len(data), MaxResource)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("not a Redfish resource: %w", err)
	}
	return nil
}

// ParsePower parses a legacy Power resource of the chassis chassisID.
func ParsePower(chassisID string, data []byte) (Facts, error) {
	var p legacyPower
	if err := decode(data, &p); err != nil {
		return Facts{}, err
	}
	var f Facts
	for i, s := range p.PowerSupplies {
		id := s.ODataID
		if id == "" {
			id = p.ODataID + "#/PowerSupplies/" + strconv.Itoa(i)
		}
		f.Supplies = append(f.Supplies, Supply{Chassis: chassisID, ID: id, Name: firstOf(s.Name, s.MemberID, strconv.Itoa(i)),
			MemberID: s.MemberID, Status: s.Status, LineInputVoltage: s.LineInputVoltage})
	}
	for i, r := range p.Redundancy {
		red := Redundancy{Chassis: chassisID, Name: firstOf(r.Name, r.MemberID, "Redundancy "+strconv.Itoa(i)),
			Mode: r.Mode, MinNeeded: intOr(r.MinNumNeeded), MaxSupported: intOr(r.MaxNumSupported), Status: r.Status}
		for _, l := range r.RedundancySet {
			red.Members = append(red.Members, l.ID)
		}
		f.Redundancy = append(f.Redundancy, red)
	}
	return f, nil
}

// ParsePowerSupply parses a PowerSupply resource (PowerSubsystem schema).
func ParsePowerSupply(chassisID string, data []byte) (Supply, error) {
	var p powerSupply
	if err := decode(data, &p); err != nil {
		return Supply{}, err
	}
	label := p.Location.PartLocation.ServiceLabel
	return Supply{Chassis: chassisID, ID: p.ODataID, Name: firstOf(p.Name, label, p.ID), Label: label,
		MemberID: p.ID, Status: p.Status, LineInputStatus: p.LineInputStatus}, nil
}

// parsePowerSubsystem parses a PowerSubsystem resource: its supplies'
// collection link and its redundancy groups.
func parsePowerSubsystem(chassisID string, data []byte) (supplies string, red []Redundancy, err error) {
	var p powerSubsystem
	if err := decode(data, &p); err != nil {
		return "", nil, err
	}
	for i, r := range p.PowerSupplyRedundancy {
		g := Redundancy{Chassis: chassisID, Name: "PowerSupplyRedundancy " + strconv.Itoa(i), Mode: r.RedundancyType,
			MinNeeded: intOr(r.MinNeededInGroup), MaxSupported: intOr(r.MaxSupportedInGroup), Status: r.Status}
		for _, l := range r.RedundancyGroup {
			g.Members = append(g.Members, l.ID)
		}
		red = append(red, g)
	}
	if p.PowerSupplies != nil {
		supplies = p.PowerSupplies.ID
	}
	return supplies, red, nil
}

func intOr(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Fetcher gets one resource's JSON by its path ("/redfish/v1/Chassis"):
// the HTTPS client, or a captured tree.
type Fetcher interface {
	Fetch(ctx context.Context, path string) ([]byte, error)
}

// ResourceError is a resource that could not be fetched or parsed.
type ResourceError struct {
	// Path is the resource's path.
	Path string
	Err  error
}

func (e *ResourceError) Error() string {
	return e.Path + ": " + strings.TrimPrefix(e.Err.Error(), "redfish: ")
}
func (e *ResourceError) Unwrap() error { return e.Err }

// Walk reads the power facts of the service behind f: the service root,
// its Chassis collection, each chassis, and each chassis' PowerSubsystem
// (its PowerSupplies collection and each supply) or, without one, its
// legacy Power resource. A chassis without either holds no supply. The
// first resource that cannot be fetched or parsed ends the walk with a
// *ResourceError: a partial view of the supplies could hide the failed one.
func Walk(ctx context.Context, f Fetcher) (Facts, error) {
	f = checked{f}
	var out Facts
	get := func(p string, v any) error {
		data, err := f.Fetch(ctx, p)
		if err == nil {
			err = decode(data, v)
		}
		if err != nil {
			return &ResourceError{Path: p, Err: err}
		}
		return nil
	}
	var root serviceRoot
	if err := get(ServiceRoot, &root); err != nil {
		return Facts{}, err
	}
	if root.Chassis == nil || root.Chassis.ID == "" {
		return Facts{}, &ResourceError{Path: ServiceRoot, Err: errors.New("the service root links no Chassis collection")}
	}
	var chs collection
	if err := get(root.Chassis.ID, &chs); err != nil {
		return Facts{}, err
	}
	if len(chs.Members) > maxMembers {
		return Facts{}, &ResourceError{Path: root.Chassis.ID, Err: fmt.Errorf("%d chassis, more than %d", len(chs.Members), maxMembers)}
	}
	for _, l := range chs.Members {
		var c chassis
		if err := get(l.ID, &c); err != nil {
			return Facts{}, err
		}
		id := firstOf(c.ID, path.Base(l.ID))
		switch {
		case c.PowerSubsystem != nil && c.PowerSubsystem.ID != "":
			if err := walkSubsystem(ctx, f, id, c.PowerSubsystem.ID, &out); err != nil {
				return Facts{}, err
			}
		case c.Power != nil && c.Power.ID != "":
			data, err := f.Fetch(ctx, c.Power.ID)
			if err != nil {
				return Facts{}, &ResourceError{Path: c.Power.ID, Err: err}
			}
			pf, err := ParsePower(id, data)
			if err != nil {
				return Facts{}, &ResourceError{Path: c.Power.ID, Err: err}
			}
			out.Supplies = append(out.Supplies, pf.Supplies...)
			out.Redundancy = append(out.Redundancy, pf.Redundancy...)
		}
	}
	return out, nil
}

// walkSubsystem reads one chassis' PowerSubsystem and its supplies.
func walkSubsystem(ctx context.Context, f Fetcher, chassisID, p string, out *Facts) error {
	data, err := f.Fetch(ctx, p)
	if err != nil {
		return &ResourceError{Path: p, Err: err}
	}
	suppliesPath, red, err := parsePowerSubsystem(chassisID, data)
	if err != nil {
		return &ResourceError{Path: p, Err: err}
	}
	out.Redundancy = append(out.Redundancy, red...)
	if suppliesPath == "" {
		return nil
	}
	if data, err = f.Fetch(ctx, suppliesPath); err == nil {
		var members collection
		if err = decode(data, &members); err == nil && len(members.Members) > maxMembers {
			err = fmt.Errorf("%d supplies, more than %d", len(members.Members), maxMembers)
		}
		if err == nil {
			for _, l := range members.Members {
				data, err := f.Fetch(ctx, l.ID)
				if err != nil {
					return &ResourceError{Path: l.ID, Err: err}
				}
				s, err := ParsePowerSupply(chassisID, data)
				if err != nil {
					return &ResourceError{Path: l.ID, Err: err}
				}
				if s.ID == "" {
					s.ID = l.ID
				}
				out.Supplies = append(out.Supplies, s)
			}
			return nil
		}
	}
	return &ResourceError{Path: suppliesPath, Err: err}
}

// checked is a Fetcher that fetches only paths CleanPath accepts.
type checked struct{ f Fetcher }

func (c checked) Fetch(ctx context.Context, p string) ([]byte, error) {
	p, err := CleanPath(p)
	if err != nil {
		return nil, err
	}
	return c.f.Fetch(ctx, p)
}

// CleanPath checks a resource path from a service (an @odata.id) and
// returns it without its fragment: an absolute path under /redfish/v1
// without "..", a query or control characters. Anything else is an error:
// a link must not lead a capture's reader out of its tree, nor the client
// to another host.
func CleanPath(p string) (string, error) {
	p, _, _ = strings.Cut(p, "#")
	if p != ServiceRoot && !strings.HasPrefix(p, ServiceRoot+"/") {
		return "", fmt.Errorf("link %q is not under %s", clip(p), ServiceRoot)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '?' || r == '\\' {
			return "", fmt.Errorf("link %q holds a character a resource path may not", clip(p))
		}
	}
	for _, seg := range strings.Split(p, "/")[1:] {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("link %q has an empty, . or .. segment", clip(p))
		}
	}
	return p, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
