package authtest

import (
	"net/http"
	"testing"
	"time"
)

// Every answer waits the latency first (a lower bound, which a busy
// machine cannot break), set in Options or, for a server in another
// process, through POST /_authtest/latency.
func TestLatencyDelaysEveryAnswer(t *testing.T) {
	e := newEnv(t, Options{ExposeCounts: true, Latency: 60 * time.Millisecond})
	start := time.Now()
	if r := e.api(t, "/me", ""); r.status != 401 || time.Since(start) < 60*time.Millisecond {
		t.Fatalf("/me: %d after %v, want 401 after 60ms or more", r.status, time.Since(start))
	}
	for _, tc := range []struct {
		d    string
		want int
	}{{"-1ms", 400}, {"soon", 400}, {"150ms", 204}} {
		resp, err := http.Post(e.s.URL()+"/_authtest/latency?d="+tc.d, "", nil)
		if err != nil || resp.StatusCode != tc.want {
			t.Fatalf("latency %s: %v %v, want %d", tc.d, resp, err, tc.want)
		}
		resp.Body.Close()
	}
	start = time.Now()
	if r := e.api(t, "/_authtest/counts", ""); r.status != 200 || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("counts: %d after %v, want 200 after 150ms or more", r.status, time.Since(start))
	}
	if resp, err := http.Post(newEnv(t, Options{}).s.URL()+"/_authtest/latency?d=1s", "", nil); err != nil || resp.StatusCode != 404 {
		t.Fatalf("latency set without ExposeCounts: %v %v", resp, err)
	}
}
