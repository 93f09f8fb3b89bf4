package auth

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atl-cli/atl/internal/loopback"

	"github.com/atl-cli/atl/auth/authtest"
)

const (
	loginClientID = "login-test-client"
	loginSecret   = "login-test-s3cr3t-value"
)

var loginScopes = []string{"offline_access", "read:jira-work", "read:me"}

// freePort returns a loopback port that is free on 127.0.0.1 (and on ::1
// when bothStacks and the machine has IPv6).
func freePort(t *testing.T, bothStacks bool) int {
	t.Helper()
	for range 50 {
		port := authtest.FreePort(t)
		if bothStacks && haveIPv6() {
			l6, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(port)))
			if err != nil {
				continue
			}
			l6.Close()
		}
		return port
	}
	t.Fatal("no free port found")
	return 0
}

var haveIPv6 = sync.OnceValue(func() bool {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
})

// login is one Login running in the background against an authtest
// server.
type login struct {
	srv   *authtest.Server
	cbURL string
	port  int
	urls  chan string // what the browser is opened at
	// shownURL is the link shown to the user: the keyed start link.
	shownURL atomic.Pointer[string]
	opened   atomic.Int32
	shown    atomic.Int32
	done     chan struct{}
	res      *flowResult
	err      error
}

type loginSetup struct {
	callback string // callback URL; %d is replaced by a free port
	srvOpts  authtest.Options
	ctx      context.Context // default: 10s from now
	// existing, if set, is reused instead of a new server.
	existing *authtest.Server
	opts     func(*flow)
	// keepOpen leaves the listener of a successful flow up: the test
	// calls the result's close.
	keepOpen bool
}

func startLogin(t *testing.T, s loginSetup) *login {
	t.Helper()
	if s.callback == "" {
		s.callback = "http://127.0.0.1:%d/callback"
	}
	port := freePort(t, strings.Contains(s.callback, "localhost"))
	cbURL := strings.Replace(s.callback, "%d", strconv.Itoa(port), 1)
	srv := s.existing
	if srv == nil {
		o := s.srvOpts
		o.ClientID = loginClientID
		if o.RedirectURI == "" {
			o.RedirectURI = cbURL
		}
		srv = authtest.NewServer(o)
		t.Cleanup(srv.Close)
	}
	return runLogin(t, srv, cbURL, port, s)
}

func runLogin(t *testing.T, srv *authtest.Server, cbURL string, port int, s loginSetup) *login {
	t.Helper()
	ctx := s.ctx
	if ctx == nil {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		t.Cleanup(cancel)
		ctx = c
	}
	l := &login{srv: srv, cbURL: cbURL, port: port, urls: make(chan string, 4), done: make(chan struct{})}
	cb, err := loopback.Parse(cbURL)
	if err != nil {
		t.Fatal(err)
	}
	opts := flow{
		clientID: loginClientID,
		authURL:  srv.URL(),
		callback: cb,
		scopes:   slices.Clone(loginScopes),
		openBrowser: func(u string) error {
			l.opened.Add(1)
			l.urls <- u
			return nil
		},
		showURL: func(u string) {
			l.shown.Add(1)
			l.shownURL.Store(&u)
		},
		hc: &http.Client{Timeout: 5 * time.Second},
	}
	if s.opts != nil {
		s.opts(&opts)
	}
	go func() {
		defer close(l.done)
		l.res, l.err = authorize(ctx, opts)
		if l.res != nil && !s.keepOpen {
			l.res.close() // as Login does once it has stored the login
		}
	}()
	t.Cleanup(func() {
		select {
		case <-l.done:
		case <-time.After(15 * time.Second):
			t.Error("Login still running at the end of the test")
		}
	})
	return l
}

// startURL waits for the flow to open the browser and returns the
// one-time start link it showed.
func (l *login) startURL(t *testing.T) string {
	t.Helper()
	l.browserURL(t)
	return *l.shownURL.Load()
}

// browserURL waits for what the flow opens the browser at.
func (l *login) browserURL(t *testing.T) string {
	t.Helper()
	select {
	case u := <-l.urls:
		return u
	case <-l.done:
		t.Fatalf("Login returned before opening the browser: %v", l.err)
	case <-time.After(5 * time.Second):
		t.Fatal("Login did not open the browser")
	}
	return ""
}

// authURL follows the start link once and returns the authorize URL it
// redirects to.
func (l *login) authURL(t *testing.T) string {
	t.Helper()
	r := mustSend(t, rawClient(t), http.MethodGet, l.startURL(t), "", nil)
	if r.status != http.StatusFound || r.header.Get("Location") == "" {
		t.Fatalf("start link: %d %q", r.status, r.body)
	}
	return r.header.Get("Location")
}

// state returns the state parameter of the authorize URL u.
func authState(t *testing.T, u string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return pu.Query().Get("state")
}

func (l *login) wait(t *testing.T) (*flowResult, error) {
	t.Helper()
	select {
	case <-l.done:
		return l.res, l.err
	case <-time.After(10 * time.Second):
		t.Fatal("Login did not return")
	}
	return nil, nil
}

// stillWaiting fails the test if Login has returned.
func (l *login) stillWaiting(t *testing.T, after string) {
	t.Helper()
	select {
	case <-l.done:
		t.Fatalf("Login returned after %s: %v, %v", after, l.res, l.err)
	case <-time.After(20 * time.Millisecond):
	}
}

func (l *login) addr(host string) string { return net.JoinHostPort(host, strconv.Itoa(l.port)) }

// rawClient is a client that follows no redirects and sends what it is told.
func rawClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

func send(t *testing.T, c *http.Client, method, target, host string, header http.Header) (response, error) {
	t.Helper()
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{resp.StatusCode, resp.Header, string(b)}, nil
}

func mustSend(t *testing.T, c *http.Client, method, target, host string, header http.Header) response {
	t.Helper()
	r, err := send(t, c, method, target, host, header)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return r
}

// checkPageHeaders checks the headers every page of the listener must have.
func checkPageHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("%s: Content-Security-Policy = %q, want default-src 'none'", what, csp)
	}
	if rp := h.Get("Referrer-Policy"); rp != "no-referrer" {
		t.Errorf("%s: Referrer-Policy = %q, want no-referrer", what, rp)
	}
	if v := h.Values("Access-Control-Allow-Origin"); len(v) != 0 {
		t.Errorf("%s: Access-Control-Allow-Origin = %q, want none", what, v)
	}
	if cc := h.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("%s: Cache-Control = %q, want no-store", what, cc)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: Content-Type = %q, want text/html", what, ct)
	}
}

// consentToCallback plays the browser up to the redirect to the callback and
// returns the callback URL (with code and state) without requesting it.
func consentToCallback(t *testing.T, authURL string, port int) string {
	t.Helper()
	var cb string
	client := &http.Client{
		Timeout: 5 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Port() == strconv.Itoa(port) {
				cb = req.URL.String()
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	status, body, err := authtest.Browse(context.Background(), client, authURL)
	if err != nil {
		t.Fatalf("Browse: %v", err)
	}
	if cb == "" {
		t.Fatalf("the consent did not redirect to the callback: %d %s", status, body)
	}
	return cb
}
