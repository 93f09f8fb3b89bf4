// Package whoami is `atl whoami`: who the stored login belongs to, on
// which site, with which scopes (asking Atlassian); with --all, every
// stored login as stored.
package whoami

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/internal/termtext"
	"github.com/spf13/cobra"
)

// Options are what `atl whoami` runs with: its dependencies, then its
// flags.
type Options struct {
	IO      *cli.IOStreams
	Session func(mods ...func(*auth.Options)) (*auth.Session, error)
	// SessionFor opens the login of another profile.
	SessionFor func(profile string, mods ...func(*auth.Options)) (*auth.Session, error)
	// Profiles lists the profiles with a stored login.
	Profiles func() ([]string, error)
	Now      func() time.Time
	// LocalTime is a time in the zone times are shown in.
	LocalTime func(time.Time) time.Time
	// Profile is the profile the command works with (--profile), which
	// --all marks; RunE copies it in once the flags are parsed.
	Profile string

	JSON bool
	All  bool
	Site string
}

// NewCmd returns `atl whoami`. runF, when set, runs in place of the
// command (a test of its flags).
func NewCmd(f *cli.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{
		IO:         f.IO,
		Session:    f.Session,
		SessionFor: f.SessionFor,
		Profiles:   func() ([]string, error) { return f.Profiles(f.Options("")) },
		Now:        f.Now,
		LocalTime:  f.LocalTime,
	}
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who you are logged in as, on which site, with which scopes",
		Long: `Ask Atlassian who the stored login belongs to, refreshing the token as
needed, so a success proves the login works.

With --all, describe every stored login from what is stored, asking no one:
account, site, whether the token is still valid, where it is kept.`,
		Example: `  atl whoami
  atl whoami --json | jq -r .site.url
  atl whoami --all`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Profile = f.Profile
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.JSON, "json", false, "print as JSON")
	fl.BoolVar(&opts.All, "all", false, "describe every stored login, from what is stored")
	fl.StringVar(&opts.Site, "site", "", "ask on this site instead of the current one: name, URL or cloud id (env ATL_SITE)")
	_ = cmd.RegisterFlagCompletionFunc("site", cli.CompleteSites(f))
	return cmd
}

// run describes the login, asking Atlassian, or with --all every stored
// login, from what is stored.
func run(ctx context.Context, opts *Options) error {
	if opts.All {
		return runAll(ctx, opts)
	}
	return runOne(ctx, opts)
}

// siteRefJSON names a site in JSON output.
type siteRefJSON struct {
	ID   string `json:"id"`
	URL  string `json:"url"`
	Name string `json:"name"`
}

// storageOf says where the login's tokens are kept, for a person.
func storageOf(info *auth.Info) string {
	switch {
	case info.GivenToken:
		return "the environment (ATL_TOKEN)"
	case info.Storage == "" && info.ServiceAccount:
		return "the environment (ATL_GRANT=client_credentials): nothing is stored"
	}
	return info.Storage
}

// whoamiJSON is the login as `atl whoami --json` prints it.
type whoamiJSON struct {
	AccountID string      `json:"account_id"`
	Name      string      `json:"name"`
	Email     string      `json:"email"`
	Site      siteRefJSON `json:"site"`
	Scopes    []string    `json:"scopes"`
	ExpiresAt string      `json:"expires_at"`
	// ServiceAccount, ConsentedAt and LoginExpiresAt describe the login
	// (see auth.Info); a time not known is "".
	ServiceAccount bool   `json:"service_account"`
	ConsentedAt    string `json:"consented_at"`
	LoginExpiresAt string `json:"login_expires_at"`
	Profile        string `json:"profile"`
	Storage        string `json:"storage"`
	AuthURL        string `json:"auth_url"`
	APIURL         string `json:"api_url"`
	TokenFrom      string `json:"token_from,omitempty"`
}

// runOne asks Atlassian who the login belongs to and describes it, as
// text or JSON.
func runOne(ctx context.Context, opts *Options) error {
	s, err := opts.Session(cli.WithSite(opts.Site))
	if err != nil {
		return err
	}
	// A token first, so that a login that no longer works says so
	// plainly rather than as a failed API call.
	if _, err := s.TokenSource(ctx).Token(); err != nil {
		return err
	}
	user, err := s.WhoAmI(ctx)
	if err != nil {
		return fmt.Errorf("asking Atlassian who you are: %w", err)
	}
	tok, err := s.TokenSource(ctx).Token() // the one WhoAmI used, from memory
	if err != nil {
		return err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return err
	}
	out := whoamiJSON{
		AccountID: user.AccountID,
		Name:      user.Name,
		Email:     user.Email,
		Site:      siteRefJSON{ID: info.Site.ID, URL: info.Site.URL, Name: info.Site.Name},
		Scopes:    info.Scopes,
		Profile:   info.Profile,
		Storage:   storageOf(info),
		AuthURL:   info.AuthURL,
		APIURL:    info.APIURL,
		TokenFrom: info.TokenFrom,

		ServiceAccount: info.ServiceAccount,
		ConsentedAt:    rfc3339(info.ConsentedAt),
		LoginExpiresAt: rfc3339(info.LoginExpiresAt),
	}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	validity := "from the environment (ATL_TOKEN); its expiry is unknown"
	if !tok.Expiry.IsZero() {
		out.ExpiresAt = tok.Expiry.UTC().Format(time.RFC3339)
		validity = "valid until " + opts.LocalTime(tok.Expiry).Format(time.RFC3339)
		if info.TokenFrom != "" {
			validity += " (from " + info.TokenFrom + ")"
		}
	}
	if opts.JSON {
		return cli.PrintJSON(opts.IO.Out, opts.IO.OutTerminal, out)
	}
	lifetime := ""
	if !info.GivenToken {
		lifetime = cli.LoginEnd(info, opts.LocalTime)
	}
	printText(opts.IO.Out, user, &out, validity, lifetime)
	return nil
}

// rfc3339 is t in UTC as RFC 3339, or "" for the zero time.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// printText describes the login for a person: every value is cleaned on
// its way to the terminal, whatever was checked when it was stored.
func printText(w io.Writer, user *auth.User, out *whoamiJSON, validity, lifetime string) {
	c := func(s string) string { return termtext.Clean(s, 500) }
	account := "account"
	if out.ServiceAccount {
		account = "service account"
	}
	site := out.Site.URL
	if site == "" { // a service account's site, known by its cloud id
		site = "the site " + out.Site.ID
	}
	fmt.Fprintf(w, "%s (%s %s) on %s\n", c(cli.DescribeUser(user)), account, c(out.AccountID), c(site))
	if out.Site.Name != "" {
		fmt.Fprintf(w, "  site:    %s (cloud id %s)\n", c(out.Site.Name), c(out.Site.ID))
	} else {
		fmt.Fprintf(w, "  site:    cloud id %s\n", c(out.Site.ID))
	}
	scopes := strings.Join(out.Scopes, " ")
	if scopes == "" {
		scopes = "(none listed)"
	}
	fmt.Fprintf(w, "  scopes:  %s\n", c(scopes))
	fmt.Fprintf(w, "  token:   %s\n", validity)
	if lifetime != "" {
		fmt.Fprintf(w, "  login:   %s\n", lifetime)
	}
	fmt.Fprintf(w, "  stored:  %s\n", c(out.Storage))
	// Servers other than Atlassian's are worth knowing about.
	if out.AuthURL != "" && out.AuthURL != auth.DefaultAuthURL {
		fmt.Fprintf(w, "  auth:    %s\n", c(out.AuthURL))
	}
	if out.APIURL != auth.DefaultAPIURL {
		fmt.Fprintf(w, "  api:     %s\n", c(out.APIURL))
	}
}
