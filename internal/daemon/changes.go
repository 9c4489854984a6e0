package daemon

import (
	"context"
	"log/slog"

	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/rules"
)

// logChanges logs one line per change between two passes: the status, each
// finding that appeared or resolved, each collector error that appeared or
// cleared. A pass that changes nothing logs nothing. prev is nil before the
// first pass, so everything in the first pass is logged as new.
func logChanges(log *slog.Logger, prev, cur *engine.Pass) {
	var prevRes rules.Result
	if prev != nil {
		prevRes = prev.Result
	}
	res := cur.Result
	if prev == nil {
		log.Info("first pass", "status", res.Status.String(), "groups", len(res.Groups),
			"findings", len(res.Findings), "errors", len(res.Errors), "duration", cur.Duration)
	} else if prevRes.Status != res.Status {
		lvl := slog.LevelInfo
		if rules.Worse(prevRes.Status, res.Status) == res.Status {
			lvl = slog.LevelWarn
		}
		log.Log(context.Background(), lvl, "status changed", "from", prevRes.Status.String(), "to", res.Status.String())
	}

	type fkey struct{ rule, subject string }
	was := map[fkey]rules.Finding{}
	for _, f := range prevRes.Findings {
		was[fkey{f.Rule, f.Subject}] = f
	}
	now := map[fkey]bool{}
	for _, f := range res.Findings {
		k := fkey{f.Rule, f.Subject}
		now[k] = true
		old, ok := was[k]
		if ok && old.Severity == f.Severity {
			continue
		}
		lvl := slog.LevelInfo
		if f.Severity >= rules.Warning {
			lvl = slog.LevelWarn
		}
		log.Log(context.Background(), lvl, "finding", "rule", f.Rule, "severity", f.Severity.String(),
			"subject", f.Subject, "message", f.Message)
	}
	for _, f := range prevRes.Findings {
		if !now[fkey{f.Rule, f.Subject}] {
			log.Info("finding resolved", "rule", f.Rule, "severity", f.Severity.String(), "subject", f.Subject)
		}
	}

	// By text: a cause is a new value each pass.
	errWas := map[[3]string]bool{}
	for _, e := range prevRes.Errors {
		errWas[e.Key()] = true
	}
	errNow := map[[3]string]bool{}
	for _, e := range res.Errors {
		errNow[e.Key()] = true
		if !errWas[e.Key()] {
			log.Warn("collector error", "collector", e.Collector, "path", e.Path, "err", e.Reason())
		}
	}
	for _, e := range prevRes.Errors {
		if !errNow[e.Key()] {
			log.Info("collector error cleared", "collector", e.Collector, "path", e.Path)
		}
	}
}
