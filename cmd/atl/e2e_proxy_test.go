package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
)

// proxyScopes are what the endpoints atl proxy's tests call need.
const proxyScopes = dataScopes + " read:me"

// proxyProc is atl proxy running with --json.
type proxyProc struct {
	t        *testing.T
	cmd      *exec.Cmd
	url, key string
	stderr   *clitest.LockedBuffer
	stdout   *bufio.Reader
}

// newProxyE2E is a login with proxyScopes on a server with opts.
func newProxyE2E(t *testing.T, opts authtest.Options) *e2e {
	t.Helper()
	e := newE2E(t, opts)
	e.login("--scopes", proxyScopes)
	return e
}

// proxy starts atl proxy --port 0 --json with args and returns once it
// listens; it is interrupted when the test ends.
func (e *e2e) proxy(args ...string) *proxyProc {
	e.t.Helper()
	p := &proxyProc{t: e.t, cmd: e.command(append([]string{"proxy", "--port", "0", "--json"}, args...)...), stderr: &clitest.LockedBuffer{}}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { p.stop() })
	p.stdout = bufio.NewReader(out)
	line, err := p.stdout.ReadString('\n')
	var a struct{ URL, Key string }
	if err != nil || json.Unmarshal([]byte(line), &a) != nil || a.URL == "" || len(a.Key) < 32 {
		e.t.Fatalf("atl proxy printed %q (%v); stderr %q", line, err, p.stderr.String())
	}
	p.url, p.key = a.URL, a.Key
	return p
}

// stop interrupts the proxy and returns its exit code and what else it
// printed on stdout.
func (p *proxyProc) stop() (int, string) {
	if p.cmd.ProcessState == nil {
		_ = interrupt(p.cmd.Process)
	}
	rest, _ := io.ReadAll(p.stdout)
	err := p.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(rest)
	}
	return p.cmd.ProcessState.ExitCode(), string(rest)
}

// curl runs curl with args, the key given as its user's password on
// stdin (never on the command line) unless noKey, and returns its stdout
// and exit code.
func (p *proxyProc) curl(noKey bool, args ...string) (string, int) {
	p.t.Helper()
	cmd := exec.CommandContext(p.t.Context(), "curl", append([]string{"-sS", "-K", "-"}, args...)...)
	if !noKey {
		cmd.Stdin = strings.NewReader(`user = "atl:` + p.key + `"` + "\n")
	} else {
		cmd.Stdin = strings.NewReader("")
	}
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String() + errOut.String(), ee.ExitCode()
	} else if err != nil {
		p.t.Fatalf("curl: %v", err)
	}
	return out.String(), 0
}

func TestE2EProxyWithCurl(t *testing.T) {
	e := newProxyE2E(t, authtest.Options{})
	p := e.proxy()
	g := e.grant()

	// The key as a password; the client's Cookie stays here.
	out, code := p.curl(false, "-H", "Cookie: tenant.session.token=secret", p.url+"/rest/api/2/issue/P1-2")
	if code != 0 || out != `{"fields":{"summary":"Issue 2"},"id":"20001","key":"P1-2","self":"`+p.url+`/rest/api/2/issue/20001"}` {
		t.Fatalf("curl: %d %s", code, out)
	}
	if h := e.srv.LastAPIRequest().Header; h.Get("Cookie") != "" || h.Get("Authorization") != "Bearer "+g.AccessToken {
		t.Fatalf("upstream got Cookie %q, Authorization %q", h.Get("Cookie"), h.Get("Authorization"))
	}

	// The access token expires: one refresh, and curl sees nothing.
	e.srv.ResetCounts()
	e.srv.ExpireAccessTokens()
	for range 3 {
		if out, code := p.curl(false, "-f", p.url+"/rest/api/3/myself"); code != 0 || !strings.Contains(out, `"accountId":"`+authtest.DefaultAccountID) {
			t.Fatalf("after the expiry: %d %s", code, out)
		}
	}
	if n := e.srv.Count("token:refresh_token"); n != 1 {
		t.Fatalf("%d refreshes", n)
	}

	// myself's self link, by the site's address, comes back through the
	// proxy.
	var me struct{ Self string }
	out, _ = p.curl(false, p.url+"/rest/api/3/myself")
	if err := json.Unmarshal([]byte(out), &me); err != nil || me.Self != p.url+"/rest/api/3/user?accountId="+authtest.DefaultAccountID {
		t.Fatalf("self %q (%v)", me.Self, err)
	}
	if out, code := p.curl(false, "-f", me.Self); code != 0 || !strings.Contains(out, `"displayName":"Ada Lovelace"`) || e.srv.Count("user") != 1 {
		t.Fatalf("following self: %d %s", code, out)
	}

	// Refused, with nothing sent upstream.
	e.srv.ResetCounts()
	port := strings.TrimPrefix(p.url, "http://127.0.0.1:")
	for _, tc := range []struct {
		name  string
		noKey bool
		args  []string
		want  string
	}{
		{"no key", true, []string{"-i", p.url + "/rest/api/3/myself"}, "HTTP/1.1 401 Unauthorized\r\n"},
		{"a wrong key", true, []string{"-u", "atl:" + strings.Repeat("x", 43), "-i", p.url + "/rest/api/3/myself"}, "HTTP/1.1 401 Unauthorized\r\n"},
		{"a foreign Host", false, []string{"-i", "-H", "Host: attacker.example:" + port, p.url + "/rest/api/3/myself"}, "HTTP/1.1 403 Forbidden\r\n"},
		{"an Origin", false, []string{"-i", "-H", "Origin: https://attacker.example", p.url + "/rest/api/3/myself"}, "HTTP/1.1 403 Forbidden\r\n"},
		{"CONNECT", false, []string{"-o", "/dev/null", "-w", "%{http_connect}", "-p", "-x", p.url, "https://attacker.example/"}, "405"},
	} {
		out, _ := p.curl(tc.noKey, tc.args...)
		if !strings.HasPrefix(out, tc.want) {
			t.Errorf("%s: %q, want it to start %q", tc.name, out, tc.want)
		}
		if tc.noKey && !strings.Contains(out, "\r\nWww-Authenticate: Basic realm=\"atl\"\r\n") {
			t.Errorf("%s: no WWW-Authenticate: %q", tc.name, out)
		}
	}
	if n := e.srv.Count("myself"); n != 0 || e.srv.Count("token") != 0 {
		t.Fatalf("%d requests went upstream", n)
	}
	if code, rest := p.stop(); code != 0 || rest != "" || p.stderr.String() != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, rest, p.stderr.String())
	}
}

// getJSON GETs u through the proxy with c and decodes the answer into v,
// returning its header.
func (p *proxyProc) getJSON(c *http.Client, u string, v any) http.Header {
	p.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+p.key)
	resp, err := c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(v) != nil {
		p.t.Fatalf("GET %s: %s", u, resp.Status)
	}
	return resp.Header
}

func TestE2EProxyWithAGoClient(t *testing.T) {
	for _, absolute := range []bool{false, true} {
		t.Run(fmt.Sprintf("absolute links %v", absolute), func(t *testing.T) {
			e := newProxyE2E(t, authtest.Options{AbsoluteLinks: absolute, Spaces: 5, Projects: 3})
			p := e.proxy()
			c := &http.Client{} // one keep-alive client for the session
			var page struct {
				Results []struct{ Key string }
				Links   struct{ Next string } `json:"_links"`
			}
			var keys []string
			next := p.url + "/wiki/api/v2/spaces?limit=2"
			for n := 0; next != ""; n++ {
				if n == 1 {
					e.srv.ExpireAccessTokens() // in the middle of the session
				}
				page.Links.Next = ""
				h := p.getJSON(c, next, &page)
				for _, r := range page.Results {
					keys = append(keys, r.Key)
				}
				link := strings.TrimSuffix(strings.TrimPrefix(h.Get("Link"), "<"), `>; rel="next"`)
				if link != page.Links.Next {
					t.Fatalf("Link %q, _links.next %q", h.Get("Link"), page.Links.Next)
				}
				base, _ := url.Parse(p.url)
				u, err := base.Parse(page.Links.Next)
				if err != nil || (page.Links.Next != "" && u.Host != base.Host) {
					t.Fatalf("next %q leaves the proxy", page.Links.Next)
				}
				if next = ""; page.Links.Next != "" {
					next = u.String()
				}
			}
			if strings.Join(keys, ",") != "S1,S2,S3,S4,S5" || e.srv.Count("spaces") != 4 || e.srv.Count("token:refresh_token") != 1 {
				t.Fatalf("spaces %v in %d requests, %d refreshes", keys, e.srv.Count("spaces"), e.srv.Count("token:refresh_token"))
			}
			// A Jira page's self link, by the API's address, comes back
			// through the proxy.
			var projects struct {
				Self   string
				Values []struct{ Key string }
			}
			p.getJSON(c, p.url+"/rest/api/3/project/search?maxResults=2", &projects)
			if projects.Self != p.url+"/rest/api/3/project/search?maxResults=2" {
				t.Fatalf("self %q", projects.Self)
			}
			p.getJSON(c, projects.Self, &projects)
			if len(projects.Values) != 2 || e.srv.Count("projects") != 2 {
				t.Fatalf("following self: %+v", projects)
			}
		})
	}
}

func TestE2EProxyPortInUse(t *testing.T) {
	e := newProxyE2E(t, authtest.Options{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	out, errOut, code := e.run("proxy", "--port", port)
	if code != 1 || out != "" || errOut != "atl: cannot listen on 127.0.0.1:"+port+": the port is in use by another program; stop that program, or pick another port with --port (--port 0 picks a free one)\n" {
		t.Fatalf("exit %d, %q, %q", code, out, errOut)
	}
}

// TestE2EProxyFixedKey: ATL_PROXY_KEY is the key, and is not printed
// for a person.
func TestE2EProxyFixedKey(t *testing.T) {
	e := newProxyE2E(t, authtest.Options{})
	key := "fixed-" + strings.Repeat("k", 40)
	e.env["ATL_PROXY_KEY"] = key
	p := e.proxy()
	if p.key != key {
		t.Fatalf("key %q", p.key)
	}
	if out, code := p.curl(false, "-f", p.url+"/rest/api/3/myself"); code != 0 {
		t.Fatalf("curl: %s", out)
	}
	p.stop()

	cmd := e.command("proxy", "--port", "0")
	var errOut clitest.LockedBuffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for !strings.HasSuffix(errOut.String(), "Ctrl-C stops it.\n") {
		select {
		case err := <-done:
			t.Fatalf("atl proxy ended (%v): %q", err, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	_ = interrupt(cmd.Process)
	if err := <-done; err != nil || !strings.Contains(errOut.String(), "\nKey: the one in ATL_PROXY_KEY\n") || strings.Contains(errOut.String(), key) {
		t.Fatalf("%v: %q", err, errOut.String())
	}

	e.env["ATL_PROXY_KEY"] = "short"
	if _, errOut, code := e.run("proxy"); code != 2 || errOut != "atl: ATL_PROXY_KEY must be at least 32 characters long (it is 5)\n" {
		t.Fatalf("a short key: %d %q", code, errOut)
	}
}

// interrupt asks p to stop as Ctrl-C does (where there is no such
// signal, it kills it).
func interrupt(p *os.Process) error {
	if err := p.Signal(os.Interrupt); err != nil {
		return p.Kill()
	}
	return nil
}
