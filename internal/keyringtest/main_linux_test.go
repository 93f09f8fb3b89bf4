package keyringtest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const helperEnv = "ATL_KEYRINGTEST_HELPER"

// helperKey is the key the helper run adds, its description this
// process's own.
func helperKey() string { return "atl-keyringtest:" + os.Getenv(helperEnv) }

func TestMain(m *testing.M) {
	mode, _, _ := strings.Cut(os.Getenv(helperEnv), "-")
	switch mode {
	case "leave", "clean": // Main around tests that add a key, and leave it or not
		os.Exit(Main(func() int {
			id, err := unix.AddKey("user", helperKey(), []byte("x"), unix.KEY_SPEC_USER_KEYRING)
			if err != nil {
				return 3
			}
			_, _ = unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, 60, 0, 0)
			if mode == "clean" {
				_ = Remove(id)
			}
			return 0
		}))
	}
	os.Exit(m.Run())
}

// Main fails tests that leave a key of atl's in their keyring, naming
// it, and passes those that remove theirs; either way the key never
// reaches the keyring of whoever runs them.
func TestMainFailsTestsThatLeaveAKey(t *testing.T) {
	probe := exec.Command("unshare", "--user", "true")
	if err := probe.Run(); err != nil {
		t.Skipf("no user namespace can be made here (%v): Main runs the tests unchecked", err)
	}
	for _, mode := range []string{"leave", "clean"} {
		tag := mode + "-" + time.Now().Format("150405.000000000")
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+tag)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		left := strings.Contains(string(out), "left key") && strings.Contains(string(out), "atl-keyringtest:"+tag)
		if mode == "leave" && (code != 1 || !left) || mode == "clean" && (code != 0 || left) {
			t.Errorf("%s: exit %d:\n%s", mode, code, out)
		}
		if n, err := Count("atl-keyringtest:" + tag); n != 0 || err != nil {
			t.Errorf("%s: the key reached this keyring (%d, %v)", mode, n, err)
		}
	}
}
