package logout

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
)

const revoke = "To revoke atl's access to your account, remove the app at https://id.atlassian.com/manage-profile/apps\n"

func TestRunLogout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stored  []string // profiles with a login
		profile string
		all     bool
		setup   func(e *clitest.Env)
		code    int
		stderr  string
		left    []string // profiles still logged in after
	}{
		{name: "logged in", stored: []string{"default"},
			stderr: "Logged out: removed the stored tokens and metadata of profile \"default\".\n" + revoke},
		{name: "not logged in", stderr: "Not logged in (profile \"default\"); nothing to remove.\n"},
		{name: "another profile", stored: []string{"default", "work"}, profile: "work", left: []string{"default"},
			stderr: "Logged out: removed the stored tokens and metadata of profile \"work\".\n" + revoke},
		{name: "a profile name that is not one", profile: "../etc", code: 2,
			stderr: "atl: invalid profile name \"../etc\": use letters, digits, '.', '_' and '-' (at most 64, not ending in .tokens)\n"},
		{name: "the keychain fails", stored: []string{"default"}, left: []string{"default"}, code: 1,
			setup:  func(e *clitest.Env) { e.Keys.Fail(errors.New("the keychain is locked")) },
			stderr: "atl: the keychain is locked\n"},
		{name: "all, none", all: true, stderr: "No stored logins; nothing to remove.\n"},
		{name: "all", all: true, stored: []string{"default", "work", "a"},
			stderr: "Removed profile \"a\".\nRemoved profile \"default\".\nRemoved profile \"work\".\n" + revoke},
		{name: "all, one fails", all: true, stored: []string{"default", "broken", "work"}, left: []string{"broken"}, code: 1,
			setup:  func(e *clitest.Env) { lockIsADirectory(e, "broken") },
			stderr: "Could not remove profile \"broken\": locking <DIR>/profiles/broken.lock: open <DIR>/profiles/broken.lock: is a directory\nRemoved profile \"default\".\nRemoved profile \"work\".\n" + revoke + "atl: profile \"broken\": locking <DIR>/profiles/broken.lock: open <DIR>/profiles/broken.lock: is a directory\n"},
		{name: "all, every one fails", all: true, stored: []string{"default", "work"}, left: []string{"default", "work"}, code: 1,
			setup:  func(e *clitest.Env) { e.Keys.Fail(errors.New("the keychain is locked")) },
			stderr: "Could not remove profile \"default\": the keychain is locked\nCould not remove profile \"work\": the keychain is locked\natl: profile \"default\": the keychain is locked\n"},
		{name: "all, the config directory unreadable", all: true, code: 1,
			setup:  func(e *clitest.Env) { e.Vars["ATL_CONFIG_DIR"] = writeFile(e, "not-a-dir") },
			stderr: "atl: refusing to use <DIR>/not-a-dir: it is not a directory; atl changes nothing there: fix its owner and mode yourself, or set ATL_CONFIG_DIR to a directory of your own\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			for _, p := range tc.stored {
				e.Store(p, "")
			}
			if tc.profile != "" {
				e.F.Profile = tc.profile
			}
			if tc.setup != nil {
				tc.setup(e)
			}
			opts := &Options{IO: e.F.IO, Session: e.F.Session, SessionFor: e.F.SessionFor,
				Profiles: func() ([]string, error) { return e.F.Profiles(e.F.Options("")) }, All: tc.all}
			code := e.Report(run(context.Background(), opts), "logout")
			stderr := strings.ReplaceAll(e.ErrOut.String(), e.Dir, "<DIR>")
			if code != tc.code || stderr != tc.stderr || e.Out.Len() != 0 {
				t.Fatalf("exit %d, stderr %q, stdout %q; want %d, %q", code, stderr, e.Out, tc.code, tc.stderr)
			}
			e.Keys.Fail(nil)
			e.Vars["ATL_CONFIG_DIR"] = e.Dir
			left, err := e.F.Profiles(e.F.Options(""))
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.left) == 0 && e.Keys.Len() != 0 {
				t.Fatalf("%d keychain items left", e.Keys.Len())
			}
			if len(left) != len(tc.left) {
				t.Fatalf("logins left: %q, want %q", left, tc.left)
			}
			for i := range left {
				if left[i] != tc.left[i] {
					t.Fatalf("logins left: %q, want %q", left, tc.left)
				}
			}
		})
	}
}

// lockIsADirectory makes profile's lock file a directory: no logout can
// take the lock.
func lockIsADirectory(e *clitest.Env, profile string) {
	lock := filepath.Join(e.Dir, "profiles", profile+".lock")
	_ = os.Remove(lock)
	if err := os.Mkdir(lock, 0o700); err != nil {
		e.T.Fatal(err)
	}
}

// writeFile writes a file in the config directory and returns its path.
func writeFile(e *clitest.Env, name string) string {
	path := filepath.Join(e.Dir, name)
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		e.T.Fatal(err)
	}
	return path
}

func TestNewCmdFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		all  bool
		err  string
	}{
		{nil, false, ""},
		{[]string{"--all"}, true, ""},
		{[]string{"--all=false"}, false, ""},
		{[]string{"work"}, false, `unexpected argument "work" for "logout"; see ` + "`logout --help`"},
		{[]string{"--every"}, false, "unknown flag: --every"},
	} {
		e := clitest.New(t)
		got, err := clitest.Parse(e, NewCmd, tc.args...)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || got != nil {
				t.Errorf("%q: err %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got == nil || got.All != tc.all || got.IO != e.F.IO || got.Session == nil || got.SessionFor == nil || got.Profiles == nil {
			t.Errorf("%q: %+v, %v; want all %v", tc.args, got, err, tc.all)
		}
	}
}
