package login

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
)

func TestTheLineAfterAPasteIsTheSitePromptsAndTheTerminalIsBackBeforeIt(t *testing.T) {
	// The paste and the answer arrive together: what the paste loop read
	// ahead is the prompt's.
	in := newLoginInput(strings.NewReader("\nhttp://127.0.0.1:1/callback?code=c&state=s\nx\n2\n"))
	defer in.close()
	longLines, restored := 0, 0
	pasted := in.pastes(func() (func(), error) {
		longLines++
		return func() { restored++ }, nil
	})
	if line := <-pasted; line != "http://127.0.0.1:1/callback?code=c&state=s\n" {
		t.Fatalf("first paste %q: want the address, blank lines skipped", line)
	}
	if longLines != 1 || restored != 0 {
		t.Fatalf("while pasting: long-line mode set %d times, restored %d", longLines, restored)
	}
	in.endPastes()
	if restored != 1 {
		t.Fatalf("after the pastes the terminal was restored %d times, want 1", restored)
	}
	var errOut bytes.Buffer
	sites := []auth.Site{{ID: "id-1", Name: "alpha"}, {ID: "id-2", Name: "beta"}}
	got, err := promptSite(context.Background(), sites, &cli.IOStreams{ErrOut: &errOut, Interactive: true}, in)
	if err != nil || got.ID != "id-2" {
		t.Fatalf("site %q, %v; want id-2", got.ID, err)
	}
	// "x" is no answer: it asks again.
	if n := strings.Count(errOut.String(), "Choose a site"); n != 2 {
		t.Fatalf("asked %d times: %q", n, errOut.String())
	}
	in.close()
	if restored != 1 {
		t.Fatalf("the terminal was restored %d times, want 1", restored)
	}
}

func TestAnInterruptEndsTheSitePrompt(t *testing.T) {
	r, w := io.Pipe() // a person who never answers
	defer w.Close()
	in := newLoginInput(r)
	defer in.close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var errOut bytes.Buffer
	_, err := promptSite(ctx, []auth.Site{{ID: "a"}, {ID: "b"}}, &cli.IOStreams{ErrOut: &errOut, Interactive: true}, in)
	if err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !strings.HasSuffix(errOut.String(), "Choose a site [1-2]: \n") {
		t.Fatalf("the prompt's line is not ended: %q", errOut.String())
	}
}
