package authtest

import (
	"net/http"
	"strconv"
)

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := "-" // hijacked, aborted or nothing written
			if sw.status != 0 {
				status = strconv.Itoa(sw.status)
			}
			s.opts.Logf("%s %s %s", r.Method, r.URL.Path, status)
		}()
		h.ServeHTTP(sw, r)
	})
}
