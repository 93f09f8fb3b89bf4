package cli_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
)

func TestStatusLineOnATerminal(t *testing.T) {
	var w clitest.LockedBuffer
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	s := cli.NewStatusLine(&w, true, now)
	s.Start("Waiting for the sign-in")
	mu.Lock()
	clock = clock.Add(3 * time.Second)
	mu.Unlock()
	time.Sleep(1200 * time.Millisecond) // one redraw
	s.Println("Could not open a browser")
	s.Stop()
	s.Stop() // twice is fine
	got := w.String()
	for _, want := range []string{
		"\r\x1b[KWaiting for the sign-in… 0s (Ctrl-C to cancel)",
		"\r\x1b[KWaiting for the sign-in… 3s (Ctrl-C to cancel)",
		"\r\x1b[KCould not open a browser\n\r\x1b[KWaiting for the sign-in… 3s (Ctrl-C to cancel)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%q", want, got)
		}
	}
	if !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("the line was not cleared at the end: %q", got)
	}
}

func TestStatusLineElsewhereIsPlain(t *testing.T) {
	var w bytes.Buffer
	s := cli.NewStatusLine(&w, false, time.Now)
	s.Start("Waiting for the sign-in (up to 5m0s)")
	s.Println("a message")
	s.Stop()
	if got := w.String(); got != "Waiting for the sign-in (up to 5m0s)…\na message\n" {
		t.Fatalf("output %q", got)
	}
}
