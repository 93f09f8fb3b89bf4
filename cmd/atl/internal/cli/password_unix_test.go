//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package cli

import (
	"io"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// echoAt is a writer that notes whether the terminal echoed input at the
// moment something was written (the prompt).
type echoAt struct {
	fd     int
	echoed []bool
}

func (w *echoAt) Write(p []byte) (int, error) {
	t, err := unix.IoctlGetTermios(w.fd, getTermios)
	if err != nil {
		return 0, err
	}
	w.echoed = append(w.echoed, t.Lflag&unix.ECHO != 0)
	return len(p), nil
}

// The prompt for a secret shows only once the terminal has stopped
// echoing: a secret pasted as soon as it shows is never on the screen.
func TestThePasswordPromptShowsOnlyOnceEchoIsOff(t *testing.T) {
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptm.Close()
	defer tty.Close()
	fd := int(tty.Fd())
	w := &echoAt{fd: fd}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := readPassword(fd, w, "Secret: ")
		done <- result{b, err}
	}()
	if _, err := io.WriteString(ptm, "s3cret\n"); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || string(r.b) != "s3cret" {
		t.Fatalf("readPassword = %q, %v", r.b, r.err)
	}
	if len(w.echoed) != 1 || w.echoed[0] {
		t.Fatalf("echo when the prompt was written: %v, want off", w.echoed)
	}
	after, err := unix.IoctlGetTermios(fd, getTermios)
	if err != nil {
		t.Fatal(err)
	}
	if after.Lflag&unix.ECHO == 0 {
		t.Fatal("the terminal still does not echo after the secret was read")
	}
}
