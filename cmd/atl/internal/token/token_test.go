package token

import (
	"context"
	"flag"
	"io"
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			if tc.stored {
				e.Store("default", "stored-access-token")
			}
			if tc.profile != "" {
				e.F.Profile = tc.profile
			}
			e.Clock.Advance(tc.advance)
			opts := tc.opts
			opts.IO, opts.Session = e.F.IO, e.F.Session
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
		})
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
		var got *Options
		cmd := NewCmd(e.F, func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: err %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got == nil || got.JSON != tc.want.JSON || got.Header != tc.want.Header || got.MinValid != tc.want.MinValid || got.Site != tc.want.Site {
			t.Errorf("%q: %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
}
