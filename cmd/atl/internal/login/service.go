package login

import (
	"context"
	"fmt"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
)

// runServiceAccount logs a service account in with its client
// credentials (--service-account): no browser, no listener.
func runServiceAccount(ctx context.Context, opts *Options) error {
	if err := serviceAccountFlags(opts); err != nil {
		return err
	}
	s, err := opts.Session()
	if err != nil {
		return err
	}
	lo, err := flagSettings(opts)
	if err != nil {
		return err
	}
	in := newLoginInput(opts.IO.In) // the site prompt's
	defer in.close()
	lo.ServiceAccount = true
	lo.ChooseSite = func(sites []auth.Site) (auth.Site, error) { return promptSite(ctx, sites, opts.IO, in) }
	info, err := s.Login(ctx, lo)
	if err != nil {
		return err
	}
	who := info.ClientID
	if info.User.Name != "" {
		who = fmt.Sprintf("%s (client id %s)", cli.Clean(info.User.Name), info.ClientID)
	}
	site := cli.Clean(info.Site.URL)
	if site == "" {
		site = "the site " + cli.Clean(info.Site.ID)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Logged in to %s as service account %s. Its client secret and token are in the %s.\n", site, who, info.Storage)
	return nil
}

// serviceAccountFlags refuses the flags of a person's login with
// --service-account.
func serviceAccountFlags(opts *Options) error {
	switch {
	case opts.InsecureStorage:
		return cli.UsageErrorf("--service-account cannot go with --insecure-storage: a service account's client secret is never kept in a file; without a keychain, set ATL_GRANT=client_credentials (nothing is stored)")
	case opts.NoBrowser:
		return cli.UsageErrorf("--service-account cannot go with --no-browser: a service account signs in without a browser")
	case opts.CallbackURL != "":
		return cli.UsageErrorf("--service-account cannot go with --callback-url: a service account signs in without a callback")
	case len(opts.Scopes) > 0:
		return cli.UsageErrorf("--service-account cannot go with --scopes: a service account has the scopes of its credential")
	}
	return nil
}
