// Package proxy is `atl proxy`: the login's site served on the loopback
// interface, so that any HTTP client (curl, a Jira or Confluence library,
// an IDE plugin, a bot) can use it as if it were the site while atl keeps
// the token fresh.
package proxy

import (
	"context"
	"net/http"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/cmd/atl/internal/siteapi"
	"github.com/atl-cli/atl/internal/loopback"
	"github.com/spf13/cobra"
)

// DefaultPort is the port atl proxy listens on unless --port says
// another.
const DefaultPort = 27814

// grace bounds how long the requests in flight may take to finish after
// an interrupt.
const grace = 10 * time.Second

// Options are what `atl proxy` runs with: its dependencies, then its
// flags.
type Options struct {
	IO      *cli.IOStreams
	Session func(mods ...func(*auth.Options)) (*auth.Session, error)
	// Key is ATL_PROXY_KEY, the key for tools configured once; "" draws a
	// new one for the run.
	Key string
	// Grace bounds how long the requests in flight may take to finish
	// after an interrupt.
	Grace time.Duration

	Port int
	Site string
	JSON bool
}

// long is the help of atl proxy.
const long = `Serve the login's site on 127.0.0.1, so that any HTTP client can use it as
if it were the Jira (and Confluence) site, while atl keeps the token fresh.

A request must carry the proxy's key: as "Authorization: Bearer KEY", or as
HTTP Basic with any user name and the key as the password (what Jira clients
call an API token). The key is new for every run, unless ATL_PROXY_KEY (at
least 32 characters) fixes it for tools configured once. Only requests whose
Host names the proxy (127.0.0.1, localhost or [::1] with its port) and that
come from no web page (no Origin header) get in; the client's Authorization
and Cookie headers never go further.

/wiki/... goes to the site's Confluence; /ex/... (of the login's own sites),
/me and /oauth/token/accessible-resources go to Atlassian's API as they are;
everything else goes to the site's Jira. Answers stream back as sent, with
the addresses of the site in Location and Link headers and in JSON bodies
rewritten to the proxy's, so that the self and next links clients follow
come back through it.

With --json, once listening, atl proxy prints one line on stdout:
{"url":"http://127.0.0.1:PORT","key":"KEY","site":{"id":...,"url":...,"name":...}}
Ctrl-C (or SIGTERM) stops it: it lets the requests in flight finish (for at
most 10 s) and exits 0.`

// examples are atl proxy's examples in its help.
const examples = `  atl proxy
  curl -u atl http://127.0.0.1:27814/rest/api/3/myself   # the key at the password prompt
  ATL_PROXY_KEY=$(cat ~/.config/jira-proxy-key) atl proxy --port 8080 &
  atl proxy --port 0 --json | jq -r .url`

// NewCmd returns `atl proxy`. runF, when set, runs in place of the command
// (a test of its flags).
func NewCmd(f *cli.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Session: f.Session, Key: f.Getenv("ATL_PROXY_KEY"), Grace: grace}
	cmd := &cobra.Command{
		Use:     "proxy",
		Short:   "Serve the site on 127.0.0.1 for other tools, with the login's token",
		Long:    long,
		Example: examples,
		Args:    cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Port, "port", DefaultPort, "the port to listen on at 127.0.0.1 (0: a free one)")
	fl.StringVar(&opts.Site, "site", "", "the site to serve: name, URL or cloud id (env ATL_SITE; default the login's)")
	fl.BoolVar(&opts.JSON, "json", false, "once listening, print the address, key and site as one line of JSON on stdout")
	_ = cmd.RegisterFlagCompletionFunc("site", cli.CompleteSites(f))
	return cmd
}

// run serves the site until ctx ends (an interrupt), then lets the
// requests in flight finish.
func run(ctx context.Context, opts *Options) error {
	if opts.Port < 0 || opts.Port > 65535 {
		return cli.UsageErrorf("--port must be between 0 and 65535")
	}
	key, err := proxyKey(opts.Key)
	if err != nil {
		return err
	}
	s, err := opts.Session(cli.WithSite(opts.Site), upstream)
	if err != nil {
		return err
	}
	site, err := openSite(ctx, s)
	if err != nil {
		return err
	}
	l, err := loopback.Listen(opts.Port)
	if err != nil {
		return err
	}
	p := newProxy(site, s.Client(ctx).Transport, key, l.Addr().String(), opts.IO.ErrOut)
	p.profile = s.Profile()
	// From the announcement on, clients may come, and an interrupt must
	// let their requests finish: atl's context catches interrupts once it
	// is first asked, which must not wait for serve's select.
	_ = ctx.Done()
	if err := announce(opts, p.url, key, site.Site()); err != nil {
		l.Close()
		return err
	}
	return serve(ctx, p.server(), l, opts.Grace)
}

// openSite returns the API of the site the session serves, once its
// login has given a token: a login that cannot is said at once, not at
// the first request.
func openSite(ctx context.Context, s *auth.Session) (*siteapi.API, error) {
	if _, err := s.TokenSource(ctx).Token(); err != nil {
		return nil, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	return siteapi.New(info)
}

// upstream makes the session's requests go through a transport of the
// proxy's own (unless --debug set one): its connections to the API server
// are kept alive for the next requests, many at once, over HTTP/2 where
// the server offers it. Its Timeout bounds the login's own requests
// (refreshes) only: the proxy's go through the transport, bounded by
// their clients.
func upstream(o *auth.Options) {
	hc := &http.Client{Timeout: 30 * time.Second}
	if o.HTTPClient != nil {
		c := *o.HTTPClient
		hc = &c
	}
	if hc.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 32
		t.ForceAttemptHTTP2 = true
		hc.Transport = t
	}
	o.HTTPClient = hc
}
