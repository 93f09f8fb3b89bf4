package logout

import (
	"context"
	"testing"

	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
)

func TestRunLogout(t *testing.T) {
	for _, tc := range []struct {
		stored  bool
		profile string
		stderr  string
	}{
		{true, "default", "Logged out: removed the stored tokens and metadata of profile \"default\".\nTo revoke atl's access to your account, remove the app at https://id.atlassian.com/manage-profile/apps\n"},
		{false, "default", "Not logged in (profile \"default\"); nothing to remove.\n"},
		{true, "work", "Logged out: removed the stored tokens and metadata of profile \"work\".\nTo revoke atl's access to your account, remove the app at https://id.atlassian.com/manage-profile/apps\n"},
	} {
		e := clitest.New(t)
		e.F.Profile = tc.profile
		if tc.stored {
			e.Store(tc.profile, "")
		}
		if code := e.Report(runLogout(context.Background(), &logoutOptions{f: e.F}), "logout"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.ErrOut)
		}
		if e.ErrOut.String() != tc.stderr || e.Out.Len() != 0 || e.Keys.Len() != 0 {
			t.Fatalf("stderr %q, stdout %q, %d items left; want %q", e.ErrOut, e.Out, e.Keys.Len(), tc.stderr)
		}
	}
}
