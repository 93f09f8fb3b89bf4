package auth

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/atl-cli/atl/internal/loopback"
)

const fuzzState = "c3RhdGUtZm9yLWZ1enppbmctdGhlLWNhbGxiYWNrLWhhbmRsZXI"

// FuzzCallback feeds arbitrary requests to the callback handler: it must
// never panic, never reflect markup, and accept a request only when it
// carries the right state once and a code (or an error).
func FuzzCallback(f *testing.F) {
	for _, seed := range []struct{ method, target, host string }{
		{"GET", "/callback?code=abc&state=" + fuzzState, "127.0.0.1:27813"},
		{"GET", "/callback?error=access_denied&error_description=%3Cscript%3E&state=" + fuzzState, "127.0.0.1:27813"},
		{"GET", "/callback?code=abc&state=wrong", "127.0.0.1:27813"},
		{"GET", "/callback?code=a&code=b&state=" + fuzzState, "127.0.0.1:27813"},
		{"POST", "/callback?code=abc&state=" + fuzzState, "127.0.0.1:27813"},
		{"GET", "/callback?code=abc&state=" + fuzzState, "evil.example:27813"},
		{"GET", "/other", "127.0.0.1:27813"},
		{"GET", "/callback?%zz", "127.0.0.1:27813"},
	} {
		f.Add(seed.method, seed.target, seed.host)
	}
	cb, err := loopback.Parse("http://127.0.0.1:27813/callback")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, target, host string) {
		raw := method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return
		}
		results := make(chan callbackResult, 1)
		outcome := make(chan error, 1)
		outcome <- nil
		h := &callbackHandler{cb: cb, state: fuzzState, results: results, outcome: outcome, pageDone: make(chan struct{})}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if strings.Contains(strings.ToLower(rec.Body.String()), "<script") {
			t.Fatalf("page reflects markup: %q", rec.Body.String())
		}
		if rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Fatal("CORS header set")
		}
		select {
		case r := <-results:
			q, err := url.ParseQuery(req.URL.RawQuery)
			if err != nil || req.Method != http.MethodGet || req.Host != "127.0.0.1:27813" || req.URL.Path != "/callback" {
				t.Fatalf("accepted a request it should not: %q", raw)
			}
			if len(q["state"]) != 1 || q.Get("state") != fuzzState {
				t.Fatalf("accepted a wrong state: %q", raw)
			}
			if r.err == nil && (r.code == "" || r.code != q.Get("code")) {
				t.Fatalf("result code %q does not match the request %q", r.code, raw)
			}
			if r.err != nil && q.Get("error") == "" {
				t.Fatalf("error result without error parameter: %q", raw)
			}
		default:
			if rec.Code == http.StatusOK {
				t.Fatalf("200 without accepting: %q", raw)
			}
		}
	})
}
