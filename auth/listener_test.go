package auth

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
)

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
