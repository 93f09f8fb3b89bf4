// Package token is `atl token`: a valid access token on stdout.
package token

import (
	"context"
	"fmt"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/spf13/cobra"
)

// Options are what `atl token` runs with: its dependencies, then its
// flags.
type Options struct {
	IO      *cli.IOStreams
	Session func(mods ...func(*auth.Options)) (*auth.Session, error)
	Now     func() time.Time
	// LocalTime is a time in the zone times are shown in.
	LocalTime func(time.Time) time.Time
	// Getenv tells whether a token or client credentials are given in
	// place of a login (ATL_TOKEN, ATL_GRANT), which never end.
	Getenv func(string) string

	JSON     bool
	Header   bool
	MinValid time.Duration
	Site     string
}

// NewCmd returns `atl token`. runF, when set, runs in place of the command
// (a test of its flags).
func NewCmd(f *cli.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Session: f.Session, Now: f.Now, LocalTime: f.LocalTime, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print a valid access token",
		Long: `Print a valid access token and a newline on stdout, and nothing else.

The cached token is printed while it has more than a minute left; otherwise atl
refreshes it (one refresh across all concurrent atl processes), stores the
rotated refresh token, and prints the new access token. Messages go to stderr:
on a terminal, one warning when the login ends within a week (Atlassian ends a
login 365 days after consent, or after 90 days unused). Exit code 4 means there
is no usable login: run atl login.`,
		Example: `  curl -H "Authorization: Bearer $(atl token)" https://api.atlassian.com/me
  curl -H "$(atl token --header)" https://api.atlassian.com/me
  atl token --min-valid 10m     # a token good for 10 more minutes at least
  atl token --json | jq -r .expires_at
  ATL_TOKEN=... atl api rest/api/3/myself   # CI: a token from elsewhere, no keychain
  ATL_GRANT=client_credentials atl token    # CI: a service account's ATL_CLIENT_ID and ATL_CLIENT_SECRET`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.JSON, "json", false, "print the token with its expiry, site and scopes as JSON")
	fl.BoolVar(&opts.Header, "header", false, "print an HTTP header: Authorization: Bearer TOKEN")
	fl.DurationVar(&opts.MinValid, "min-valid", 0, "refresh first unless the token stays valid this long (at most 59m; at least 1m is always kept)")
	fl.StringVar(&opts.Site, "site", "", "the site for --json's cloud_id and site_url: name, URL or cloud id (env ATL_SITE)")
	_ = cmd.RegisterFlagCompletionFunc("site", cli.CompleteSites(f))
	return cmd
}

type tokenJSON struct {
	AccessToken string   `json:"access_token"`
	ExpiresAt   string   `json:"expires_at"`
	TokenType   string   `json:"token_type"`
	CloudID     string   `json:"cloud_id"`
	SiteURL     string   `json:"site_url"`
	Scopes      []string `json:"scopes"`
}

// maxMinValid bounds --min-valid below an access token's life (1 hour),
// so that a refreshed token always satisfies it.
const maxMinValid = 59 * time.Minute

// run prints the token: alone, as a header, or as JSON with what it is
// for.
func run(ctx context.Context, opts *Options) error {
	if opts.MinValid < 0 || opts.MinValid > maxMinValid {
		return cli.UsageErrorf("--min-valid must be between 0 and %s (an access token lives an hour)", maxMinValid)
	}
	if opts.JSON && opts.Header {
		return cli.UsageErrorf("--json and --header cannot go together")
	}
	s, err := opts.Session(cli.WithSite(opts.Site), func(o *auth.Options) { o.MinValid = opts.MinValid })
	if err != nil {
		return err
	}
	tok, err := s.TokenSource(ctx).Token()
	if err != nil {
		return err
	}
	defer warnEnding(ctx, opts, s)
	out := opts.IO.Out
	switch {
	case opts.Header:
		_, err = fmt.Fprintln(out, "Authorization: Bearer "+tok.AccessToken)
		return err
	case !opts.JSON:
		_, err = fmt.Fprintln(out, tok.AccessToken)
		return err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return err
	}
	expires := ""
	if !tok.Expiry.IsZero() { // unknown for ATL_TOKEN
		expires = tok.Expiry.UTC().Format(time.RFC3339)
	}
	return cli.PrintJSON(out, opts.IO.OutTerminal, tokenJSON{
		AccessToken: tok.AccessToken,
		ExpiresAt:   expires,
		TokenType:   "Bearer",
		CloudID:     info.Site.ID,
		SiteURL:     info.Site.URL,
		Scopes:      info.Scopes,
	})
}

// warnWithin is how soon a login must end for atl token to warn.
const warnWithin = 7 * 24 * time.Hour

// warnEnding warns, on stderr when it is a terminal (never in a pipe), of
// a login that ends within a week. It reads nothing the token did not:
// Info describes the login as the token path read it.
func warnEnding(ctx context.Context, opts *Options, s *auth.Session) {
	if !opts.IO.ErrTerminal || opts.Getenv("ATL_TOKEN") != "" || opts.Getenv("ATL_GRANT") != "" {
		return
	}
	info, err := s.Info(ctx)
	if err != nil || !cli.EndsWithin(info, opts.Now(), warnWithin) {
		return
	}
	fmt.Fprintf(opts.IO.ErrOut, "atl: warning: %s: run `%s` to renew it\n", cli.EndingSoon(info, opts.Now(), opts.LocalTime), cli.LoginCommand(s.Profile()))
}
