package login

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
)

// promptSite has the person pick one of several sites on a terminal,
// reading the answer from in; elsewhere it fails, listing them.
func promptSite(ctx context.Context, sites []auth.Site, io *cli.IOStreams, in *loginInput) (auth.Site, error) {
	if !io.Interactive {
		return auth.Site{}, cli.UsageErrorf("this login reaches %d sites (%s): choose one with --site NAME|URL|ID", len(sites), siteList(sites))
	}
	fmt.Fprintln(io.ErrOut, "This login reaches several sites:")
	for i, s := range sites {
		fmt.Fprintf(io.ErrOut, "  %d) %s  %s\n", i+1, cli.Clean(s.Name), cli.Clean(s.URL))
	}
	for {
		fmt.Fprintf(io.ErrOut, "Choose a site [1-%d]: ", len(sites))
		line, err := in.readLine(ctx)
		if n, convErr := strconv.Atoi(strings.TrimSpace(line)); convErr == nil && n >= 1 && n <= len(sites) {
			return sites[n-1], nil
		}
		if ctx.Err() != nil {
			fmt.Fprintln(io.ErrOut)
			return auth.Site{}, ctx.Err()
		}
		if err != nil {
			return auth.Site{}, cli.UsageErrorf("no site chosen: pass --site NAME|URL|ID")
		}
	}
}

// siteList names sites for a person: "name url, name url".
func siteList(sites []auth.Site) string {
	names := make([]string, len(sites))
	for i, s := range sites {
		names[i] = cli.Clean(s.Name) + " " + cli.Clean(s.URL)
	}
	return strings.Join(names, ", ")
}
