package proxy

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
)

// The proxy's limits at their edges: what it rewrites whole, what it can
// send again, which keys and ports it takes, and its buffers.

// paddedJSON is a JSON object of exactly n bytes holding the site's
// address once.
func paddedJSON(n int) string {
	head := `{"self":"https://example.atlassian.net/browse/P1-1","pad":"`
	return head + strings.Repeat("a", n-len(head)-2) + `"}`
}

// TestRunRewritesABodyOfAReadsWorthWhole: a JSON body of a known length up
// to readBuffer is rewritten whole with its new Content-Length; one byte
// more streams without one.
func TestRunRewritesABodyOfAReadsWorthWhole(t *testing.T) {
	for _, tc := range []struct {
		size  int
		whole bool
	}{{readBuffer, true}, {readBuffer + 1, false}} {
		e := clitest.New(t)
		storeLogin(e)
		r := start(t, e, Options{})
		e.Srv.InjectAPIFaults(authtest.Fault{Status: 200, Body: paddedJSON(tc.size)})
		a, err := r.fetch("/rest/api/2/issue/P1-1")
		want := strings.Replace(paddedJSON(tc.size), "https://example.atlassian.net", r.url, 1)
		if cl := a.header.Get("Content-Length"); err != nil || a.body != want || (cl == strconv.Itoa(len(want))) != tc.whole || (cl == "") == tc.whole {
			t.Errorf("%d bytes: %v, Content-Length %q, body as wanted %v; want it whole %v", tc.size, err, cl, a.body == want, tc.whole)
		}
		if err := r.stopped(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunSendsABodyAgainUpToMaxReplay: after a refused access token, a
// body of exactly maxReplay bytes is refreshed for and sent again (whole);
// a longer one, whose length the client did not say, streams once and the
// refusal comes back (auth's client refreshes only to send again).
func TestRunSendsABodyAgainUpToMaxReplay(t *testing.T) {
	for _, tc := range []struct {
		name    string
		size    int
		chunked bool
		status  int
		edits   int
		refresh int
	}{
		{"exactly maxReplay bytes", maxReplay, false, 204, 2, 1},
		{"exactly maxReplay bytes, chunked", maxReplay, true, 204, 2, 1},
		{"a byte more, chunked", maxReplay + 1, true, 401, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			storeLogin(e)
			r := start(t, e, Options{})
			e.Srv.ExpireAccessTokens()
			e.Srv.ResetCounts()
			body := `{"fields":{"summary":"Renamed"},"pad":"` + strings.Repeat("a", tc.size-41) + `"}`
			if len(body) != tc.size {
				t.Fatalf("a body of %d bytes", len(body))
			}
			var rd io.Reader = strings.NewReader(body)
			if tc.chunked {
				rd = io.MultiReader(rd) // a length net/http cannot tell
			}
			req, _ := http.NewRequest("PUT", r.url+"/rest/api/2/issue/P1-2", rd)
			req.Header.Set("Authorization", "Bearer "+r.key)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status || e.Srv.Count("edit-issue") != tc.edits || e.Srv.Count("token:refresh_token") != tc.refresh {
				t.Fatalf("%d after %d edits and %d refreshes; want %d after %d and %d", resp.StatusCode, e.Srv.Count("edit-issue"), e.Srv.Count("token:refresh_token"), tc.status, tc.edits, tc.refresh)
			}
			if err := r.stopped(); err != nil || r.errOut.String() != "" {
				t.Fatalf("the proxy: %v, stderr %q", err, r.errOut.String())
			}
		})
	}
}

// TestRunTakesKeysAndPortsAtTheirEdges: '!' and '~' are the ends of what a
// key may hold, and 65535 is a port.
func TestRunTakesKeysAndPortsAtTheirEdges(t *testing.T) {
	for name, opts := range map[string]Options{
		"a key ending in !": {Key: strings.Repeat("k", 31) + "!"},
		"a key ending in ~": {Key: strings.Repeat("k", 31) + "~"},
		"port 65535":        {Port: 65535},
	} {
		t.Run(name, func(t *testing.T) {
			e := clitest.New(t)
			storeLogin(e)
			r := start(t, e, opts)
			if a, err := r.fetch("/rest/api/3/myself"); err != nil || a.status != 200 {
				t.Fatalf("%v %+v", err, a)
			}
			if err := r.stopped(); err != nil {
				t.Fatal(err)
			}
		})
	}
	e := clitest.New(t)
	storeLogin(e)
	opts := Options{IO: e.F.IO, Session: e.F.Session, Key: strings.Repeat("k", 31) + "\x7f"}
	if code := e.Report(run(t.Context(), &opts), "proxy"); code != 2 {
		t.Fatalf("a key with DEL: exit %d, %q", code, e.ErrOut.String())
	}
}

// TestRunSaysNothingOfAClientThatWentAway: a client that gives up on its
// request is no failure to report.
func TestRunSaysNothingOfAClientThatWentAway(t *testing.T) {
	e := clitest.New(t)
	storeLogin(e)
	r := start(t, e, Options{})
	e.Srv.InjectAPIFaults(authtest.Fault{PassThrough: true, Delay: time.Minute})
	c := &http.Client{Timeout: 100 * time.Millisecond}
	req, _ := http.NewRequest("GET", r.url+"/rest/api/2/issue/P1-2", nil)
	req.Header.Set("Authorization", "Bearer "+r.key)
	if _, err := c.Do(req); err == nil {
		t.Fatal("answered")
	}
	for e.Srv.Count("issue") == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := r.stopped(); err != nil || r.errOut.String() != "" {
		t.Fatalf("the proxy: %v, stderr %q", err, r.errOut.String())
	}
}

// TestUpstreamKeepsConnectionsAlive: the login's requests go through a
// transport of the proxy's own, unless --debug gave a client, whose
// transport is kept (and whose client is not changed).
func TestUpstreamKeepsConnectionsAlive(t *testing.T) {
	var o auth.Options
	upstream(&o)
	tr, ok := o.HTTPClient.Transport.(*http.Transport)
	if !ok || tr.MaxIdleConnsPerHost != 32 || !tr.ForceAttemptHTTP2 || o.HTTPClient.Timeout != 30*time.Second {
		t.Fatalf("%+v", o.HTTPClient)
	}
	traced := &http.Client{Transport: roundTripper(func(*http.Request) (*http.Response, error) { return nil, errors.New("traced") })}
	o = auth.Options{HTTPClient: traced}
	upstream(&o)
	if o.HTTPClient == traced || o.HTTPClient.Transport == nil || traced.Timeout != 0 {
		t.Fatalf("%+v", o.HTTPClient)
	}
	if _, err := o.HTTPClient.Transport.RoundTrip(&http.Request{}); err == nil || err.Error() != "traced" {
		t.Fatal("the given transport was not kept")
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
