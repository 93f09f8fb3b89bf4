package whoami

import (
	"context"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestRunWhoami(t *testing.T) {
	for _, tc := range []struct {
		json   bool
		golden string
	}{{false, "whoami.txt"}, {true, "whoami.json"}} {
		e := clitest.New(t)
		e.Store("default", "")
		if code := e.Report(runWhoami(context.Background(), &whoamiOptions{f: e.F, JSON: tc.json}), "whoami"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.ErrOut)
		}
		if e.ErrOut.Len() != 0 {
			t.Fatalf("stderr %q", e.ErrOut)
		}
		clitest.Golden(t, *update, tc.golden, strings.ReplaceAll(e.Out.String(), e.Srv.URL(), "http://SERVER"))
	}
}

func TestRunWhoamiDeadLogin(t *testing.T) {
	e := clitest.New(t)
	e.Store("default", "")
	e.Srv.RevokeGrants()
	e.Clock.Advance(2 * time.Hour)
	code := e.Report(runWhoami(context.Background(), &whoamiOptions{f: e.F}), "whoami")
	want := "atl: Atlassian rejected the stored grant (HTTP 403 invalid_grant); run `atl login`\n"
	if code != 4 || e.ErrOut.String() != want || e.Out.Len() != 0 {
		t.Fatalf("exit %d, stderr %q, stdout %q; want 4, %q", code, e.ErrOut, e.Out, want)
	}
}
