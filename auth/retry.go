package auth

import (
	"math/rand/v2"
	"time"

	"github.com/atl-cli/atl/internal/retry"
	"github.com/atl-cli/atl/internal/testhooks"
)

// retryPolicy bounds how a refresh is retried. A refresh token may be
// replayed within Atlassian's 10-minute leeway; the defaults stay well
// inside it.
type retryPolicy testhooks.Retry

// retryDefaults is p with every default filled in.
func retryDefaults(p testhooks.Retry) testhooks.Retry {
	if p.Attempts <= 0 {
		p.Attempts = 4
	}
	if p.Base <= 0 {
		p.Base = 500 * time.Millisecond
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 30 * time.Second
	}
	if p.Sleep == nil {
		p.Sleep = retry.Sleep
	}
	return p
}

// delay returns how long to wait before try number attempt+1, or false
// when the server asks for longer than the policy allows. Without a
// Retry-After it is the attempt's backoff (Base doubling) with jitter: a
// random value in its upper half.
func (p retryPolicy) delay(attempt int, after time.Duration) (time.Duration, bool) {
	if after > 0 {
		return after, after <= p.MaxRetryAfter
	}
	d := p.Base << (attempt - 1)
	return d/2 + rand.N(d/2+1), true
}
