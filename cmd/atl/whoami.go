package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/internal/termtext"
	"github.com/spf13/cobra"
)

type whoamiOptions struct {
	f    *factory
	g    *globalOptions
	JSON bool
}

func newWhoamiCmd(f *factory, g *globalOptions) *cobra.Command {
	opts := &whoamiOptions{f: f, g: g}
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who you are logged in as, on which site, with which scopes",
		Long: `Ask Atlassian who the stored login belongs to, refreshing the token as
needed, so a success proves the login works.`,
		Example: `  atl whoami
  atl whoami --json | jq -r .site.url`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWhoami(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

type whoamiJSON struct {
	AccountID string    `json:"account_id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Site      auth.Site `json:"site"`
	Scopes    []string  `json:"scopes"`
	ExpiresAt string    `json:"expires_at"`
	Profile   string    `json:"profile"`
	Storage   string    `json:"storage"`
	AuthURL   string    `json:"auth_url"`
	APIURL    string    `json:"api_url"`
}

func runWhoami(ctx context.Context, opts *whoamiOptions) error {
	f := opts.f
	s, err := f.session(opts.g.Profile)
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
		Site:      auth.Site{ID: info.Site.ID, URL: info.Site.URL, Name: info.Site.Name},
		Scopes:    info.Scopes,
		ExpiresAt: tok.Expiry.UTC().Format(time.RFC3339),
		Profile:   info.Profile,
		Storage:   info.Storage,
		AuthURL:   info.AuthURL,
		APIURL:    info.APIURL,
	}
	if opts.JSON {
		return printJSON(f.IO.Out, out)
	}
	// Every value is cleaned on its way to the terminal, whatever was
	// checked when it was stored.
	c := func(s string) string { return termtext.Clean(s, 500) }
	w := f.IO.Out
	fmt.Fprintf(w, "%s (account %s) on %s\n", c(describeUser(user)), c(out.AccountID), c(out.Site.URL))
	fmt.Fprintf(w, "  site:    %s (cloud id %s)\n", c(out.Site.Name), c(out.Site.ID))
	fmt.Fprintf(w, "  scopes:  %s\n", c(strings.Join(out.Scopes, " ")))
	fmt.Fprintf(w, "  token:   valid until %s\n", f.localTime(tok.Expiry).Format(time.RFC3339))
	fmt.Fprintf(w, "  stored:  %s\n", c(out.Storage))
	// Servers other than Atlassian's are worth knowing about.
	if out.AuthURL != auth.DefaultAuthURL {
		fmt.Fprintf(w, "  auth:    %s\n", c(out.AuthURL))
	}
	if out.APIURL != auth.DefaultAPIURL {
		fmt.Fprintf(w, "  api:     %s\n", c(out.APIURL))
	}
	return nil
}

// describeUser is a user as people write them: Name <email>.
func describeUser(u *auth.User) string {
	s := u.Name
	if u.Email != "" {
		s += " <" + u.Email + ">"
	}
	return s
}
