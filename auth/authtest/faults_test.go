package authtest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	e := newEnv(t, Options{})
	_, rt := e.s.IssueTokens(strings.Fields(testScopes)...)
	e.s.InjectTokenFaults(
		Fault{Status: 429, Body: `{"error":"rate_limited"}`, Header: map[string]string{"Retry-After": "1"}},
		Fault{Reset: true},
		Fault{Status: 500, Body: "oops", ContentType: "text/plain", Trickle: true},
	)
	r := e.postToken(t, e.refreshParams(rt))
	if r.status != 429 || r.header.Get("Retry-After") != "1" || r.body != `{"error":"rate_limited"}` ||
		r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("429 fault: %d %v %s", r.status, r.header, r.body)
	}
	if _, err := e.tryToken(nil, e.refreshParams(rt)); err == nil {
		t.Fatal("Reset fault: no error")
	}
	start := time.Now()
	_, err := e.tryToken(&http.Client{Timeout: 250 * time.Millisecond}, e.refreshParams(rt))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("Trickle fault with short timeout: %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("timeout took too long")
	}
	// The faults did not consume the refresh token.
	if e.s.Count("token") != 3 || e.s.GrantRevoked() {
		t.Fatalf("count = %d", e.s.Count("token"))
	}
	tr := e.tokens(t, e.refreshParams(rt))

	// A trickled body arrives whole, just slowly.
	e.s.InjectTokenFaults(Fault{Status: 503, Body: "abc", Trickle: true})
	start = time.Now()
	r = e.postToken(t, e.refreshParams(tr.RefreshToken))
	if r.status != 503 || r.body != "abc" || time.Since(start) < 2*TrickleInterval {
		t.Fatalf("trickle: %d %q after %v", r.status, r.body, time.Since(start))
	}

	// Delay is cut short by the client giving up.
	e.s.InjectTokenFaults(Fault{Status: 500, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.s.URL()+"/oauth/token", strings.NewReader(e.refreshParams(tr.RefreshToken).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := do(t, nil, req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Delay fault: %v", err)
	}

	// PassThrough + Reset: the server rotates but the answer is lost, so
	// retrying with the old token is a reuse that revokes the grant.
	e.s.InjectTokenFaults(Fault{PassThrough: true, Reset: true})
	if _, err := e.tryToken(nil, e.refreshParams(tr.RefreshToken)); err == nil {
		t.Fatal("PassThrough Reset: no error")
	}
	if e.s.LastTokenRequest().Get("refresh_token") != tr.RefreshToken {
		t.Error("LastTokenRequest not recorded for a faulted request")
	}
	r = e.postToken(t, e.refreshParams(tr.RefreshToken))
	if r.status != 403 || r.body != InvalidRefreshTokenBody || !e.s.GrantRevoked() {
		t.Fatalf("retry after lost rotation: %d %s revoked=%v", r.status, r.body, e.s.GrantRevoked())
	}

	// PassThrough without Reset delivers the real answer with extra headers.
	_, rt = e.s.IssueTokens(strings.Fields(testScopes)...)
	e.s.InjectTokenFaults(Fault{PassThrough: true, Header: map[string]string{"X-Fault": "yes"}})
	r = e.postToken(t, e.refreshParams(rt))
	if r.status != 200 || r.header.Get("X-Fault") != "yes" || !strings.Contains(r.body, "refresh_token") {
		t.Fatalf("PassThrough: %d %v %s", r.status, r.header, r.body)
	}
}
