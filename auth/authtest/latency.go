package authtest

import (
	"net/http"
	"time"
)

// SetLatency makes every answer wait d before it is handled, as if the
// server were a network round trip of d away (0: none). Benchmarks use it
// to compare a local hop (atl proxy's) with the distance to Atlassian.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// delayed waits the latency set with SetLatency (or Options.Latency)
// before h handles a request; a client that goes away ends the wait and
// gets no answer.
func (s *Server) delayed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		d := s.latency
		s.mu.Unlock()
		if s.sleep(r, d) {
			h.ServeHTTP(w, r)
		}
	})
}

// handleSetLatency is POST /_authtest/latency?d=DURATION (ExposeCounts),
// SetLatency for a server in another process.
func (s *Server) handleSetLatency(w http.ResponseWriter, r *http.Request) {
	d, err := time.ParseDuration(r.URL.Query().Get("d"))
	if err != nil || d < 0 {
		http.Error(w, "d must be a duration, e.g. 10ms", http.StatusBadRequest)
		return
	}
	s.SetLatency(d)
	w.WriteHeader(http.StatusNoContent)
}
