package lldp

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// json0 is lldpd's stable JSON format: every object and every value is
// wrapped in a list, so that the shape never depends on how many there are.
type json0 struct {
	LLDP []struct {
		Interface []json0Interface `json:"interface"`
	} `json:"lldp"`
}

type json0Interface struct {
	Name    string         `json:"name"`
	Chassis []json0Chassis `json:"chassis"`
	Port    []json0Port    `json:"port"`
}

type json0Chassis struct {
	ID     []json0Typed `json:"id"`
	Name   []json0Value `json:"name"`
	MgmtIP []json0Value `json:"mgmt-ip"`
	TTL    []json0Value `json:"ttl"`
}

type json0Port struct {
	ID    []json0Typed `json:"id"`
	Descr []json0Value `json:"descr"`
	TTL   []json0Value `json:"ttl"`
}

type json0Typed struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type json0Value struct {
	Value string `json:"value"`
}

// ParseJSON0 parses the output of `lldpcli -f json0 show neighbors details`
// into one Neighbor per local interface and announcing chassis, in the order
// lldpd prints them. An output with no neighbour ({"lldp":[{}]}) is an empty
// list; a neighbour without a chassis ID, a port ID or a valid TTL is an
// error naming the interface.
func ParseJSON0(data []byte) ([]Neighbor, error) {
	var doc json0
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("lldp: json0: %w", err)
	}
	if doc.LLDP == nil {
		return nil, errors.New(`lldp: json0: no "lldp" list`)
	}
	var out []Neighbor
	for _, l := range doc.LLDP {
		for i, ifc := range l.Interface {
			if ifc.Name == "" {
				return nil, fmt.Errorf("lldp: json0: interface %d has no name", i)
			}
			if len(ifc.Chassis) != len(ifc.Port) {
				return nil, fmt.Errorf("lldp: json0: interface %s: %d chassis but %d ports", ifc.Name, len(ifc.Chassis), len(ifc.Port))
			}
			for j := range ifc.Chassis {
				n, err := json0Neighbor(ifc.Name, ifc.Chassis[j], ifc.Port[j])
				if err != nil {
					return nil, fmt.Errorf("lldp: json0: interface %s: %w", ifc.Name, err)
				}
				out = append(out, n)
			}
		}
	}
	return out, nil
}

func json0Neighbor(name string, c json0Chassis, p json0Port) (Neighbor, error) {
	n := Neighbor{Interface: name, SystemName: first(c.Name), PortDescription: first(p.Descr)}
	var err error
	if n.Chassis, err = json0ID("chassis", c.ID); err != nil {
		return n, err
	}
	if n.Port, err = json0ID("port", p.ID); err != nil {
		return n, err
	}
	ttl := p.TTL
	if len(ttl) == 0 {
		ttl = c.TTL // lldpd before 1.0.? put the TTL in the chassis
	}
	if len(ttl) == 0 {
		return n, errors.New("no ttl")
	}
	if n.TTL, err = strconv.Atoi(ttl[0].Value); err != nil || n.TTL < 0 || n.TTL > 65535 {
		return n, fmt.Errorf("ttl %q is not 0-65535", ttl[0].Value)
	}
	for _, a := range c.MgmtIP {
		if a.Value != "" {
			n.ManagementAddresses = append(n.ManagementAddresses, a.Value)
		}
	}
	return n, nil
}

func json0ID(what string, ids []json0Typed) (ID, error) {
	if len(ids) == 0 || ids[0].Type == "" || ids[0].Value == "" {
		return ID{}, fmt.Errorf("no %s id with a type and a value", what)
	}
	return ID{Subtype: ids[0].Type, Value: ids[0].Value}, nil
}

func first(vs []json0Value) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0].Value
}

// FormatJSON0 writes neighbours in lldpcli's json0 shape, one interface
// object per neighbour as lldpd prints them, so that what the built-in
// receiver heard is captured as lldp/neighbors.json and read back by
// ParseJSON0 unchanged.
func FormatJSON0(ns []Neighbor) ([]byte, error) {
	var doc json0
	doc.LLDP = make([]struct {
		Interface []json0Interface `json:"interface"`
	}, 1)
	for _, n := range ns {
		c := json0Chassis{ID: []json0Typed{{Type: n.Chassis.Subtype, Value: n.Chassis.Value}}}
		if n.SystemName != "" {
			c.Name = []json0Value{{n.SystemName}}
		}
		for _, a := range n.ManagementAddresses {
			c.MgmtIP = append(c.MgmtIP, json0Value{a})
		}
		p := json0Port{ID: []json0Typed{{Type: n.Port.Subtype, Value: n.Port.Value}}, TTL: []json0Value{{strconv.Itoa(n.TTL)}}}
		if n.PortDescription != "" {
			p.Descr = []json0Value{{n.PortDescription}}
		}
		doc.LLDP[0].Interface = append(doc.LLDP[0].Interface, json0Interface{Name: n.Interface, Chassis: []json0Chassis{c}, Port: []json0Port{p}})
	}
	return json.Marshal(doc)
}
