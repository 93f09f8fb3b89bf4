package whoami

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/internal/termtext"
	"github.com/spf13/cobra"
)

type whoamiOptions struct {
	f    *cli.Factory
	JSON bool
	All  bool
	Site string
}

func NewCmd(f *cli.Factory) *cobra.Command {
	opts := &whoamiOptions{f: f}
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
			if opts.All {
				return runWhoamiAll(cmd.Context(), opts)
			}
			return runWhoami(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.JSON, "json", false, "print as JSON")
	fl.BoolVar(&opts.All, "all", false, "describe every stored login, from what is stored")
	fl.StringVar(&opts.Site, "site", "", "ask on this site instead of the current one: name, URL or cloud id (env ATL_SITE)")
	_ = cmd.RegisterFlagCompletionFunc("site", cli.CompleteSites(f))
	return cmd
}

// siteRefJSON names a site in JSON output.
type siteRefJSON struct {
	ID   string `json:"id"`
	URL  string `json:"url"`
	Name string `json:"name"`
}

// storageOf says where the login's tokens are kept, for a person.
func storageOf(info *auth.Info) string {
	if info.GivenToken {
		return "the environment (ATL_TOKEN)"
	}
	return info.Storage
}

type whoamiJSON struct {
	AccountID string      `json:"account_id"`
	Name      string      `json:"name"`
	Email     string      `json:"email"`
	Site      siteRefJSON `json:"site"`
	Scopes    []string    `json:"scopes"`
	ExpiresAt string      `json:"expires_at"`
	Profile   string      `json:"profile"`
	Storage   string      `json:"storage"`
	AuthURL   string      `json:"auth_url"`
	APIURL    string      `json:"api_url"`
	TokenFrom string      `json:"token_from,omitempty"`
}

func runWhoami(ctx context.Context, opts *whoamiOptions) error {
	f := opts.f
	s, err := f.Session(cli.WithSite(opts.Site))
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
	}
	validity := "from the environment (ATL_TOKEN); its expiry is unknown"
	if !tok.Expiry.IsZero() {
		out.ExpiresAt = tok.Expiry.UTC().Format(time.RFC3339)
		validity = "valid until " + f.LocalTime(tok.Expiry).Format(time.RFC3339)
		if info.TokenFrom != "" {
			validity += " (from " + info.TokenFrom + ")"
		}
	}
	if opts.JSON {
		return cli.PrintJSON(f.IO.Out, f.IO.OutTerminal, out)
	}
	// Every value is cleaned on its way to the terminal, whatever was
	// checked when it was stored.
	c := func(s string) string { return termtext.Clean(s, 500) }
	w := f.IO.Out
	fmt.Fprintf(w, "%s (account %s) on %s\n", c(cli.DescribeUser(user)), c(out.AccountID), c(out.Site.URL))
	fmt.Fprintf(w, "  site:    %s (cloud id %s)\n", c(out.Site.Name), c(out.Site.ID))
	fmt.Fprintf(w, "  scopes:  %s\n", c(strings.Join(out.Scopes, " ")))
	fmt.Fprintf(w, "  token:   %s\n", validity)
	fmt.Fprintf(w, "  stored:  %s\n", c(out.Storage))
	// Servers other than Atlassian's are worth knowing about.
	if out.AuthURL != "" && out.AuthURL != auth.DefaultAuthURL {
		fmt.Fprintf(w, "  auth:    %s\n", c(out.AuthURL))
	}
	if out.APIURL != auth.DefaultAPIURL {
		fmt.Fprintf(w, "  api:     %s\n", c(out.APIURL))
	}
	return nil
}

type profileJSON struct {
	Profile   string      `json:"profile"`
	Current   bool        `json:"current"`
	AccountID string      `json:"account_id,omitempty"`
	Name      string      `json:"name,omitempty"`
	Email     string      `json:"email,omitempty"`
	Site      siteRefJSON `json:"site"`
	ExpiresAt string      `json:"expires_at,omitempty"`
	Valid     bool        `json:"token_valid"`
	Dead      string      `json:"dead,omitempty"`
	Storage   string      `json:"storage,omitempty"`
	Error     string      `json:"error,omitempty"`
}

// runWhoamiAll describes every stored login from its metadata alone.
func runWhoamiAll(ctx context.Context, opts *whoamiOptions) error {
	f := opts.f
	names, err := f.Profiles(f.Options(""))
	if err != nil {
		return err
	}
	var all []profileJSON
	for _, name := range names {
		p := profileJSON{Profile: name, Current: name == opts.f.Profile}
		s, err := f.SessionFor(name, func(o *auth.Options) { o.Token = "" })
		var info *auth.Info
		if err == nil {
			info, err = s.Info(ctx)
		}
		if err != nil {
			p.Error = cli.OneLine(err.Error())
			all = append(all, p)
			continue
		}
		p.AccountID, p.Name, p.Email = info.User.AccountID, info.User.Name, info.User.Email
		p.Site = siteRefJSON{ID: info.Site.ID, URL: info.Site.URL, Name: info.Site.Name}
		p.Storage, p.Dead = info.Storage, info.Dead
		if !info.Expiry.IsZero() {
			p.ExpiresAt = info.Expiry.UTC().Format(time.RFC3339)
			p.Valid = info.Dead == "" && info.Expiry.After(f.Now())
		}
		all = append(all, p)
	}
	if opts.JSON {
		if all == nil {
			all = []profileJSON{}
		}
		return cli.PrintJSON(f.IO.Out, f.IO.OutTerminal, all)
	}
	if len(all) == 0 {
		fmt.Fprintln(f.IO.ErrOut, "No stored logins: run `atl login`.")
		return nil
	}
	c := func(s string) string { return termtext.Clean(s, 200) }
	tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
	for _, p := range all {
		mark := " "
		if p.Current {
			mark = "*"
		}
		state := ""
		switch {
		case p.Error != "":
			state = p.Error
		case p.Dead != "":
			state = "stopped working: run `" + cli.LoginCommand(p.Profile) + "`"
		case p.Valid:
			state = "token valid until " + f.LocalTime(mustParse(p.ExpiresAt)).Format(time.RFC3339)
		default:
			state = "token expired (refreshed when next used)"
		}
		who := cli.DescribeUser(&auth.User{Name: p.Name, Email: p.Email})
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t%s\n", mark, c(p.Profile), c(who), c(p.Site.URL), state, c(p.Storage))
	}
	return tw.Flush()
}

func mustParse(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}
