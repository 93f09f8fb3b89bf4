package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

type tokenOptions struct {
	f    *factory
	g    *globalOptions
	JSON bool
}

func newTokenCmd(f *factory, g *globalOptions) *cobra.Command {
	opts := &tokenOptions{f: f, g: g}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print a valid access token",
		Long: `Print a valid access token and a newline on stdout, and nothing else.

The cached token is printed while it has more than a minute left; otherwise atl
refreshes it (one refresh across all concurrent atl processes), stores the
rotated refresh token, and prints the new access token. Messages go to stderr.
Exit code 4 means there is no usable login: run atl login.`,
		Example: `  curl -H "Authorization: Bearer $(atl token)" https://api.atlassian.com/me
  atl token --json | jq -r .expires_at`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runToken(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the token with its expiry, site and scopes as JSON")
	return cmd
}

// printJSON writes v as indented JSON, the form of every --json output.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

type tokenJSON struct {
	AccessToken string   `json:"access_token"`
	ExpiresAt   string   `json:"expires_at"`
	TokenType   string   `json:"token_type"`
	CloudID     string   `json:"cloud_id"`
	SiteURL     string   `json:"site_url"`
	Scopes      []string `json:"scopes"`
}

func runToken(ctx context.Context, opts *tokenOptions) error {
	s, err := opts.f.session(opts.g.Profile)
	if err != nil {
		return err
	}
	tok, err := s.TokenSource(ctx).Token()
	if err != nil {
		return err
	}
	out := opts.f.IO.Out
	if !opts.JSON {
		_, err = fmt.Fprintln(out, tok.AccessToken)
		return err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return err
	}
	return printJSON(out, tokenJSON{
		AccessToken: tok.AccessToken,
		ExpiresAt:   tok.Expiry.UTC().Format(time.RFC3339),
		TokenType:   "Bearer",
		CloudID:     info.Site.ID,
		SiteURL:     info.Site.URL,
		Scopes:      info.Scopes,
	})
}
