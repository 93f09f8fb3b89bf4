//go:build !windows

package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/creack/pty"
)

// tokenWithStderrOnATerminal runs atl token with its stderr on a
// pseudo-terminal and its stdout in a pipe, and returns both and its
// exit code.
func (e *e2e) tokenWithStderrOnATerminal() (stdout, screen string, code int) {
	e.t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		e.t.Fatal(err)
	}
	defer ptmx.Close()
	cmd := e.command("token")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, tty
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	tty.Close() // atl holds it now
	var shown clitest.LockedBuffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&shown, ptmx); close(copied) }()
	code = exitCodeOf(cmd.Wait())
	select {
	case <-copied:
	case <-time.After(2 * time.Second):
	}
	return out.String(), strings.ReplaceAll(shown.String(), "\r\n", "\n"), code
}

// atl token warns of a login that ends within a week: one line, on
// stderr, only when stderr is a terminal; never on stdout, never in a
// pipe. A refresh moves the 90-day end, so the warning is of what the
// token path left.
func TestE2ETokenWarnsOfALoginEndingWithinAWeekOnATerminalOnly(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.login()
	token := e.grant().AccessToken + "\n"
	if out, screen, code := e.tokenWithStderrOnATerminal(); code != 0 || out != token || screen != "" {
		t.Fatalf("a new login: exit %d, stdout %q, terminal %q", code, out, screen)
	}
	e.aged(360*day, time.Hour)
	out, screen, code := e.tokenWithStderrOnATerminal()
	want := "atl: warning: this login ends in 4 days ("
	if code != 0 || out != token || !strings.HasPrefix(screen, want) || strings.Count(screen, "\n") != 1 ||
		!strings.HasSuffix(screen, ", 365 days after its consent): run `atl login --profile "+e.profile+"` to renew it\n") {
		t.Fatalf("5 days left: exit %d, stdout %q, terminal %q", code, out, screen)
	}
	if out, errOut, code := e.run("token"); code != 0 || out != token || errOut != "" {
		t.Fatalf("in a pipe: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// Unused for 85 days, the token is refreshed: 90 days from now.
	e.aged(100*day, 85*day)
	e.expire()
	out, screen, code = e.tokenWithStderrOnATerminal()
	if code != 0 || out != e.grant().AccessToken+"\n" || screen != "" {
		t.Fatalf("after a refresh: exit %d, stdout %q, terminal %q", code, out, screen)
	}
}
