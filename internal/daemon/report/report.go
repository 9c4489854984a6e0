// Package report holds what the daemon's loop publishes after each pass and
// about its configuration loads: the types the endpoint (internal/server)
// reads, kept apart from the loop so that the daemon can build the endpoint.
package report

import (
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/engine"
)

// DefaultInterval is the safety-net interval between passes.
const DefaultInterval = 30 * time.Second

// Triggers: why a pass ran.
const (
	TriggerStart    = "start"
	TriggerEvent    = "event"
	TriggerInterval = "interval"
	TriggerReload   = "reload"
)

// Pass kinds: a full pass reads every source; an incremental one (after
// events it could place) re-reads only the sources of the subsystems the
// events named and takes the others' facts from their last read.
const (
	KindFull        = "full"
	KindIncremental = "incremental"
)

// Report is what the loop publishes after each pass.
type Report struct {
	// Pass is the pass that just ran.
	Pass *engine.Pass
	// Seq counts passes from 1.
	Seq uint64
	// Trigger is why it ran: start, event, interval or reload.
	Trigger string
	// Kind is full or incremental (KindFull, KindIncremental).
	Kind string
	// Subsystems are what an incremental pass re-read (nil for a full one).
	Subsystems []collectors.Subsystem
	// Links are the interfaces the net events of an incremental pass named,
	// the only ones it re-read (nil: every interface, when net is among
	// Subsystems).
	Links []string
	// Events is how many events the pass coalesced (trigger event only).
	Events int
	// Spread is the time from the first to the last of those events: how
	// long the burst lasted, which the debounce window must cover.
	Spread time.Duration
	// Passes counts the passes so far by trigger, of either kind.
	Passes map[string]uint64
	// Incremental counts the incremental passes so far; all of them were
	// triggered by events (the rest of Passes[TriggerEvent] were full).
	Incremental uint64
	// EventsBySource counts the events so far by source.
	EventsBySource map[string]uint64
	// Sources says, for each event source, whether it is delivering events.
	Sources map[string]bool
	// Interval is the safety-net interval in force.
	Interval time.Duration
}

// ReloadStatus is the outcome of the last configuration load, as Prometheus
// reports its own (prometheus_config_last_reload_successful and
// prometheus_config_last_reload_success_timestamp_seconds): the load in New
// counts as the first successful one.
type ReloadStatus struct {
	// Successful is false when the last reload failed and the configuration
	// in force is an older one.
	Successful bool
	// LastSuccess is when the configuration in force was loaded.
	LastSuccess time.Time
}
