package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/atl-cli/atl/internal/loopback"

	"github.com/atl-cli/atl/auth/authtest"
)

func TestLoginAuthorizeErrorIsSanitized(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, code, description string
		wantCode, wantReason    string // what the error keeps: the server's words, or nothing of malformed ones
	}{
		{"well formed", "server_error", "<script>alert(1)</script> went wrong", "server_error", "<script>alert(1)</script> went wrong"},
		{"malformed", "server_error\x1b[2J", "<script>alert(1)</script>\x1b[31mred\x1b[0m\r\nforged line\x07\u202e", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := startLogin(t, loginSetup{})
			state := authState(t, l.authURL(t))
			q := url.Values{"state": {state}, "error": {tc.code}, "error_description": {tc.description}}
			r := mustSend(t, rawClient(t), http.MethodGet, "http://"+l.addr("127.0.0.1")+"/callback?"+q.Encode(), "", nil)
			checkPageHeaders(t, "error page", r.header)
			if strings.Contains(strings.ToLower(r.body), "<script") {
				t.Errorf("the error page has a raw <script>: %s", r.body)
			}
			if tc.wantReason != "" && !strings.Contains(r.body, "&lt;script&gt;") {
				t.Errorf("the error page does not show the escaped description: %s", r.body)
			}
			if strings.Contains(r.body, "\x1b") {
				t.Error("the error page carries an escape character")
			}
			_, err := l.wait(t)
			var te *TokenError
			if !errors.As(err, &te) || !te.Consent || te.Code != tc.wantCode || te.Reason != tc.wantReason {
				t.Fatalf("Login error = %T %+v, want a *TokenError from the consent with code %q and reason %q", err, err, tc.wantCode, tc.wantReason)
			}
			msg := err.Error()
			for _, c := range msg {
				if unicode.IsControl(c) || unicode.Is(unicode.Cf, c) {
					t.Fatalf("error text %q has control character %U", msg, c)
				}
			}
			if n := l.srv.Count("token"); n != 0 {
				t.Errorf("token requests = %d, want 0", n)
			}
		})
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
			if !errors.Is(err, loopback.ErrPortInUse) {
				t.Fatalf("Login error = %T %v, want loopback.ErrPortInUse", err, err)
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

func TestCallbackServerBoundsEveryRequest(t *testing.T) {
	type key struct{}
	base := context.WithValue(context.Background(), key{}, "base")
	srv := callbackServer(http.NotFoundHandler(), base)
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout != 15*time.Second || srv.WriteTimeout != 60*time.Second ||
		srv.IdleTimeout != 30*time.Second || srv.MaxHeaderBytes != 16<<10 {
		t.Fatalf("limits: %+v", srv)
	}
	if srv.BaseContext(nil).Value(key{}) != "base" {
		t.Fatal("handlers do not run in the login's context")
	}
}
