package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/atl-cli/atl/auth/authtest"
)

const (
	loginClientID = "login-test-client"
	loginSecret   = "login-test-s3cr3t-value"
)

var loginScopes = []string{"offline_access", "read:jira-work", "read:me"}

// usedPorts keeps parallel tests from picking the same port twice.
var usedPorts sync.Map

// freePort returns a loopback port that is free on 127.0.0.1 (and on ::1
// when bothStacks and the machine has IPv6).
func freePort(t *testing.T, bothStacks bool) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if _, dup := usedPorts.LoadOrStore(port, true); dup {
			continue
		}
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
	srv    *authtest.Server
	cbURL  string
	port   int
	urls   chan string // authorize URLs passed to OpenBrowser
	opened atomic.Int32
	shown  atomic.Int32
	done   chan struct{}
	res    *flowResult
	err    error
}

type loginSetup struct {
	callback string // callback URL; %d is replaced by a free port
	srvOpts  authtest.Options
	ctx      context.Context // default: 10s from now
	// existing, if set, is reused instead of a new server.
	existing *authtest.Server
	opts     func(*flow)
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
	cb, err := parseCallback(cbURL)
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
		showURL: func(string) { l.shown.Add(1) },
		hc:      &http.Client{Timeout: 5 * time.Second},
	}
	if s.opts != nil {
		s.opts(&opts)
	}
	go func() {
		defer close(l.done)
		l.res, l.err = authorize(ctx, opts)
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

// authURL waits for the authorize URL Login opens.
func (l *login) authURL(t *testing.T) string {
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

func TestLoginRejectsStrayCallbacks(t *testing.T) {
	t.Parallel()
	l := startLogin(t, loginSetup{})
	authURL := l.authURL(t)
	state := authState(t, authURL)
	if state == "" {
		t.Fatal("no state in the authorize URL")
	}
	base := "http://" + l.addr("127.0.0.1")
	right := url.QueryEscape(state)
	c := rawClient(t)

	cases := []struct {
		name   string
		method string
		target string // after base
		host   string
		header http.Header
		want   int // 0: any 4xx
	}{
		{name: "wrong state", target: "/callback?state=WRONG&code=abc", want: http.StatusBadRequest},
		{name: "state of the right length but wrong", target: "/callback?code=abc&state=" + strings.Repeat("A", len(state)), want: http.StatusBadRequest},
		{name: "state with a suffix", target: "/callback?code=abc&state=" + right + "x", want: http.StatusBadRequest},
		{name: "missing state", target: "/callback?code=abc", want: http.StatusBadRequest},
		{name: "empty state", target: "/callback?state=&code=abc", want: http.StatusBadRequest},
		{name: "no query", target: "/callback", want: http.StatusBadRequest},
		{name: "access_denied with wrong state", target: "/callback?state=WRONG&error=access_denied", want: http.StatusBadRequest},
		{name: "error without state", target: "/callback?error=server_error&error_description=boom", want: http.StatusBadRequest},
		{name: "repeated state a b", target: "/callback?state=a&state=b&code=abc", want: http.StatusBadRequest},
		{name: "repeated state right first", target: "/callback?state=" + right + "&state=b&code=abc", want: http.StatusBadRequest},
		{name: "repeated state right twice", target: "/callback?state=" + right + "&state=" + right + "&code=abc", want: http.StatusBadRequest},
		{name: "repeated code", target: "/callback?state=" + right + "&code=a&code=b", want: http.StatusBadRequest},
		{name: "malformed query", target: "/callback?state=" + right + ";code=abc", want: http.StatusBadRequest},
		{name: "right state no code", target: "/callback?state=" + right, want: http.StatusBadRequest},
		{name: "right state empty code", target: "/callback?code=&state=" + right, want: http.StatusBadRequest},
		{name: "other path", target: "/other?code=abc&state=" + right, want: http.StatusNotFound},
		{name: "path with trailing slash", target: "/callback/?code=abc&state=" + right, want: http.StatusNotFound},
		{name: "root", target: "/?code=abc&state=" + right, want: http.StatusNotFound},
		{name: "POST", method: http.MethodPost, target: "/callback?code=abc&state=" + right, want: http.StatusMethodNotAllowed},
		{name: "PUT", method: http.MethodPut, target: "/callback?code=abc&state=" + right, want: http.StatusMethodNotAllowed},
		{name: "OPTIONS preflight", method: http.MethodOptions, target: "/callback?code=abc&state=" + right,
			header: http.Header{"Origin": {"https://evil.example"}, "Access-Control-Request-Method": {"GET"}}, want: http.StatusMethodNotAllowed},
		{name: "foreign Host", target: "/callback?code=abc&state=" + right, host: "evil.example:" + strconv.Itoa(l.port)},
		{name: "Host without port", target: "/callback?code=abc&state=" + right, host: "127.0.0.1"},
		{name: "Host localhost", target: "/callback?code=abc&state=" + right, host: "localhost:" + strconv.Itoa(l.port)},
		{name: "cross-origin fetch with wrong state", target: "/callback?state=WRONG&code=abc",
			header: http.Header{"Origin": {"https://evil.example"}}, want: http.StatusBadRequest},
	}
	for _, tc := range cases {
		method := tc.method
		if method == "" {
			method = http.MethodGet
		}
		r := mustSend(t, c, method, base+tc.target, tc.host, tc.header)
		switch {
		case tc.want != 0 && r.status != tc.want:
			t.Errorf("%s: status %d, want %d", tc.name, r.status, tc.want)
		case tc.want == 0 && r.status/100 != 4:
			t.Errorf("%s: status %d, want 4xx", tc.name, r.status)
		}
		if tc.want == http.StatusMethodNotAllowed {
			if allow := r.header.Get("Allow"); allow != http.MethodGet {
				t.Errorf("%s: Allow = %q, want GET", tc.name, allow)
			}
		}
		if method != http.MethodHead {
			checkPageHeaders(t, tc.name, r.header)
		}
		if strings.Contains(r.body, state) {
			t.Errorf("%s: the page echoes the state", tc.name)
		}
		l.stillWaiting(t, tc.name)
	}

	cbLink := consentToCallback(t, authURL, l.port)
	l.stillWaiting(t, "the consent (before the callback was requested)")

	// Speculative loads carrying the real code and state must not spend
	// the one callback.
	for _, h := range []http.Header{
		{"Sec-Purpose": {"prefetch"}},
		{"Sec-Purpose": {"prefetch;prerender"}},
		{"Purpose": {"prefetch"}},
	} {
		r := mustSend(t, c, http.MethodGet, cbLink, "", h)
		if r.status == http.StatusOK {
			t.Errorf("prefetch %v: status 200, want an error", h)
		}
		checkPageHeaders(t, "prefetch", r.header)
		l.stillWaiting(t, "a prefetch")
	}
	if n := l.srv.Count("token"); n != 0 {
		t.Fatalf("%d token requests before the real callback, want 0", n)
	}

	r := mustSend(t, c, http.MethodGet, cbLink, "", nil)
	if r.status != http.StatusOK || !strings.Contains(r.body, "signed in") {
		t.Errorf("callback: %d %q, want 200 and the success page", r.status, r.body)
	}
	checkPageHeaders(t, "success page", r.header)

	res, err := l.wait(t)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if res == nil || res.token == nil || res.token.AccessToken == "" || res.token.RefreshToken == "" {
		t.Fatalf("Login result %+v has no tokens", res)
	}
	if n := l.srv.Count("token:authorization_code"); n != 1 {
		t.Errorf("token:authorization_code requests = %d, want exactly 1", n)
	}
	if n := l.srv.Count("token"); n != 1 {
		t.Errorf("token requests = %d, want exactly 1", n)
	}

	// The same callback again gets no success: the listener is gone.
	fresh := rawClient(t)
	if r, err := send(t, fresh, http.MethodGet, cbLink, "", nil); err == nil && r.status == http.StatusOK {
		t.Errorf("replayed callback: %d %q, want no success", r.status, r.body)
	}
	for _, addr := range []string{l.addr("127.0.0.1")} {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after Login returned", addr)
		}
	}
	if n := l.srv.Count("token"); n != 1 {
		t.Errorf("token requests = %d after the replay, want 1", n)
	}
}

func TestLoginSecondCallbackWhileExchanging(t *testing.T) {
	t.Parallel()
	// The token endpoint answers slowly, so a second, identical callback
	// arrives while the first one's exchange is in flight.
	l := startLogin(t, loginSetup{})
	l.srv.InjectTokenFaults(authtest.Fault{PassThrough: true, Delay: 300 * time.Millisecond})
	cbLink := consentToCallback(t, l.authURL(t), l.port)

	first := make(chan response, 1)
	c1, c2 := rawClient(t), rawClient(t)
	go func() {
		r, _ := send(t, c1, http.MethodGet, cbLink, "", nil)
		first <- r
	}()
	deadline := time.Now().Add(2 * time.Second)
	for l.srv.Count("token") == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// The listener is still up, so the duplicate gets an answer: a 400
	// sent at once, not the outcome of the first one's exchange.
	sent := time.Now()
	r, err := send(t, c2, http.MethodGet, cbLink, "", nil)
	if err != nil || r.status != http.StatusBadRequest {
		t.Errorf("second callback: %d %v, want 400", r.status, err)
	}
	if d := time.Since(sent); d > 200*time.Millisecond {
		t.Errorf("second callback took %v to be refused", d)
	}
	if n := l.srv.Count("token"); n != 1 {
		t.Errorf("token requests = %d after the duplicate, want 1", n)
	}
	if got := <-first; got.status != http.StatusOK || !strings.Contains(got.body, "signed in") {
		t.Errorf("first callback: %d %q, want the success page", got.status, got.body)
	}
	if _, err := l.wait(t); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if n := l.srv.Count("token"); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
}

func TestLoginAuthorizeErrorIsSanitized(t *testing.T) {
	t.Parallel()
	l := startLogin(t, loginSetup{})
	state := authState(t, l.authURL(t))
	q := url.Values{
		"state":             {state},
		"error":             {"server_error\x1b[2J"},
		"error_description": {"<script>alert(1)</script>\x1b[31mred\x1b[0m\r\nforged line\x07\u202e"},
	}
	r := mustSend(t, rawClient(t), http.MethodGet, "http://"+l.addr("127.0.0.1")+"/callback?"+q.Encode(), "", nil)
	checkPageHeaders(t, "error page", r.header)
	if strings.Contains(strings.ToLower(r.body), "<script") {
		t.Errorf("the error page has a raw <script>: %s", r.body)
	}
	if !strings.Contains(r.body, "&lt;script&gt;") {
		t.Errorf("the error page does not show the escaped description: %s", r.body)
	}
	if strings.Contains(r.body, "\x1b") {
		t.Error("the error page carries an escape character")
	}

	_, err := l.wait(t)
	var ae *AuthorizeError
	if !errors.As(err, &ae) {
		t.Fatalf("Login error = %T %v, want *AuthorizeError", err, err)
	}
	msg := err.Error()
	for _, c := range msg {
		if unicode.IsControl(c) || unicode.Is(unicode.Cf, c) {
			t.Fatalf("error text %q has control character %U", msg, c)
		}
	}
	if !strings.Contains(msg, "server_error") || !strings.Contains(msg, "alert(1)") {
		t.Errorf("error text %q lost the server's message", msg)
	}
	if n := l.srv.Count("token"); n != 0 {
		t.Errorf("token requests = %d, want 0", n)
	}
}

func TestLoginDenied(t *testing.T) {
	t.Parallel()
	l := startLogin(t, loginSetup{srvOpts: authtest.Options{Deny: true}})
	status, body, err := authtest.Browse(context.Background(), nil, l.authURL(t))
	if err != nil {
		t.Fatalf("Browse: %v", err)
	}
	if status != http.StatusOK || !strings.Contains(body, "declined") {
		t.Errorf("callback page: %d %q, want one saying access was declined", status, body)
	}
	_, err = l.wait(t)
	if !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("Login error = %v, want ErrAccessDenied", err)
	}
	if n := l.srv.Count("token"); n != 0 {
		t.Errorf("token requests = %d, want 0", n)
	}
	if n := l.srv.Count("consent"); n != 1 {
		t.Errorf("consent requests = %d, want 1 (the test did not deny through the server)", n)
	}
}

var (
	base64URLRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	verifierRe  = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)
)

func TestLoginAuthorizeAndTokenRequests(t *testing.T) {
	t.Parallel()
	// A path with an escape checks that the URL is sent as given.
	port := freePort(t, false)
	cbURL := "http://127.0.0.1:" + strconv.Itoa(port) + "/atl/call%2Dback"
	srv := authtest.NewServer(authtest.Options{ClientID: loginClientID, RedirectURI: cbURL})
	t.Cleanup(srv.Close)

	type seen struct{ state, verifier string }
	var runs []seen
	for i := range 2 {
		l := runLogin(t, srv, cbURL, port, loginSetup{})
		authURL := l.authURL(t)
		pu, err := url.Parse(authURL)
		if err != nil {
			t.Fatal(err)
		}
		if got := pu.Scheme + "://" + pu.Host + pu.Path; got != srv.URL()+"/authorize" {
			t.Errorf("authorize endpoint = %q, want %q", got, srv.URL()+"/authorize")
		}
		q := pu.Query()
		for k, vs := range q {
			if len(vs) != 1 {
				t.Errorf("authorize parameter %s appears %d times", k, len(vs))
			}
		}
		want := map[string]string{
			"audience":              "api.atlassian.com",
			"client_id":             loginClientID,
			"scope":                 strings.Join(loginScopes, " "),
			"redirect_uri":          cbURL,
			"response_type":         "code",
			"prompt":                "consent",
			"code_challenge_method": "S256",
		}
		for k, v := range want {
			if got := q.Get(k); got != v {
				t.Errorf("authorize %s = %q, want %q", k, got, v)
			}
		}
		state := q.Get("state")
		if len(state) < 43 || !base64URLRe.MatchString(state) {
			t.Errorf("state %q: want at least 43 base64url characters", state)
		}
		if b, err := base64.RawURLEncoding.DecodeString(state); err != nil || len(b) < 16 {
			t.Errorf("state %q does not decode to at least 128 bits (%d bytes, %v)", state, len(b), err)
		}
		challenge := q.Get("code_challenge")
		if len(challenge) != 43 || !base64URLRe.MatchString(challenge) {
			t.Errorf("code_challenge %q is not 43 base64url characters", challenge)
		}

		status, body, err := authtest.Browse(context.Background(), nil, authURL)
		if err != nil || status != http.StatusOK || !strings.Contains(body, "signed in") {
			t.Fatalf("Browse: %d %q %v", status, body, err)
		}
		res, err := l.wait(t)
		if err != nil {
			t.Fatalf("Login %d: %v", i, err)
		}
		if !slices.Equal(res.scopes, loginScopes) {
			t.Errorf("granted scopes = %q, want %q", res.scopes, loginScopes)
		}
		if d := time.Until(res.received.Add(time.Duration(res.token.ExpiresIn) * time.Second)); d < 59*time.Minute || d > 61*time.Minute {
			t.Errorf("Expiry is %v from now, want about an hour", d)
		}

		tr := srv.LastTokenRequest()
		if got := tr.Get("redirect_uri"); got != q.Get("redirect_uri") || got != cbURL {
			t.Errorf("token redirect_uri = %q, authorize sent %q, want both %q", got, q.Get("redirect_uri"), cbURL)
		}
		if got := tr.Get("grant_type"); got != "authorization_code" {
			t.Errorf("token grant_type = %q", got)
		}
		if got := tr.Get("client_id"); got != loginClientID {
			t.Errorf("token client_id = %q", got)
		}
		v := tr.Get("code_verifier")
		if !verifierRe.MatchString(v) {
			t.Errorf("code_verifier %q is not 43-128 unreserved characters", v)
		}
		if got := authtest.S256Challenge(v); got != challenge {
			t.Errorf("S256(code_verifier) = %q, want the challenge %q", got, challenge)
		}
		runs = append(runs, seen{state, v})
	}
	if runs[0].state == runs[1].state {
		t.Error("two logins used the same state")
	}
	if runs[0].verifier == runs[1].verifier {
		t.Error("two logins used the same code verifier")
	}
	if n := srv.Count("token:authorization_code"); n != 2 {
		t.Errorf("token:authorization_code requests = %d, want 2", n)
	}
}

func TestLoginTimeout(t *testing.T) {
	t.Parallel()
	for _, preconnect := range []bool{false, true} {
		t.Run("preconnect="+strconv.FormatBool(preconnect), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			l := startLogin(t, loginSetup{ctx: ctx, opts: func(o *flow) { o.openBrowser = nil }})
			if preconnect {
				// A browser's speculative connection that never sends a
				// request must not hold the login up.
				var conn net.Conn
				for time.Since(start) < 250*time.Millisecond {
					c, err := net.Dial("tcp", l.addr("127.0.0.1"))
					if err == nil {
						conn = c
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				if conn == nil {
					t.Fatal("the listener never came up")
				}
				defer conn.Close()
			}
			_, err := l.wait(t)
			elapsed := time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Login error = %v, want context.DeadlineExceeded", err)
			}
			if elapsed > 1500*time.Millisecond {
				t.Errorf("Login took %v to give up after a 300ms deadline", elapsed)
			}
			ln, err := net.Listen("tcp", l.addr("127.0.0.1"))
			if err != nil {
				t.Fatalf("the port is not free after Login returned: %v", err)
			}
			ln.Close()
			if n := l.srv.Count("token"); n != 0 {
				t.Errorf("token requests = %d, want 0", n)
			}
		})
	}
}

func TestLoginCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	l := startLogin(t, loginSetup{ctx: ctx})
	l.authURL(t)
	cancel()
	if _, err := l.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Login error = %v, want context.Canceled", err)
	}
	if ln, err := net.Listen("tcp", l.addr("127.0.0.1")); err != nil {
		t.Errorf("the port is not free after Login returned: %v", err)
	} else {
		ln.Close()
	}
}

func TestLoginPortInUse(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			port := freePort(t, host == "localhost")
			occupier, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				t.Fatal(err)
			}
			defer occupier.Close()
			cbURL := "http://" + host + ":" + strconv.Itoa(port) + "/callback"
			srv := authtest.NewServer(authtest.Options{ClientID: loginClientID, RedirectURI: cbURL})
			t.Cleanup(srv.Close)
			l := runLogin(t, srv, cbURL, port, loginSetup{})
			_, err = l.wait(t)
			var pe *PortInUseError
			if !errors.As(err, &pe) {
				t.Fatalf("Login error = %T %v, want *PortInUseError", err, err)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(port)) {
				t.Errorf("error %q does not name port %d", err, port)
			}
			if n := l.opened.Load(); n != 0 {
				t.Errorf("OpenBrowser was called %d times, want never", n)
			}
			if n := l.shown.Load(); n != 0 {
				t.Errorf("ShowURL was called %d times, want never", n)
			}
			if n := srv.Count("authorize"); n != 0 {
				t.Errorf("authorize requests = %d, want 0", n)
			}
			if host == "localhost" && haveIPv6() {
				// Whatever Login bound before failing is released.
				ln, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(port)))
				if err != nil {
					t.Errorf("[::1]:%d is still taken after Login failed: %v", port, err)
				} else {
					ln.Close()
				}
			}
		})
	}
}

func TestLoginLocalhost(t *testing.T) {
	t.Parallel()
	l := startLogin(t, loginSetup{callback: "http://localhost:%d/callback"})
	authURL := l.authURL(t)
	// Both stacks answer for localhost, and only to Host localhost:PORT.
	hosts := []string{"127.0.0.1"}
	if haveIPv6() {
		hosts = append(hosts, "::1")
	}
	c := rawClient(t)
	for _, h := range hosts {
		target := "http://" + l.addr(h) + "/callback?state=WRONG&code=abc"
		r := mustSend(t, c, http.MethodGet, target, "localhost:"+strconv.Itoa(l.port), nil)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s with Host localhost: status %d, want 400 (state mismatch)", h, r.status)
		}
		r = mustSend(t, c, http.MethodGet, target, "", nil)
		if r.status/100 != 4 || r.status == http.StatusBadRequest {
			t.Errorf("%s with Host %s: status %d, want a Host rejection", h, l.addr(h), r.status)
		}
	}
	l.stillWaiting(t, "the probes")

	status, body, err := authtest.Browse(context.Background(), nil, authURL)
	if err != nil {
		t.Fatalf("Browse: %v", err)
	}
	if status != http.StatusOK || !strings.Contains(body, "signed in") {
		t.Errorf("callback page: %d %q", status, body)
	}
	res, err := l.wait(t)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if res.token.AccessToken == "" {
		t.Error("no access token")
	}
	if got := l.srv.LastTokenRequest().Get("redirect_uri"); got != l.cbURL {
		t.Errorf("token redirect_uri = %q, want %q", got, l.cbURL)
	}
	for _, h := range hosts {
		if conn, err := net.DialTimeout("tcp", l.addr(h), time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after Login returned", l.addr(h))
		}
	}
}

func TestLoginExchangeRejectedClient(t *testing.T) {
	t.Parallel()
	const bodySecret = "BODY-TEXT-MUST-NOT-LEAK"
	l := startLogin(t, loginSetup{
		srvOpts: authtest.Options{ClientSecret: loginSecret},
		opts: func(o *flow) {
			o.clientSecret = loginSecret
		},
	})
	l.srv.InjectTokenFaults(authtest.Fault{
		Status: http.StatusUnauthorized,
		Body:   `{"error":"invalid_client","error_description":"` + bodySecret + `"}`,
	})
	status, body, err := authtest.Browse(context.Background(), nil, l.authURL(t))
	if err != nil {
		t.Fatalf("Browse: %v", err)
	}
	if !strings.Contains(body, "Sign-in failed") || strings.Contains(body, "signed in") {
		t.Errorf("callback page: %d %q, want one saying sign-in failed", status, body)
	}
	if strings.Contains(body, bodySecret) || strings.Contains(body, loginSecret) {
		t.Errorf("the page leaks the token response or the secret: %q", body)
	}
	_, err = l.wait(t)
	var ce *TokenError
	if !errors.As(err, &ce) || !ce.BadClient() {
		t.Fatalf("Login error = %T %v, want a bad-client *TokenError", err, err)
	}
	if ce.Status != http.StatusUnauthorized || ce.Code != "invalid_client" {
		t.Errorf("TokenError = %d %s, want 401 invalid_client", ce.Status, ce.Code)
	}
	for _, s := range []string{bodySecret, loginSecret, "error_description"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains %q", err, s)
		}
	}
	if n := l.srv.Count("token:authorization_code"); n != 1 {
		t.Errorf("token:authorization_code requests = %d, want 1 (no retry of a spent code)", n)
	}
}

func TestLoginExchangeFailures(t *testing.T) {
	t.Parallel()
	const bodySecret = "BODY-TEXT-MUST-NOT-LEAK"
	cases := []struct {
		name  string
		fault authtest.Fault
		check func(t *testing.T, err error)
	}{
		{
			name:  "invalid_grant",
			fault: authtest.Fault{Status: http.StatusForbidden, Body: `{"error":"invalid_grant","error_description":"` + bodySecret + `"}`},
			check: func(t *testing.T, err error) {
				var te *TokenError
				if !errors.As(err, &te) || te.Status != http.StatusForbidden || te.Code != "invalid_grant" {
					t.Errorf("error = %T %v, want a *TokenError with 403 invalid_grant", err, err)
				}
				// A login has no stored grant; the code was refused.
				if strings.Contains(err.Error(), "stored") || strings.Contains(err.Error(), "refresh") {
					t.Errorf("error %q blames a stored grant", err)
				}
			},
		},
		{
			name:  "server error",
			fault: authtest.Fault{Status: http.StatusInternalServerError, Body: `{"error":"server_error","error_description":"` + bodySecret + `"}`},
			check: func(t *testing.T, err error) {
				var te *TokenError
				if !errors.As(err, &te) || te.Status != http.StatusInternalServerError {
					t.Errorf("error = %T %v, want a *TokenError with 500", err, err)
				}
			},
		},
		{
			name:  "no refresh token",
			fault: authtest.Fault{Status: http.StatusOK, Body: `{"access_token":"` + bodySecret + `","expires_in":3600,"token_type":"Bearer"}`},
			check: func(t *testing.T, err error) {
				var te *TokenError
				if !errors.As(err, &te) || !strings.Contains(err.Error(), "offline_access") {
					t.Errorf("error = %T %v, want a *TokenError naming offline_access", err, err)
				}
			},
		},
		{
			name:  "not JSON",
			fault: authtest.Fault{Status: http.StatusOK, ContentType: "text/html", Body: "<html>" + bodySecret + "</html>"},
			check: func(t *testing.T, err error) {
				var te *TokenError
				if !errors.As(err, &te) {
					t.Errorf("error = %T %v, want a *TokenError", err, err)
				}
			},
		},
		{
			name:  "connection reset",
			fault: authtest.Fault{Reset: true},
			check: func(t *testing.T, err error) {
				var te *TokenError
				if !errors.As(err, &te) || te.Status != 0 {
					t.Errorf("error = %T %v, want a *TokenError without status", err, err)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := startLogin(t, loginSetup{})
			l.srv.InjectTokenFaults(tc.fault)
			status, body, err := authtest.Browse(context.Background(), nil, l.authURL(t))
			if err != nil {
				t.Fatalf("Browse: %v", err)
			}
			if !strings.Contains(body, "Sign-in failed") || strings.Contains(body, bodySecret) {
				t.Errorf("callback page: %d %q, want one saying sign-in failed", status, body)
			}
			res, err := l.wait(t)
			if err == nil {
				t.Fatalf("Login = %+v, want an error", res)
			}
			if strings.Contains(err.Error(), bodySecret) {
				t.Errorf("error %q quotes the response body", err)
			}
			tc.check(t, err)
			if n := l.srv.Count("token"); n != 1 {
				t.Errorf("token requests = %d, want 1 (a code is spent by any attempt)", n)
			}
		})
	}
}

func TestLoginDefaultHTTPClient(t *testing.T) {
	t.Parallel()
	l := startLogin(t, loginSetup{opts: func(o *flow) { o.hc = nil }})
	status, body, err := authtest.Browse(context.Background(), nil, l.authURL(t))
	if err != nil || status != http.StatusOK || !strings.Contains(body, "signed in") {
		t.Errorf("Browse: %d %q %v", status, body, err)
	}
	if _, err := l.wait(t); err != nil {
		t.Fatalf("Login without an HTTPClient: %v", err)
	}
}

func TestLoginPreconnectDoesNotDelayReturn(t *testing.T) {
	t.Parallel()
	l := startLogin(t, loginSetup{})
	authURL := l.authURL(t)
	// Browsers open speculative connections they may never use.
	conn, err := net.Dial("tcp", l.addr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	status, body, err := authtest.Browse(context.Background(), nil, authURL)
	if err != nil || status != http.StatusOK || !strings.Contains(body, "signed in") {
		t.Fatalf("Browse: %d %q %v (the success page must be delivered in full)", status, body, err)
	}
	if _, err := l.wait(t); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Login returned %v after the browser started, held up by an idle connection", d)
	}
}

func TestLoginBlockingOrFailingBrowserDoesNotHoldTheLogin(t *testing.T) {
	for _, tc := range []struct {
		name    string
		browser func(release <-chan struct{}) error
		wantErr bool
	}{
		{"blocks until the test ends", func(release <-chan struct{}) error { <-release; return nil }, false},
		{"fails at once", func(<-chan struct{}) error { return errors.New("no display") }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			shown := make(chan string, 1)
			browserErrs := make(chan error, 1)
			l := startLogin(t, loginSetup{opts: func(o *flow) {
				o.showURL = func(u string) { shown <- u }
				o.openBrowser = func(string) error { return tc.browser(release) }
				o.browserError = func(err error) { browserErrs <- err }
			}})
			var u string
			select {
			case u = <-shown:
			case <-time.After(5 * time.Second):
				t.Fatal("URL not shown")
			}
			if tc.wantErr {
				select {
				case err := <-browserErrs:
					if err == nil || err.Error() != "no display" {
						t.Fatalf("BrowserError got %v", err)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("browser error not reported")
				}
			}
			if status, _, err := authtest.Browse(context.Background(), nil, u); err != nil || status != 200 {
				t.Fatalf("browse: %d %v", status, err)
			}
			select {
			case <-l.done:
			case <-time.After(5 * time.Second):
				t.Fatal("Login held up by the browser")
			}
			if l.err != nil || l.res == nil {
				t.Fatalf("Login: %v", l.err)
			}
		})
	}
}

func TestLoginSurvivesSlowClientsAndHugeRequests(t *testing.T) {
	l := startLogin(t, loginSetup{})
	u := l.authURL(t)
	addr := fmt.Sprintf("127.0.0.1:%d", l.port)
	// Slow-loris: many connections that send half a request and stall.
	for i := 0; i < 40; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /callback?state=x HTTP/1.1\r\nHost: %s\r\nX-Slow: ", addr)
	}
	// A request with a huge URL and headers is refused without harm.
	c := &http.Client{Timeout: 5 * time.Second}
	req, _ := http.NewRequest(http.MethodGet, l.cbURL+"?junk="+strings.Repeat("A", 64<<10), nil)
	req.Header.Set("X-Big", strings.Repeat("B", 32<<10))
	if resp, err := c.Do(req); err == nil {
		if resp.StatusCode < 400 {
			t.Fatalf("huge request: %d", resp.StatusCode)
		}
		resp.Body.Close()
	}
	start := time.Now()
	if status, _, err := authtest.Browse(context.Background(), nil, u); err != nil || status != 200 {
		t.Fatalf("real callback after slow clients: %d %v", status, err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("real callback took %v", d)
	}
	<-l.done
	if l.err != nil {
		t.Fatal(l.err)
	}
}
