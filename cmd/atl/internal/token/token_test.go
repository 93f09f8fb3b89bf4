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
		json     bool
		profile  string
		advance  time.Duration
		code     int
		stdout   string // exact, or a golden file's name
		stderr   string
		requests int
	}{
		{name: "cached", stored: true, stdout: "stored-access-token\n"},
		{name: "json", stored: true, json: true, stdout: "golden:token.json"},
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
			code := e.Report(runToken(context.Background(), &tokenOptions{f: e.F, JSON: tc.json}), "token")
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
