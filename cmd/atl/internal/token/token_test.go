package token

import (
	"context"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/atl-cli/atl/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestRunToken(t *testing.T) {
	for _, tc := range []struct {
		name     string
		stored   bool
		opts     Options // its flags
		profile  string
		advance  time.Duration
		code     int
		stdout   string // exact, or a golden file's name
		stderr   string
		requests int
		setup    func(e *clitest.Env)
		terminal bool // stderr is a terminal
	}{
		{name: "cached", stored: true, stdout: "stored-access-token\n"},
		{name: "json", stored: true, opts: Options{JSON: true}, stdout: "golden:token.json"},
		{name: "header", stored: true, opts: Options{Header: true}, stdout: "Authorization: Bearer stored-access-token\n"},
		{name: "min-valid beyond the token's life", stored: true, opts: Options{MinValid: time.Hour}, code: 2,
			stderr: "atl: --min-valid must be between 0 and 59m0s (an access token lives an hour)\n"},
		{name: "min-valid forces a refresh", stored: true, opts: Options{MinValid: 59 * time.Minute}, advance: 2 * time.Minute, stdout: "<refreshed>", requests: 1},
		{name: "json and header", stored: true, opts: Options{JSON: true, Header: true}, code: 2, stderr: "atl: --json and --header cannot go together\n"},
		{name: "a site the login does not reach", stored: true, opts: Options{JSON: true, Site: "elsewhere"}, code: 2,
			stderr:   "atl: no site matches \"elsewhere\"; this login reaches: example https://example.atlassian.net; pick one with --site NAME|URL|ID (`atl sites` lists them)\n",
			requests: 1}, // the sites are listed with the token the API refuses: one refresh
		{name: "not logged in", code: 4, stderr: "atl: not logged in; run `atl login`\n"},
		{name: "not logged in, another profile", profile: "work", code: 4,
			stderr: "atl: not logged in (profile \"work\"); run `atl login --profile work`\n"},
		{name: "refreshed", stored: true, advance: time.Hour, stdout: "<refreshed>", requests: 1},
		{name: "a login ending in 5 days, on a terminal", stored: true, setup: stamp(-360*day, -time.Hour), terminal: true, stdout: "stored-access-token\n",
			stderr: "atl: warning: this login ends in 5 days (2026-12-04T12:00:00Z, 365 days after its consent): run `atl login` to renew it\n"},
		{name: "a login ending in 5 days, json on a terminal", stored: true, setup: stamp(-360*day, -time.Hour), terminal: true, opts: Options{JSON: true}, stdout: "golden:token.json",
			stderr: "atl: warning: this login ends in 5 days (2026-12-04T12:00:00Z, 365 days after its consent): run `atl login` to renew it\n"},
		{name: "a login of another profile ending in 6 hours, on a terminal", stored: true, profile: "work", setup: stamp(-365*day+6*time.Hour, -time.Hour), terminal: true,
			stdout: "stored-access-token\n", stderr: "atl: warning: this login ends in less than a day (2026-11-29T18:00:00Z, 365 days after its consent): run `atl login --profile work` to renew it\n"},
		{name: "a login ending in 5 days, in a pipe", stored: true, setup: stamp(-360*day, -time.Hour), stdout: "stored-access-token\n"},
		{name: "a login ending in 8 days, on a terminal", stored: true, setup: stamp(-357*day, -time.Hour), terminal: true, stdout: "stored-access-token\n"},
		{name: "a login unused for 85 days, on a terminal", stored: true, setup: stamp(-100*day, -85*day), terminal: true, stdout: "stored-access-token\n",
			stderr: "atl: warning: this login ends in 5 days (2026-12-04T12:00:00Z, after 90 days unused): run `atl login` to renew it\n"},
		{name: "a refresh moves the end, on a terminal", stored: true, setup: stamp(-100*day, -85*day), advance: time.Hour, terminal: true, stdout: "<refreshed>", requests: 1},
		{name: "a login whose end is not known, on a terminal", stored: true, terminal: true, stdout: "stored-access-token\n"},
		{name: "ATL_TOKEN on a terminal", setup: func(e *clitest.Env) { e.Vars["ATL_TOKEN"] = "given-token" }, terminal: true, stdout: "given-token\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			if tc.stored {
				e.Store("default", "stored-access-token")
			}
			if tc.profile != "" {
				e.F.Profile = tc.profile
				if tc.stored {
					e.Store(tc.profile, "stored-access-token")
				}
			}
			if tc.setup != nil {
				tc.setup(e)
			}
			e.Clock.Advance(tc.advance)
			e.F.IO.ErrTerminal = tc.terminal
			opts := tc.opts
			opts.IO, opts.Session, opts.Now, opts.LocalTime, opts.Getenv = e.F.IO, e.F.Session, e.F.Now, e.F.LocalTime, e.F.Getenv
			code := e.Report(run(context.Background(), &opts), "token")
			if code != tc.code || e.ErrOut.String() != tc.stderr {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, e.ErrOut, tc.code, tc.stderr)
			}
			switch {
			case strings.HasPrefix(tc.stdout, "golden:"):
				clitest.Golden(t, *update, strings.TrimPrefix(tc.stdout, "golden:"), e.Out.String())
			case tc.stdout == "<refreshed>":
				l, _ := store.New(e.Dir, e.Keys).WithTokenCache(store.NoTokenCache{}).Login("default")
				_, g, _ := l.Load()
				if e.Out.String() != g.AccessToken+"\n" || g.AccessToken == "stored-access-token" {
					t.Fatalf("stdout %q, want the refreshed token", e.Out)
				}
			default:
				if e.Out.String() != tc.stdout {
					t.Fatalf("stdout %q, want %q", e.Out, tc.stdout)
				}
			}
			if n := e.Srv.Count("token"); n != tc.requests {
				t.Fatalf("token requests = %d, want %d", n, tc.requests)
			}
			if n := e.Srv.Count("accessible-resources"); n != 0 && !strings.Contains(tc.name, "site") {
				t.Fatalf("%d requests for the sites", n)
			}
		})
	}
}

const day = 24 * time.Hour

// stamp records, in every stored login, its consent and the last issue
// of its refresh token, that long before the clock's start.
func stamp(consented, refreshIssued time.Duration) func(e *clitest.Env) {
	return func(e *clitest.Env) {
		names, err := e.F.Profiles(e.F.Options(""))
		for _, name := range names {
			if err == nil {
				err = e.Login(name).Update(func(m *store.Metadata) error {
					m.ConsentedAt, m.RefreshIssuedAt = clitest.Start().Add(consented), clitest.Start().Add(refreshIssued)
					return nil
				})
			}
		}
		if err != nil {
			e.T.Fatal(err)
		}
	}
}

func TestNewCmdFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want Options
		err  string
	}{
		{[]string{}, Options{}, ""}, // not nil: cobra reads os.Args for nil
		{[]string{"--json", "--site", "beta"}, Options{JSON: true, Site: "beta"}, ""},
		{[]string{"--header", "--min-valid", "10m"}, Options{Header: true, MinValid: 10 * time.Minute}, ""},
		{[]string{"extra"}, Options{}, `unexpected argument "extra" for "token"; see ` + "`token --help`"},
		{[]string{"--min-valid", "soon"}, Options{}, `invalid argument "soon" for "--min-valid" flag: time: invalid duration "soon"`},
	} {
		e := clitest.New(t)
		got, err := clitest.Parse(e, NewCmd, tc.args...)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: err %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err == nil && got != nil && (got.IO != e.F.IO || got.Session == nil || got.Now == nil || got.LocalTime == nil || got.Getenv == nil) {
			t.Errorf("%q: dependencies not set: %+v", tc.args, got)
		}
		if err != nil || got == nil || got.JSON != tc.want.JSON || got.Header != tc.want.Header || got.MinValid != tc.want.MinValid || got.Site != tc.want.Site {
			t.Errorf("%q: %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
}
