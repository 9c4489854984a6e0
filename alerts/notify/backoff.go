package notify

import (
	"math/rand/v2"
	"time"
)

// Backoff is the retry policy every channel shares: the first retry waits
// about Initial, each next one Multiplier times longer, never more than Max;
// each wait is randomised by ±Jitter (a fraction) so that many redwatch hosts
// retrying the same receiver do not hit it in step. It is the policy of
// Alertmanager's notify.RetryStage (an exponential backoff with
// randomisation), with Retry-After honoured up to Max.
type Backoff struct {
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
	Jitter     float64
}

// DefaultBackoff is the policy used when the configuration sets none:
// 1 s, 2 s, 4 s ... capped at 5 min, ±20 %.
var DefaultBackoff = Backoff{Initial: time.Second, Max: 5 * time.Minute, Multiplier: 2, Jitter: 0.2}

// Delay is how long to wait before retry number attempt (1 for the first
// retry). random returns a float in [0, 1); nil means math/rand/v2.
// retryAfter, when positive, is what the receiver asked for: it replaces the
// computed delay (still capped at Max).
func (b Backoff) Delay(attempt int, retryAfter time.Duration, random func() float64) time.Duration {
	b = b.withDefaults()
	if retryAfter > 0 {
		return min(retryAfter, b.Max)
	}
	if attempt < 1 {
		attempt = 1
	}
	d := float64(b.Initial)
	for i := 1; i < attempt && d < float64(b.Max); i++ {
		d *= b.Multiplier
	}
	d = min(d, float64(b.Max))
	if random == nil {
		random = rand.Float64
	}
	d *= 1 + b.Jitter*(2*random()-1)
	return max(time.Duration(d), time.Millisecond)
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = DefaultBackoff.Initial
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoff.Max
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.Multiplier < 1 {
		b.Multiplier = DefaultBackoff.Multiplier
	}
	if b.Jitter < 0 || b.Jitter >= 1 {
		b.Jitter = DefaultBackoff.Jitter
	}
	return b
}
