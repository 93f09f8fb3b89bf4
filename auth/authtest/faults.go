package authtest

import (
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// Fault is an abnormal answer of the token endpoint, queued with
// Server.InjectTokenFaults.
type Fault struct {
	Status      int               // HTTP status to answer; default 500
	Body        string            // raw body
	ContentType string            // default application/json
	Header      map[string]string // extra response headers, e.g. {"Retry-After": "1"}
	Delay       time.Duration     // sleep before answering (aborted when the client goes away)
	Trickle     bool              // write the body one byte every 200ms
	Reset       bool              // drop the connection without answering (TCP reset)
	// PassThrough handles the request normally (a code is redeemed, a refresh
	// token really rotates) and then applies Delay, Reset, Trickle and Header
	// to the real answer: with Reset, the answer is lost. Status, Body and
	// ContentType are ignored.
	PassThrough bool
}

// InjectTokenFaults queues faults: each of the next token-endpoint requests
// (any grant type, valid or not) consumes one fault, in order, instead of
// getting the normal answer.
func (s *Server) InjectTokenFaults(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// sleep waits for d, or until the request or the server is done; it reports
// whether the full duration elapsed.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f *Fault, rec *httptest.ResponseRecorder) {
	if !s.sleep(r, f.Delay) {
		return
	}
	if f.Reset {
		resetConn(w)
		return
	}
	var status int
	var body []byte
	if rec != nil {
		maps.Copy(w.Header(), rec.Header())
		status, body = rec.Code, rec.Body.Bytes()
	} else {
		status, body = f.Status, []byte(f.Body)
		if status == 0 {
			status = http.StatusInternalServerError
		}
		ct := f.ContentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
	}
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if !f.Trickle {
		w.Write(body)
		return
	}
	rc := http.NewResponseController(w)
	rc.Flush()
	for i := range body {
		if i > 0 && !s.sleep(r, TrickleInterval) {
			return
		}
		if _, err := w.Write(body[i : i+1]); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// resetConn drops the connection without answering, with a TCP RST if
// possible.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}
