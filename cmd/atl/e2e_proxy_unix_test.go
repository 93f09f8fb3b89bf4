//go:build !windows

package main

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
)

// TestE2EProxyStopsOnASignal: SIGTERM and SIGINT stop accepting, let the
// request in flight finish, and exit 0.
func TestE2EProxyStopsOnASignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			e := newProxyE2E(t, authtest.Options{})
			p := e.proxy()
			e.srv.InjectAPIFaults(authtest.Fault{PassThrough: true, Delay: 300 * time.Millisecond})
			type result struct {
				status int
				err    error
			}
			got := make(chan result, 1)
			go func() {
				req, _ := http.NewRequest("GET", p.url+"/rest/api/2/issue/P1-2", nil)
				req.Header.Set("Authorization", "Bearer "+p.key)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					got <- result{err: err}
					return
				}
				resp.Body.Close()
				got <- result{status: resp.StatusCode}
			}()
			for e.srv.Count("issue") == 0 { // in flight
				time.Sleep(time.Millisecond)
			}
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if r := <-got; r.err != nil || r.status != 200 {
				t.Fatalf("the request in flight: status %d, %v", r.status, r.err)
			}
			if code, rest := p.stop(); code != 0 || rest != "" || p.stderr.String() != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, rest, p.stderr.String())
			}
			if _, err := http.Get(p.url + "/rest/api/3/myself"); err == nil || !strings.Contains(err.Error(), "refused") {
				t.Fatalf("after the signal: %v", err)
			}
		})
	}
}

// TestE2EProxyCatchesASignalFromItsAnnouncementOn: a SIGTERM sent as
// soon as the proxy has said where it listens stops it cleanly (exit 0),
// never kills it (atl's context listens for interrupts from its first
// question on, which came after the announcement: half of these were
// killed).
func TestE2EProxyCatchesASignalFromItsAnnouncementOn(t *testing.T) {
	e := newProxyE2E(t, authtest.Options{})
	for i := range 20 {
		p := e.proxy()
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code, rest := p.stop(); code != 0 || rest != "" || p.stderr.String() != "" {
			t.Fatalf("run %d: exit %d, stdout %q, stderr %q", i+1, code, rest, p.stderr.String())
		}
	}
}

// TestE2EProxyDebugTracesUpstreamRedacted: --debug traces the requests
// sent upstream, the token redacted; the key and the client's cookie are
// in no trace.
func TestE2EProxyDebugTracesUpstreamRedacted(t *testing.T) {
	e := newProxyE2E(t, authtest.Options{})
	p := e.proxy("--debug")
	if out, code := p.curl(false, "-f", "-H", "Cookie: session=cookie-secret", p.url+"/rest/api/2/issue/P1-2?fields=summary"); code != 0 {
		t.Fatalf("curl: %s", out)
	}
	if code, _ := p.stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	trace := p.stderr.String()
	for _, want := range []string{
		"> GET " + e.srv.URL() + "/ex/jira/" + authtest.DefaultSiteID + "/rest/api/2/issue/P1-2?fields=summary\n",
		"> Authorization: Bearer [REDACTED]\n",
		"< 200 OK (",
	} {
		if !strings.Contains(trace, want) {
			t.Errorf("the trace lacks %q:\n%s", want, trace)
		}
	}
	for _, secret := range []string{p.key, e.grant().AccessToken, "cookie-secret"} {
		if strings.Contains(trace, secret) {
			t.Errorf("the trace shows a secret:\n%s", trace)
		}
	}
}
