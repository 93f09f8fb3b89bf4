package login

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
)

// consentURLRE is the consent page's address as --no-browser shows it.
var consentURLRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/authorize\?\S+`)

// person is someone at the terminal while a login runs: they read its
// stderr, open the address it shows in a browser elsewhere, and type on
// its stdin.
type person struct {
	t      *testing.T
	errOut *clitest.LockedBuffer
	stdin  *io.PipeWriter
	done   <-chan struct{} // closed when the login has returned
	// interrupt is Ctrl-C.
	interrupt func()
}

// waitFor waits until stderr holds s; false when the login ended first.
func (p *person) waitFor(s string) bool {
	for !strings.Contains(p.errOut.String(), s) {
		select {
		case <-p.done:
			return strings.Contains(p.errOut.String(), s)
		case <-time.After(5 * time.Millisecond):
		}
	}
	return true
}

// consent opens the consent page --no-browser shows in a browser on
// another machine and approves; it returns the address the browser is
// sent to, which that browser cannot load (it is never requested).
func (p *person) consent() (landed string, ok bool) {
	if !p.waitFor("/authorize?") {
		return "", false
	}
	client := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/callback" {
			landed = req.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}}
	if _, _, err := authtest.Browse(context.Background(), client, consentURLRE.FindString(p.errOut.String())); err != nil {
		p.t.Errorf("browsing the consent page: %v", err)
		return "", false
	}
	return landed, landed != ""
}

// types writes line on stdin; false when nobody reads it any more.
func (p *person) types(line string) bool {
	_, err := io.WriteString(p.stdin, line)
	return err == nil
}

// pastes approves on the consent page and pastes where the browser lands.
func (p *person) pastes() bool {
	landed, ok := p.consent()
	return ok && p.types(landed+"\n")
}
