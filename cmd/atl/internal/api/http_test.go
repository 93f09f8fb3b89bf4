package api

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryWait(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header  string
		attempt int
		want    time.Duration
	}{
		{"", 1, 2 * time.Second},
		{"", 2, 4 * time.Second},
		{"7", 1, 7 * time.Second},
		{"0", 1, 0},
		{"600", 1, 60 * time.Second},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 1, 10 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 1, 0},
		{"soon", 3, 8 * time.Second},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set("Retry-After", tc.header)
		}
		if got := retryWait(h, tc.attempt, now); got != tc.want {
			t.Errorf("retryWait(%q, %d) = %v, want %v", tc.header, tc.attempt, got, tc.want)
		}
	}
}
