//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
)

// attackerPort, in its environment, makes the test binary play the
// attacker of TestE2EAnotherUserCannotWinTheSignInLink (see helperMain).
const attackerPort = "ATL_TEST_ATTACKER_PORT"

// helperMain runs the test binary as a helper process when its
// environment asks for one, and reports whether it did.
func helperMain() (code int, helper bool) {
	if port := os.Getenv(attackerPort); port != "" {
		return attack(port), true
	}
	return 0, false
}

// attackReport is what the attacker tells the test.
type attackReport struct {
	Found    string `json:"found"`     // the address it took from a command line
	Status   int    `json:"status"`    // the last answer it got
	Error    string `json:"error"`     // why it could not go on
	SignedIn bool   `json:"signed_in"` // its callback completed the login
}

// attack plays another user of the machine: it watches every process's
// command line for an address on the sign-in listener's port (or a local
// page), opens it as a browser would, consents as itself and sends the
// callback, and prints how far it got.
func attack(port string) int {
	var rep attackReport
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for rep.Found == "" && ctx.Err() == nil {
		rep.Found = findOnACommandLine("http://127.0.0.1:"+port+"/", "file:")
		time.Sleep(2 * time.Millisecond)
	}
	if rep.Found != "" {
		hc := &http.Client{Timeout: 10 * time.Second}
		status, body, err := authtest.Browse(ctx, hc, rep.Found)
		rep.Status = status
		if err != nil {
			rep.Error = err.Error()
		}
		rep.SignedIn = status == http.StatusOK && strings.Contains(body, "signed in")
	}
	_ = json.NewEncoder(os.Stdout).Encode(rep)
	return 0
}

// findOnACommandLine returns the first argument of any process that
// starts with one of prefixes.
func findOnACommandLine(prefixes ...string) string {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, arg := range strings.Split(string(b), "\x00") {
			for _, prefix := range prefixes {
				if strings.HasPrefix(arg, prefix) {
					return arg
				}
			}
		}
	}
	return ""
}

// Another user of the machine watches the processes' command lines while
// the browser takes its time to start: whatever it finds there must not
// let it complete the login (with a code from its own consent: a login
// CSRF), and the user's own browser must still sign in.
func TestE2EAnotherUserCannotWinTheSignInLink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a process as another user (CI runs the tests as root)")
	}
	e := newE2E(t, authtest.Options{})
	cb, err := url.Parse(e.callback)
	if err != nil {
		t.Fatal(err)
	}

	// The attacker: this test binary, where uid 4242 can run it.
	dir, err := os.MkdirTemp("/tmp", "atl-attacker-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "attacker")
	if err := copyFile(os.Args[0], bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	attacker := exec.CommandContext(t.Context(), bin)
	attacker.Env = []string{attackerPort + "=" + cb.Port(), "PATH=/usr/bin:/bin", "HOME=/"}
	attacker.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 4242, Gid: 4242}}
	var report, attackerErr bytes.Buffer
	attacker.Stdout, attacker.Stderr = &report, &attackerErr
	if err := attacker.Start(); err != nil {
		t.Fatal(err)
	}

	// The user's browser starts slowly, as a cold browser does.
	slow := filepath.Join(t.TempDir(), "slow-browser")
	script := fmt.Sprintf("#!/bin/sh\nsleep 2\nexec %s browse \"$@\"\n", sandboxBin)
	if err := os.WriteFile(slow, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	e.env["ATL_BROWSER"] = slow
	e.login()

	if err := attacker.Wait(); err != nil {
		t.Fatalf("attacker: %v\n%s", err, attackerErr.String())
	}
	var rep attackReport
	if err := json.Unmarshal(report.Bytes(), &rep); err != nil {
		t.Fatalf("attacker's report %q: %v", report.String(), err)
	}
	t.Logf("the attacker found %q: status %d, %s", rep.Found, rep.Status, rep.Error)
	if rep.Found == "" {
		t.Fatal("the attacker never saw the browser's command line: the test proves nothing")
	}
	if rep.SignedIn {
		t.Fatalf("another user completed the login with %q from a command line", rep.Found)
	}
	if n := e.srv.Count("authorize"); n != 1 {
		t.Fatalf("the consent page was reached %d times, want once (by the user's browser)", n)
	}
	if out, errOut, code := e.run("whoami"); code != 0 {
		t.Fatalf("whoami after the login: exit %d %s %s", code, out, errOut)
	}
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
