package auth

import (
	"testing"
	"time"
)

// The defaults a Session runs with when Options leave them zero, as the
// atl command does: pinned by value, not by their constants.
func TestSessionDefaults(t *testing.T) {
	s, err := OpenWith(Options{ConfigDir: t.TempDir(), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if s.lockWait != 2*time.Minute {
		t.Errorf("lock wait = %v, want 2m", s.lockWait)
	}
	if s.hc == nil || s.hc.Timeout != 30*time.Second {
		t.Errorf("HTTP client = %+v, want a 30 s timeout", s.hc)
	}
	if s.now == nil || time.Since(s.now()) > time.Minute {
		t.Error("the clock is not the real one")
	}
	if s.Profile() != "default" {
		t.Errorf("profile = %q", s.Profile())
	}
	r := s.retry
	if r.Attempts != 4 || r.Base != 500*time.Millisecond || r.MaxRetryAfter != 30*time.Second || r.Sleep == nil {
		t.Errorf("retry policy = %+v, want 4 tries, 500ms doubling, Retry-After up to 30s", r)
	}
	s, _ = OpenWith(Options{ConfigDir: t.TempDir(), LockWait: time.Second, Retry: RetryPolicy{Attempts: 2, Base: time.Second, MaxRetryAfter: time.Minute}})
	if s.lockWait != time.Second || s.retry.Attempts != 2 || s.retry.Base != time.Second || s.retry.MaxRetryAfter != time.Minute {
		t.Errorf("options not kept: %v %+v", s.lockWait, s.retry)
	}
}

func TestRetryDelay(t *testing.T) {
	p := RetryPolicy{}.withDefaults()
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
