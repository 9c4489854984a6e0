package lldp

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// MaxPerInterface bounds the neighbours a Cache keeps for one local
// interface: a switch port has one, a hub or an unmanaged switch between a
// few; a flood of forged LLDPDUs must not grow the cache without bound.
const MaxPerInterface = 16

// Cache is a receiver's neighbour table (802.1AB's remote systems MIB): one
// entry per local interface and MSAP (chassis ID + port ID), replaced by
// each LLDPDU from that MSAP and dropped when its TTL runs out or a
// shutdown LLDPDU (TTL 0) withdraws it. Time is what the caller passes: the
// cache never reads a clock itself. The zero Cache is ready; it is safe for
// concurrent use.
type Cache struct {
	mu      sync.Mutex
	entries map[cacheKey]cacheEntry
}

type cacheKey struct {
	ifc           string
	chassis, port ID
}

type cacheEntry struct {
	n       Neighbor
	expires time.Time
}

// Update records the neighbour n heard on the local interface ifc at now.
// A TTL of 0 removes the entry. When the interface has MaxPerInterface
// entries already, the one closest to expiry makes room.
func (c *Cache) Update(ifc string, n Neighbor, now time.Time) {
	n.Interface = ifc
	k := cacheKey{ifc, n.Chassis, n.Port}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[cacheKey]cacheEntry{}
	}
	if n.TTL <= 0 {
		delete(c.entries, k)
		return
	}
	if _, ok := c.entries[k]; !ok {
		c.makeRoom(ifc, now)
	}
	c.entries[k] = cacheEntry{n: n, expires: now.Add(time.Duration(n.TTL) * time.Second)}
}

// makeRoom drops the expired entries of ifc and, when it still has
// MaxPerInterface, the one that expires first.
func (c *Cache) makeRoom(ifc string, now time.Time) {
	var oldest *cacheKey
	var at time.Time
	count := 0
	for k, e := range c.entries {
		if k.ifc != ifc {
			continue
		}
		if !e.expires.After(now) {
			delete(c.entries, k)
			continue
		}
		count++
		if oldest == nil || e.expires.Before(at) {
			kk := k
			oldest, at = &kk, e.expires
		}
	}
	if count >= MaxPerInterface && oldest != nil {
		delete(c.entries, *oldest)
	}
}

// Forget drops every entry of the local interface ifc (it went away, or
// the receiver stopped listening on it).
func (c *Cache) Forget(ifc string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if k.ifc == ifc {
			delete(c.entries, k)
		}
	}
}

// Neighbors returns the entries whose TTL has not run out at now (dropping
// the others), sorted by interface, chassis and port.
func (c *Cache) Neighbors(now time.Time) []Neighbor {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Neighbor
	for k, e := range c.entries {
		if !e.expires.After(now) {
			delete(c.entries, k)
			continue
		}
		out = append(out, e.n)
	}
	slices.SortFunc(out, func(a, b Neighbor) int {
		return cmpAll(strings.Compare(a.Interface, b.Interface), strings.Compare(a.Chassis.String(), b.Chassis.String()),
			strings.Compare(a.Port.String(), b.Port.String()))
	})
	return out
}

// cmpAll returns the first non-zero comparison.
func cmpAll(cs ...int) int {
	for _, c := range cs {
		if c != 0 {
			return c
		}
	}
	return 0
}
