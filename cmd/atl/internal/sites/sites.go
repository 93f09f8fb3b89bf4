// Package sites is `atl sites`: the sites the login reaches (asking
// Atlassian), and `atl sites use NAME` to make one the login's current
// site.
package sites

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/internal/termtext"
	"github.com/spf13/cobra"
)

// Options are what `atl sites` runs with: its dependencies, then its
// flags.
type Options struct {
	IO      *cli.IOStreams
	Session func(mods ...func(*auth.Options)) (*auth.Session, error)

	JSON bool
}

// UseOptions are what `atl sites use` runs with: its dependencies, then
// its argument.
type UseOptions struct {
	IO      *cli.IOStreams
	Session func(mods ...func(*auth.Options)) (*auth.Session, error)

	// Name is the site to use: its name, URL or cloud id.
	Name string
}

// NewCmd returns `atl sites`, with `atl sites use` under it. runF, when
// set, runs in place of `atl sites` (a test of its flags).
func NewCmd(f *cli.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Session: f.Session}
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
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON: id, url, name, scopes, current")
	cmd.AddCommand(newUseCmd(f, nil))
	return cmd
}

// newUseCmd returns `atl sites use NAME|URL|ID`. runF, when set, runs in
// place of the command (a test of its arguments).
func newUseCmd(f *cli.Factory, runF func(context.Context, *UseOptions) error) *cobra.Command {
	opts := &UseOptions{IO: f.IO, Session: f.Session}
	return &cobra.Command{
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
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runUse(cmd.Context(), opts)
		},
	}
}

// siteJSON is a site as `atl sites --json` lists it.
type siteJSON struct {
	ID      string   `json:"id"`
	URL     string   `json:"url"`
	Name    string   `json:"name"`
	Scopes  []string `json:"scopes"`
	Current bool     `json:"current"`
}

// run lists the sites the login reaches, asking Atlassian, as a table or
// JSON, the current one marked.
func run(ctx context.Context, opts *Options) error {
	s, err := opts.Session()
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
		return cli.PrintJSON(opts.IO.Out, opts.IO.OutTerminal, out)
	}
	c := func(s string) string { return termtext.Clean(s, 200) }
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	for _, st := range out {
		mark := " "
		if st.Current {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\n", mark, c(st.Name), c(st.URL), c(st.ID), c(strings.Join(st.Scopes, " ")))
	}
	return tw.Flush()
}

// runUse makes the site opts.Name names the login's current one.
func runUse(ctx context.Context, opts *UseOptions) error {
	s, err := opts.Session()
	if err != nil {
		return err
	}
	site, err := s.UseSite(ctx, opts.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Profile %q now uses %s (%s, cloud id %s).\n", s.Profile(), termtext.Clean(site.Name, 100), termtext.Clean(site.URL, 200), site.ID)
	return nil
}
