package sites

import (
	"context"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/atl-cli/atl/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Sites a login may reach, and server text meant to take over a terminal.
var (
	example = authtest.Site{ID: authtest.DefaultSiteID, URL: authtest.DefaultSiteURL, Name: authtest.DefaultSiteName}
	beta    = authtest.Site{ID: "22222222-3333-4444-5555-666666666666", URL: "https://beta.atlassian.net", Name: "beta", Scopes: []string{"read:confluence-content.all", "write:confluence-content"}}
	bare    = authtest.Site{ID: "33333333-4444-5555-6666-777777777777", URL: "https://bare.atlassian.net", Name: "bare", Scopes: []string{}}
	evil    = authtest.Site{ID: authtest.DefaultSiteID, URL: "https://evil.atlassian.net/\x1b]8;;http://x\x07", Name: "Evil\x1b[31m\u009b2J\u202eCorp\x07\x1b]0;pwned\x07",
		Scopes: []string{"read:jira-work", "bad\x1b[2Jscope"}}
	evil2 = authtest.Site{ID: beta.ID, URL: "https://beta.atlassian.net\x1bc", Name: "\u202ebeta\x1b[8m"}
)

// sitesCase is a run of `atl sites` or `atl sites use`.
type sitesCase struct {
	name     string
	sites    []authtest.Site // the server's; one by default
	stored   bool            // the profile has a login
	profile  string
	setup    func(e *clitest.Env)
	terminal bool // stdout and stderr are terminals
	code     int
	stdout   string // exact, or a golden file's name
	stderr   string
	current  string // the stored login's site after
}

// newEnv is an Env for tc.
func newEnv(t *testing.T, tc *sitesCase) *clitest.Env {
	e := clitest.New(t)
	if tc.sites != nil {
		e.Srv = authtest.NewServer(authtest.Options{ClientID: "cid", ClientSecret: "csecret", Now: e.Clock.Now, Sites: tc.sites})
		t.Cleanup(e.Srv.Close)
	}
	if tc.profile != "" {
		e.F.Profile = tc.profile
	}
	if tc.stored {
		e.Store(e.F.Profile, "")
	}
	if tc.setup != nil {
		tc.setup(e)
	}
	e.F.IO.OutTerminal, e.F.IO.ErrTerminal = tc.terminal, tc.terminal
	return e
}

// check checks what tc ran: its exit code, its output, the login's site.
func (tc *sitesCase) check(t *testing.T, e *clitest.Env, err error, command string) {
	t.Helper()
	code := e.Report(err, command)
	if code != tc.code || e.ErrOut.String() != tc.stderr {
		t.Fatalf("exit %d, stderr %q; want %d, %q", code, e.ErrOut, tc.code, tc.stderr)
	}
	if name, ok := strings.CutPrefix(tc.stdout, "golden:"); ok {
		clitest.Golden(t, *update, name, e.Out.String())
	} else if e.Out.String() != tc.stdout {
		t.Fatalf("stdout %q, want %q", e.Out, tc.stdout)
	}
	if i := strings.IndexAny(e.Out.String()+e.ErrOut.String(), "\x07\x1b\u009b\u202e"); tc.terminal && i >= 0 {
		t.Fatalf("a control character reached the terminal at %d: %q", i, e.Out.String()+e.ErrOut.String())
	}
	if tc.stored {
		m, err := e.Login(e.F.Profile).Metadata()
		if err != nil || m.Site.ID != tc.current {
			t.Fatalf("the login's site is %+v, %v; want %s", m, err, tc.current)
		}
	}
}

// envToken sets ATL_TOKEN to an access token the server knows.
func envToken(e *clitest.Env) {
	access, _ := e.Srv.IssueTokens("read:jira-user", "read:jira-work")
	e.Vars["ATL_TOKEN"], e.Vars["ATL_API_URL"] = access, e.Srv.URL()
}

// useSite makes the stored login's current site id.
func useSite(id string) func(e *clitest.Env) {
	return func(e *clitest.Env) {
		if err := e.Login(e.F.Profile).Update(func(m *store.Metadata) error { m.Site.ID = id; return nil }); err != nil {
			e.T.Fatal(err)
		}
	}
}

const oneSite = "* example  https://example.atlassian.net  11111111-2222-3333-4444-555555555555  read:jira-user read:jira-work\n"

func TestRunSites(t *testing.T) {
	for _, tc := range []struct {
		sitesCase
		json     bool
		requests int // to the token endpoint
	}{
		{sitesCase: sitesCase{name: "one", stored: true, current: example.ID, stdout: oneSite}},
		{sitesCase: sitesCase{name: "several", sites: []authtest.Site{example, beta, bare}, stored: true, current: example.ID, stdout: "golden:several.txt"}},
		{sitesCase: sitesCase{name: "several, json", sites: []authtest.Site{example, beta, bare}, stored: true, current: example.ID, stdout: "golden:several.json"}, json: true},
		{sitesCase: sitesCase{name: "another current", sites: []authtest.Site{example, beta}, stored: true, setup: useSite(beta.ID), current: beta.ID, stdout: "golden:beta-current.txt"}},
		{sitesCase: sitesCase{name: "another profile", profile: "work", stored: true, current: example.ID, stdout: oneSite}},
		{sitesCase: sitesCase{name: "not logged in", code: 4, stderr: "atl: not logged in; run `atl login`\n"}},
		{sitesCase: sitesCase{name: "a dead login", stored: true, current: example.ID, code: 4,
			setup:  func(e *clitest.Env) { e.Srv.RevokeGrants(); e.Clock.Advance(2 * time.Hour) },
			stderr: "atl: listing the sites this login reaches: GET /oauth/token/accessible-resources: Atlassian rejected the stored grant (HTTP 403 invalid_grant); run `atl login`\n"}, requests: 1},
		{sitesCase: sitesCase{name: "ATL_TOKEN", setup: envToken, stdout: oneSite}},
		{sitesCase: sitesCase{name: "ATL_TOKEN on several sites: none is current", sites: []authtest.Site{example, beta}, setup: envToken, stdout: "golden:envtoken-several.txt"}},
		{sitesCase: sitesCase{name: "ATL_TOKEN on several sites, json", sites: []authtest.Site{example, beta}, setup: envToken, stdout: "golden:envtoken-several.json"}, json: true},
		{sitesCase: sitesCase{name: "a hostile server on a terminal", sites: []authtest.Site{evil, evil2}, stored: true, current: example.ID, terminal: true, stdout: "golden:hostile.txt"}},
		{sitesCase: sitesCase{name: "a hostile server, json on a terminal", sites: []authtest.Site{evil, evil2}, stored: true, current: example.ID, terminal: true, stdout: "golden:hostile-terminal.json"}, json: true},
		{sitesCase: sitesCase{name: "a hostile server, json", sites: []authtest.Site{evil, evil2}, stored: true, current: example.ID, stdout: "golden:hostile.json"}, json: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, &tc.sitesCase)
			err := run(context.Background(), &Options{IO: e.F.IO, Session: e.F.Session, JSON: tc.json})
			tc.check(t, e, err, "sites")
			if n := e.Srv.Count("token"); n != tc.requests {
				t.Fatalf("token requests = %d, want %d", n, tc.requests)
			}
			if !tc.stored || tc.code != 0 {
				return
			}
			m, err := e.Login(e.F.Profile).Metadata()
			if err != nil || len(m.Sites) != max(len(tc.sites), 1) {
				t.Fatalf("the login keeps the sites %+v, %v; want the %d listed", m.Sites, err, max(len(tc.sites), 1))
			}
		})
	}
}

func TestRunSitesUse(t *testing.T) {
	const usesBeta = "Profile \"default\" now uses beta (https://beta.atlassian.net, cloud id 22222222-3333-4444-5555-666666666666).\n"
	for _, tc := range []struct {
		sitesCase
		site string
	}{
		{sitesCase: sitesCase{name: "by name", sites: []authtest.Site{example, beta}, stored: true, current: beta.ID, stderr: usesBeta}, site: "beta"},
		{sitesCase: sitesCase{name: "by URL", sites: []authtest.Site{example, beta}, stored: true, current: beta.ID, stderr: usesBeta}, site: "beta.atlassian.net"},
		{sitesCase: sitesCase{name: "by cloud id", sites: []authtest.Site{example, beta}, stored: true, current: beta.ID, stderr: usesBeta}, site: beta.ID},
		{sitesCase: sitesCase{name: "the current one", stored: true, current: example.ID,
			stderr: "Profile \"default\" now uses example (https://example.atlassian.net, cloud id 11111111-2222-3333-4444-555555555555).\n"}, site: "example"},
		{sitesCase: sitesCase{name: "another profile", profile: "work", sites: []authtest.Site{example, beta}, stored: true, current: beta.ID,
			stderr: "Profile \"work\" now uses beta (https://beta.atlassian.net, cloud id 22222222-3333-4444-5555-666666666666).\n"}, site: "beta"},
		{sitesCase: sitesCase{name: "a site the login does not reach", stored: true, current: example.ID, code: 2,
			stderr: "atl: no site matches \"gamma\"; this login reaches: example https://example.atlassian.net; pick one with --site NAME|URL|ID (`atl sites` lists them)\n"}, site: "gamma"},
		{sitesCase: sitesCase{name: "not logged in", code: 4, stderr: "atl: not logged in; run `atl login`\n"}, site: "beta"},
		{sitesCase: sitesCase{name: "ATL_TOKEN", setup: envToken, code: 2,
			stderr: "atl: ATL_TOKEN: a token was given in place of a login: there is no stored login whose site to change; unset ATL_TOKEN to use the stored login\n"}, site: "beta"},
		{sitesCase: sitesCase{name: "a hostile server on a terminal", sites: []authtest.Site{evil, evil2}, stored: true, current: beta.ID, terminal: true,
			stderr: "Profile \"default\" now uses beta (https://beta.atlassian.net, cloud id 22222222-3333-4444-5555-666666666666).\n"}, site: beta.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, &tc.sitesCase)
			err := runUse(context.Background(), &UseOptions{IO: e.F.IO, Session: e.F.Session, Name: tc.site})
			tc.check(t, e, err, "use")
		})
	}
}

func TestNewCmdFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		json bool
		err  string
	}{
		{nil, false, ""},
		{[]string{"--json"}, true, ""},
		{[]string{"beta"}, false, `unexpected argument "beta" for "sites"; see ` + "`sites --help`"},
		{[]string{"--json", "use"}, false, "unknown flag: --json"},
		{[]string{"use"}, false, "atl sites use takes one site: its name, URL or cloud id (see `atl sites`)"},
	} {
		e := clitest.New(t)
		got, err := clitest.Parse(e, NewCmd, tc.args...)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || got != nil {
				t.Errorf("%q: err %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got == nil || got.JSON != tc.json || got.IO != e.F.IO || got.Session == nil {
			t.Errorf("%q: %+v, %v; want json %v", tc.args, got, err, tc.json)
		}
	}
}

func TestNewUseCmdArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		name string
		err  string
	}{
		{[]string{"beta"}, "beta", ""},
		{[]string{"https://beta.atlassian.net"}, "https://beta.atlassian.net", ""},
		{nil, "", "atl sites use takes one site: its name, URL or cloud id (see `atl sites`)"},
		{[]string{"beta", "gamma"}, "", "atl sites use takes one site: its name, URL or cloud id (see `atl sites`)"},
		{[]string{"--json", "beta"}, "", "unknown flag: --json"},
	} {
		e := clitest.New(t)
		got, err := clitest.Parse(e, newUseCmd, tc.args...)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || got != nil {
				t.Errorf("%q: err %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got == nil || got.Name != tc.name || got.IO != e.F.IO || got.Session == nil {
			t.Errorf("%q: %+v, %v; want name %q", tc.args, got, err, tc.name)
		}
	}
}

// TestUseIsUnderSites runs `atl sites use` as atl does, from `atl sites`.
func TestUseIsUnderSites(t *testing.T) {
	e := clitest.New(t)
	e.Srv = authtest.NewServer(authtest.Options{ClientID: "cid", ClientSecret: "csecret", Now: e.Clock.Now, Sites: []authtest.Site{example, beta}})
	t.Cleanup(e.Srv.Close)
	e.Store("default", "")
	if code := clitest.Execute(e.F, NewCmd(e.F, nil), "use", "beta"); code != 0 || e.ErrOut.String() != "Profile \"default\" now uses beta (https://beta.atlassian.net, cloud id 22222222-3333-4444-5555-666666666666).\n" {
		t.Fatalf("exit %d, stderr %q", code, e.ErrOut)
	}
}
