package auth

import (
	"testing"
	"time"

	"github.com/atl-cli/atl/internal/testhooks"
)

// The defaults a Session runs with when Options leave them zero, as the
// atl command does: pinned by value, not by their constants.
func TestSessionDefaults(t *testing.T) {
	s, err := OpenWith(Options{ConfigDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if s.hooks.LockWait != 2*time.Minute {
		t.Errorf("lock wait = %v, want 2m", s.hooks.LockWait)
	}
	if s.hc == nil || s.hc.Timeout != 30*time.Second {
		t.Errorf("HTTP client = %+v, want a 30 s timeout", s.hc)
	}
	if time.Since(s.now()) > time.Minute {
		t.Error("the clock is not the real one")
	}
	if s.Profile() != "default" {
		t.Errorf("profile = %q", s.Profile())
	}
	if s.minValid != 60*time.Second {
		t.Errorf("minimum validity = %v, want 60s", s.minValid)
	}
	r := s.hooks.Retry
	if r.Attempts != 4 || r.Base != 500*time.Millisecond || r.MaxRetryAfter != 30*time.Second || r.Sleep == nil {
		t.Errorf("retry policy = %+v, want 4 tries, 500ms doubling, Retry-After up to 30s", r)
	}
	s, _ = OpenWith(Options{ConfigDir: t.TempDir(), Hooks: &testhooks.Hooks{LockWait: time.Second, Retry: testhooks.Retry{Attempts: 2, Base: time.Second, MaxRetryAfter: time.Minute}}})
	if s.hooks.LockWait != time.Second || s.hooks.Retry.Attempts != 2 || s.hooks.Retry.Base != time.Second || s.hooks.Retry.MaxRetryAfter != time.Minute {
		t.Errorf("hooks not kept: %+v", s.hooks)
	}
}

func TestRetryDelay(t *testing.T) {
	p := retryPolicy(retryDefaults(testhooks.Retry{}))
	for attempt, max := range map[int]time.Duration{1: 500 * time.Millisecond, 2: time.Second, 3: 2 * time.Second, 4: 4 * time.Second} {
		for range 50 {
			d, ok := p.delay(attempt, 0)
			if !ok || d < max/2 || d > max {
				t.Fatalf("delay(%d) = %v, %v; want within [%v, %v]", attempt, d, ok, max/2, max)
			}
		}
	}
	if d, ok := p.delay(1, 30*time.Second); !ok || d != 30*time.Second {
		t.Errorf("Retry-After 30s = %v, %v", d, ok)
	}
	if d, ok := p.delay(1, 31*time.Second); ok || d != 31*time.Second {
		t.Errorf("Retry-After 31s = %v, %v; want refused", d, ok)
	}
}
