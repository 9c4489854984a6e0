// Package engine runs one redwatch pass: collect a snapshot from the roots,
// then evaluate the rules over it. The audit command, the daemon and the
// endpoint all go through it, so they are views of the same pass.
package engine

import (
	"context"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/rules"
)

// Engine holds what a pass needs besides the host itself.
type Engine struct {
	// Roots are the filesystem roots the collectors read.
	Roots collectors.Roots
	// Now is the clock; tests inject their own.
	Now func() time.Time
}

// Pass is one collect-and-evaluate.
type Pass struct {
	Snapshot *collectors.Snapshot
	Result   rules.Result
	// Started and Duration time the whole pass.
	Started  time.Time
	Duration time.Duration
}

// Run performs one pass.
func (e *Engine) Run(ctx context.Context) *Pass {
	now := e.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	snap := collectors.Collect(ctx, e.Roots, now)
	res := rules.Evaluate(snap)
	return &Pass{Snapshot: snap, Result: res, Started: start, Duration: now().Sub(start)}
}
