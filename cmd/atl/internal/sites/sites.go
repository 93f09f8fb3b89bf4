package sites

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/internal/termtext"
	"github.com/spf13/cobra"
)

type sitesOptions struct {
	f    *cli.Factory
	JSON bool
}

func NewCmd(f *cli.Factory) *cobra.Command {
	opts := &sitesOptions{f: f}
	cmd := &cobra.Command{
		Use:   "sites",
		Short: "List the sites this login reaches, and pick the one to use",
		Long: `List the Atlassian sites this login reaches (asking Atlassian), marking the
current one with *: atl token --json, whoami and api use the current site
unless --site (or ATL_SITE) picks another for one call.`,
		Example: `  atl sites
  atl sites --json | jq -r '.[].url'
  atl sites use beta.atlassian.net`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSites(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON: id, url, name, scopes, current")
	use := &cobra.Command{
		Use:   "use NAME|URL|ID",
		Short: "Make a site the login's current one, without a new login",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cli.UsageErrorf("atl sites use takes one site: its name, URL or cloud id (see `atl sites`)")
			}
			return nil
		},
		ValidArgsFunction: cli.CompleteSites(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSitesUse(cmd.Context(), opts, args[0])
		},
	}
	cmd.AddCommand(use)
	return cmd
}

type siteJSON struct {
	ID      string   `json:"id"`
	URL     string   `json:"url"`
	Name    string   `json:"name"`
	Scopes  []string `json:"scopes"`
	Current bool     `json:"current"`
}

func runSites(ctx context.Context, opts *sitesOptions) error {
	s, err := opts.f.Session()
	if err != nil {
		return err
	}
	sites, err := s.Sites(ctx)
	if err != nil {
		return err
	}
	current, _ := s.Site() // none marked when none is chosen (ATL_TOKEN on several sites)
	out := make([]siteJSON, len(sites))
	for i, st := range sites {
		out[i] = siteJSON{ID: st.ID, URL: st.URL, Name: st.Name, Scopes: st.Scopes, Current: st.ID == current.ID}
		if out[i].Scopes == nil {
			out[i].Scopes = []string{}
		}
	}
	if opts.JSON {
		return cli.PrintJSON(opts.f.IO.Out, opts.f.IO.OutTerminal, out)
	}
	tw := tabwriter.NewWriter(opts.f.IO.Out, 0, 4, 2, ' ', 0)
	for _, st := range out {
		mark := " "
		if st.Current {
			mark = "*"
		}
		c := func(s string) string { return termtext.Clean(s, 200) }
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\n", mark, c(st.Name), c(st.URL), c(st.ID), c(strings.Join(st.Scopes, " ")))
	}
	return tw.Flush()
}

func runSitesUse(ctx context.Context, opts *sitesOptions, want string) error {
	s, err := opts.f.Session()
	if err != nil {
		return err
	}
	site, err := s.UseSite(ctx, want)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.f.IO.ErrOut, "Profile %q now uses %s (%s, cloud id %s).\n", s.Profile(), termtext.Clean(site.Name, 100), termtext.Clean(site.URL, 200), site.ID)
	return nil
}
