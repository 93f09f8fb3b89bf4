package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/atl-cli/atl/auth"
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
	AccountID string   `json:"account_id"`
	Name      string   `json:"name"`
	Email     string   `json:"email"`
	Site      siteJSON `json:"site"`
	Scopes    []string `json:"scopes"`
	ExpiresAt string   `json:"expires_at"`
	Profile   string   `json:"profile"`
	Storage   string   `json:"storage"`
}

type siteJSON struct {
	ID   string `json:"id"`
	URL  string `json:"url"`
	Name string `json:"name"`
}

func runWhoami(ctx context.Context, opts *whoamiOptions) error {
	f := opts.f
	s, err := f.session(opts.g.Profile)
	if err != nil {
		return err
	}
	c, err := s.Current(ctx)
	if err != nil {
		return err
	}
	p := c.Profile
	api := auth.Client{APIURL: p.APIURL}.API(f.HTTPClient)
	id, err := identify(ctx, api, c.Token.AccessToken, p.Site.ID, p.Scopes)
	var apiErr *auth.APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized {
		// The token was refused before its expiry (revoked, or clocks
		// disagree): one forced refresh, then one more try.
		if c, err = s.Refresh(ctx, c.Token.AccessToken); err != nil {
			return err
		}
		id, err = identify(ctx, api, c.Token.AccessToken, p.Site.ID, p.Scopes)
	}
	if err != nil {
		return fmt.Errorf("asking Atlassian who you are: %w", err)
	}
	out := whoamiJSON{
		AccountID: id.AccountID,
		Name:      id.Name,
		Email:     firstNonEmpty(id.Email, p.Email),
		Site:      siteJSON{ID: p.Site.ID, URL: p.Site.URL, Name: p.Site.Name},
		Scopes:    p.Scopes,
		ExpiresAt: c.Token.Expiry.UTC().Format(time.RFC3339),
		Profile:   opts.g.Profile,
		Storage:   c.Where,
	}
	if opts.JSON {
		return printJSON(f.IO.Out, out)
	}
	w := f.IO.Out
	fmt.Fprintf(w, "%s (account %s) on %s\n", describeUser(identity{Name: out.Name, Email: out.Email}), out.AccountID, out.Site.URL)
	fmt.Fprintf(w, "  site:    %s (cloud id %s)\n", out.Site.Name, out.Site.ID)
	fmt.Fprintf(w, "  scopes:  %s\n", strings.Join(out.Scopes, " "))
	fmt.Fprintf(w, "  token:   valid until %s\n", c.Token.Expiry.Local().Format(time.RFC3339))
	fmt.Fprintf(w, "  stored:  %s\n", out.Storage)
	return nil
}
