// Package retry is how atl waits before trying a request again: the wait a
// server's Retry-After asks for, and a sleep that ends with its context.
// The refresh (package auth) and atl api (rate limits) share it.
package retry

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// After returns the wait the Retry-After header of h asks for, read
// against now: delay-seconds, or an HTTP date (a date in the past asks for
// no wait). It reports false when there is no such header or it cannot be
// read.
func After(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// Sleep waits d, or until ctx ends, when it returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
