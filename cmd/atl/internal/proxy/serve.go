package proxy

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/internal/jsoncolor"
)

// minKey is the least length of ATL_PROXY_KEY, and the number of random
// bytes of a key drawn for a run.
const minKey = 32

// proxyKey is the key requests must carry: fixed (ATL_PROXY_KEY), or
// drawn for this run.
func proxyKey(fixed string) (string, error) {
	if fixed == "" {
		b := make([]byte, minKey)
		_, _ = rand.Read(b) // never fails
		return base64.RawURLEncoding.EncodeToString(b), nil
	}
	if len(fixed) < minKey {
		return "", cli.UsageErrorf("ATL_PROXY_KEY must be at least %d characters long (it is %d)", minKey, len(fixed))
	}
	if strings.ContainsFunc(fixed, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return "", cli.UsageErrorf("ATL_PROXY_KEY must be printable ASCII without spaces, as a password in an HTTP header is")
	}
	return fixed, nil
}

// announceJSON is the line --json prints once the proxy listens.
type announceJSON struct {
	URL  string   `json:"url"`
	Key  string   `json:"key"`
	Site siteJSON `json:"site"`
}

type siteJSON struct {
	ID   string `json:"id"`
	URL  string `json:"url"`
	Name string `json:"name"`
}

// announce says where the proxy listens, with which key, for which site:
// with --json as one line of JSON on stdout (its strings escaped on a
// terminal as every --json output's are), else for a person on stderr with how
// to use it. A key from ATL_PROXY_KEY is not shown to the person: it is
// known, and stderr may go to a log.
func announce(opts *Options, url, key string, site auth.Site) error {
	if opts.JSON {
		b, err := json.Marshal(announceJSON{URL: url, Key: key, Site: siteJSON{ID: site.ID, URL: site.URL, Name: site.Name}})
		if err != nil {
			return err
		}
		if opts.IO.OutTerminal {
			b = jsoncolor.Escape(b)
		}
		_, err = fmt.Fprintf(opts.IO.Out, "%s\n", b)
		return err
	}
	shown := "Key: " + key
	if opts.Key != "" {
		shown = "Key: the one in ATL_PROXY_KEY"
	}
	// The example keeps the key off curl's command line, which every
	// user of the machine can read: curl asks for it.
	_, err := fmt.Fprintf(opts.IO.ErrOut, `atl proxy: serving %s (%s) on %s
%s
Use %s as the site's address, with the key as the password (any user
name; a Jira client's API token) or as a bearer token:
  curl -u atl %s/rest/api/3/myself    (the key at curl's password prompt)
Ctrl-C stops it.
`, cli.Clean(site.Name), cli.Clean(site.URL), url, shown, url, url)
	return err
}

// serve serves srv on l until ctx ends, then stops accepting, lets the
// requests in flight finish for at most grace, and returns nil.
func serve(ctx context.Context, srv *http.Server, l net.Listener, grace time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(stop); err != nil {
		srv.Close() // what is still in flight is cut
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
