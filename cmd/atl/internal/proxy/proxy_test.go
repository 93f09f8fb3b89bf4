package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
)

// site is the cloud id of the test server's one site.
const site = authtest.DefaultSiteID

// allScopes are what every endpoint of the test server needs.
var allScopes = []string{"offline_access", "read:jira-user", "read:jira-work", "write:jira-work", "read:space:confluence", "read:me"}

// storeLogin stores the default login with a grant of allScopes (its
// access token and, after a refresh, the next one).
func storeLogin(e *clitest.Env) {
	e.T.Helper()
	e.Store("default", "")
	l := e.Login("default")
	m, g, err := l.Load()
	if err != nil {
		e.T.Fatal(err)
	}
	g.AccessToken, g.RefreshToken = e.Srv.IssueTokens(allScopes...)
	m.Scopes = allScopes
	if err := l.Save(m, g); err != nil {
		e.T.Fatal(err)
	}
}

// running is atl proxy running in-process with --json.
type running struct {
	t           *testing.T
	e           *clitest.Env
	url, key    string
	out, errOut *clitest.LockedBuffer
	stop        context.CancelFunc
	done        chan error
}

// start runs atl proxy with opts (on a free port, with --json) until the
// test ends, and returns once it listens.
func start(t *testing.T, e *clitest.Env, opts Options) *running {
	t.Helper()
	r := &running{t: t, e: e, out: &clitest.LockedBuffer{}, errOut: &clitest.LockedBuffer{}, done: make(chan error, 1)}
	e.F.IO.Out, e.F.IO.ErrOut = r.out, r.errOut
	opts.IO, opts.Session, opts.JSON = e.F.IO, e.F.Session, true
	if opts.Grace == 0 {
		opts.Grace = 10 * time.Second
	}
	ctx, stop := context.WithCancel(context.Background())
	r.stop = stop
	go func() { r.done <- run(ctx, &opts) }()
	t.Cleanup(func() { r.stopped() })
	for !strings.HasSuffix(r.out.String(), "\n") {
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("atl proxy ended: %v; stderr %q", err, r.errOut.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	var a announceJSON
	if err := json.Unmarshal([]byte(r.out.String()), &a); err != nil {
		t.Fatal(err)
	}
	r.url, r.key = a.URL, a.Key
	return r
}

// stopped interrupts the proxy and returns what run returned.
func (r *running) stopped() error {
	r.stop()
	err := <-r.done
	r.done <- err
	return err
}

// answer is what a client got.
type answer struct {
	status int
	header http.Header
	body   string
}

// request is a client's request to the proxy: its method and path, and
// its headers ("Host" sets the Host header; {KEY} in a value is the
// key).
type request struct {
	method, path, body string
	header             map[string]string
	basic              []string // HTTP Basic's user and password
}

func (r *running) do(req request) answer {
	r.t.Helper()
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	hr, err := http.NewRequest(req.method, r.url+req.path, body)
	if err != nil {
		r.t.Fatal(err)
	}
	for k, v := range req.header {
		v = strings.ReplaceAll(v, "{KEY}", r.key)
		if k == "Host" {
			hr.Host = v
			continue
		}
		hr.Header.Set(k, v)
	}
	if req.basic != nil {
		hr.SetBasicAuth(strings.ReplaceAll(req.basic[0], "{KEY}", r.key), strings.ReplaceAll(req.basic[1], "{KEY}", r.key))
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(hr)
	if err != nil {
		r.t.Fatalf("%s %s: %v", req.method, req.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatalf("%s %s: reading: %v", req.method, req.path, err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func TestRunServesUntilInterrupted(t *testing.T) {
	e := clitest.New(t)
	storeLogin(e)
	r := start(t, e, Options{})
	if got := r.do(request{method: "GET", path: "/rest/api/3/myself", header: map[string]string{"Authorization": "Bearer {KEY}"}}); got.status != 200 {
		t.Fatalf("myself: %+v", got)
	}
	if err := r.stopped(); err != nil || r.errOut.String() != "" {
		t.Fatalf("after an interrupt: %v, stderr %q", err, r.errOut.String())
	}
	if _, err := http.Get(r.url + "/rest/api/3/myself"); err == nil {
		t.Fatal("still listening")
	}
	if e.Report(nil, "proxy") != 0 {
		t.Fatal("exit code")
	}
}

func TestRunAnnounces(t *testing.T) {
	nasty := "Ship \u009b2J\u202egnp.exe"
	for _, tc := range []struct {
		name, key    string
		json         bool
		terminal     bool
		siteName     string
		stdout, text string // text: stderr, with {URL} and {KEY}
	}{
		{name: "--json", json: true, siteName: "example",
			stdout: `{"url":"{URL}","key":"{KEY}","site":{"id":"` + site + `","url":"https://example.atlassian.net","name":"example"}}` + "\n"},
		{name: "--json off a terminal keeps the site's name as it is", json: true, siteName: nasty,
			stdout: `{"url":"{URL}","key":"{KEY}","site":{"id":"` + site + `","url":"https://example.atlassian.net","name":"` + nasty + `"}}` + "\n"},
		{name: "--json on a terminal escapes it", json: true, terminal: true, siteName: nasty,
			stdout: `{"url":"{URL}","key":"{KEY}","site":{"id":"` + site + `","url":"https://example.atlassian.net","name":"Ship \u009b2J\u202egnp.exe"}}` + "\n"},
		{name: "for a person", siteName: "example", text: `atl proxy: serving example (https://example.atlassian.net) on {URL}
Key: {KEY}
Use {URL} as the site's address, with the key as the password (any user
name; a Jira client's API token) or as a bearer token:
  curl -u atl {URL}/rest/api/3/myself    (the key at curl's password prompt)
Ctrl-C stops it.
`},
		{name: "for a person, the site's name cleaned", siteName: nasty, text: `atl proxy: serving Ship gnp.exe (https://example.atlassian.net) on {URL}
Key: {KEY}
`},
		{name: "ATL_PROXY_KEY is not shown", key: strings.Repeat("k", 32), siteName: "example", text: `atl proxy: serving example (https://example.atlassian.net) on {URL}
Key: the one in ATL_PROXY_KEY
Use {URL} as the site's address, with the key as the password (any user
name; a Jira client's API token) or as a bearer token:
  curl -u atl {URL}/rest/api/3/myself    (the key at curl's password prompt)
Ctrl-C stops it.
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			storeLogin(e)
			l := e.Login("default")
			m, g, _ := l.Load()
			m.Site.Name = tc.siteName
			if err := l.Save(m, g); err != nil {
				t.Fatal(err)
			}
			out, errOut := &clitest.LockedBuffer{}, &clitest.LockedBuffer{}
			e.F.IO.Out, e.F.IO.ErrOut, e.F.IO.OutTerminal = out, errOut, tc.terminal
			opts := Options{IO: e.F.IO, Session: e.F.Session, Key: tc.key, JSON: tc.json, Grace: time.Second}
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- run(ctx, &opts) }()
			for out.String() == "" && !strings.Contains(errOut.String(), "Ctrl-C") {
				time.Sleep(5 * time.Millisecond)
			}
			stop()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			got := out.String() + errOut.String()
			url, key := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(got), tc.key
			if key == "" {
				m := regexp.MustCompile(`(?:"key":"|Key: )([A-Za-z0-9_-]+)`).FindStringSubmatch(got)
				if len(m) < 2 || len(m[1]) != 43 {
					t.Fatalf("no key of 43 characters: %q", got)
				}
				key = m[1]
			}
			expand := strings.NewReplacer("{URL}", url, "{KEY}", key).Replace
			if out.String() != expand(tc.stdout) || !strings.HasPrefix(errOut.String(), expand(tc.text)) || (tc.text == "" && errOut.String() != "") {
				t.Errorf("stdout:\n%s\nstderr:\n%s\nwant stdout:\n%s\nstderr starting:\n%s", out, errOut, expand(tc.stdout), expand(tc.text))
			}
		})
	}
}

func TestRunRefusesBeforeServing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   Options
		login  bool
		setup  func(e *clitest.Env)
		code   int
		stderr string
	}{
		{name: "a port out of range", opts: Options{Port: 65536}, login: true, code: 2, stderr: "atl: --port must be between 0 and 65535\n"},
		{name: "a negative port", opts: Options{Port: -1}, login: true, code: 2, stderr: "atl: --port must be between 0 and 65535\n"},
		{name: "a short ATL_PROXY_KEY", opts: Options{Key: strings.Repeat("k", 31)}, login: true, code: 2,
			stderr: "atl: ATL_PROXY_KEY must be at least 32 characters long (it is 31)\n"},
		{name: "an ATL_PROXY_KEY with a space", opts: Options{Key: strings.Repeat("k", 31) + " k"}, login: true, code: 2,
			stderr: "atl: ATL_PROXY_KEY must be printable ASCII without spaces, as a password in an HTTP header is\n"},
		{name: "no login", code: 4, stderr: "atl: not logged in; run `atl login`\n"},
		{name: "a dead login", login: true, setup: func(e *clitest.Env) { e.Srv.RevokeGrants(); e.Clock.Advance(2 * time.Hour) }, code: 4, stderr: "atl: Atlassian rejected the stored grant (HTTP 403 invalid_grant); run `atl login`\n"},
		{name: "--site the login does not reach", opts: Options{Site: "elsewhere"}, login: true, code: 2,
			stderr: "atl: no site matches \"elsewhere\"; this login reaches: example https://example.atlassian.net; pick one with --site NAME|URL|ID (`atl sites` lists them)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			if tc.login {
				storeLogin(e)
			}
			if tc.setup != nil {
				tc.setup(e)
			}
			opts := tc.opts
			opts.IO, opts.Session, opts.Grace = e.F.IO, e.F.Session, time.Second
			ctx, stop := context.WithCancel(t.Context())
			defer stop()
			e.F.IO.ErrOut = stopWhenServing{e.ErrOut, stop} // a proxy that serves fails the case, not hangs
			code := e.Report(run(ctx, &opts), "proxy")
			if code != tc.code || e.Out.String() != "" || (tc.stderr != "" && e.ErrOut.String() != tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q", code, e.Out.String(), e.ErrOut.String(), tc.code, tc.stderr)
			}
		})
	}
}

// stopWhenServing writes to w, and calls stop once atl proxy says it is
// serving.
type stopWhenServing struct {
	w    io.Writer
	stop context.CancelFunc
}

func (s stopWhenServing) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "atl proxy: serving") {
		s.stop()
	}
	return s.w.Write(p)
}

func TestRunRefusesAPortInUse(t *testing.T) {
	e := clitest.New(t)
	storeLogin(e)
	r := start(t, e, Options{})
	port := strings.TrimPrefix(r.url, "http://127.0.0.1:")
	e2 := clitest.New(t)
	storeLogin(e2)
	opts := Options{IO: e2.F.IO, Session: e2.F.Session, Grace: time.Second}
	opts.Port, _ = strconv.Atoi(port)
	err := run(t.Context(), &opts)
	if code := e2.Report(err, "proxy"); code != 1 || e2.ErrOut.String() != "atl: cannot listen on 127.0.0.1:"+port+": the port is in use by another program; stop that program, or pick another port with --port (--port 0 picks a free one)\n" {
		t.Fatalf("exit %d, %q", code, e2.ErrOut.String())
	}
	if r.stopped() != nil {
		t.Fatal("the first proxy failed")
	}
}

// fetch GETs path through the proxy with its key, from any goroutine.
func (r *running) fetch(path string) (answer, error) {
	req, _ := http.NewRequest("GET", r.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+r.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}, err
}

// inFlight sends a GET of issue P1-2 that the server answers after delay,
// and returns, once the server has it, the channel of its answer.
func (r *running) inFlight(delay time.Duration) chan error {
	r.e.Srv.InjectAPIFaults(authtest.Fault{PassThrough: true, Delay: delay})
	done := make(chan error, 1)
	go func() {
		a, err := r.fetch("/rest/api/2/issue/P1-2")
		if err == nil && (a.status != 200 || !strings.Contains(a.body, `"key":"P1-2"`)) {
			err = fmt.Errorf("%d %s", a.status, a.body)
		}
		done <- err
	}()
	for r.e.Srv.Count("issue") == 0 { // the request is upstream
		time.Sleep(time.Millisecond)
	}
	return done
}

func TestRunLetsRequestsInFlightFinish(t *testing.T) {
	e := clitest.New(t)
	storeLogin(e)
	r := start(t, e, Options{})
	done := r.inFlight(200 * time.Millisecond)
	if err := r.stopped(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the request in flight: %v", err)
	}
}

func TestRunCutsRequestsInFlightAfterTheGrace(t *testing.T) {
	e := clitest.New(t)
	storeLogin(e)
	r := start(t, e, Options{Grace: 50 * time.Millisecond})
	done := r.inFlight(time.Minute)
	if err := r.stopped(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("the request in flight was answered, not cut")
	}
}

func TestNewCmdFlags(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		env    map[string]string
		want   Options
		code   int
		stderr string
	}{
		{args: nil, want: Options{Port: DefaultPort, Grace: grace}},
		{args: []string{"--port", "0", "--site", "example", "--json"}, want: Options{Port: 0, Site: "example", JSON: true, Grace: grace}},
		{args: []string{"--port=8080"}, env: map[string]string{"ATL_PROXY_KEY": "k"}, want: Options{Port: 8080, Key: "k", Grace: grace}},
		{args: []string{"--port", "x"}, code: 1, // 2 in atl, whose root makes flag errors usage errors
			stderr: "atl: invalid argument \"x\" for \"--port\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\n"},
		{args: []string{"extra"}, code: 2, stderr: "atl: unexpected argument \"extra\" for \"proxy\"; see `proxy --help`\n"},
	} {
		f, _, errOut, _ := clitest.NewFactory(t, tc.env)
		var got *Options
		cmd := NewCmd(f, func(_ context.Context, o *Options) error { got = o; return nil })
		code := clitest.Execute(f, cmd, tc.args...)
		if code != tc.code || errOut.String() != tc.stderr {
			t.Errorf("%v: exit %d, %q; want %d, %q", tc.args, code, errOut, tc.code, tc.stderr)
			continue
		}
		if tc.code != 0 {
			continue
		}
		if got.IO != f.IO || got.Session == nil {
			t.Errorf("%v: dependencies %+v", tc.args, got)
		}
		got.IO, got.Session = nil, nil
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%v: %+v, want %+v", tc.args, *got, tc.want)
		}
	}
}
