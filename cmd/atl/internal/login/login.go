package login

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/spf13/cobra"
)

type loginOptions struct {
	f *cli.Factory

	ClientID          string
	CallbackURL       string
	Scopes            []string
	Site              string
	Timeout           time.Duration
	InsecureStorage   bool
	ClientSecretStdin bool
	NoBrowser         bool
}

func NewCmd(f *cli.Factory) *cobra.Command {
	opts := &loginOptions{f: f}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in with your browser and store the login",
		Long: `Sign in to Atlassian Cloud in your browser.

atl listens on the callback URL (loopback only), opens the consent page,
exchanges the code it receives (PKCE S256), picks the site, and keeps the
refresh token in the OS keychain. The callback URL must be registered for the
app in the developer console exactly as atl uses it, port included; atl's
default is ` + auth.DefaultCallbackURL + `.` + cli.HelpEnv,
		Example: `  export ATL_CLIENT_ID=...   # from developer.atlassian.com/console/myapps
  atl login
  atl login --site example.atlassian.net
  atl login --no-browser        # over SSH: open the address anywhere, paste back where it lands
  printf %s "$SECRET" | atl login --client-secret-stdin`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogin(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.ClientID, "client-id", "", "OAuth app client id (env ATL_CLIENT_ID)")
	fl.StringVar(&opts.CallbackURL, "callback-url", "", "registered callback URL (env ATL_CALLBACK_URL, default "+auth.DefaultCallbackURL+")")
	fl.StringSliceVar(&opts.Scopes, "scopes", nil, "scopes to ask for, replacing the defaults ("+strings.Join(auth.DefaultScopes(), " ")+"); space or comma separated")
	fl.StringVar(&opts.Site, "site", "", "site to use when the grant reaches several: name, URL or cloud id")
	fl.DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "how long to wait for the browser sign-in")
	fl.BoolVar(&opts.InsecureStorage, "insecure-storage", false, "keep tokens in a private file in the config dir instead of the keychain")
	fl.BoolVar(&opts.ClientSecretStdin, "client-secret-stdin", false, "read the client secret from standard input (it is then kept in the keychain)")
	fl.BoolVar(&opts.NoBrowser, "no-browser", false, "open no browser: print the address to open on any machine, then paste back the address the browser lands on")
	return cmd
}

func runLogin(ctx context.Context, opts *loginOptions) error {
	f := opts.f
	s, err := f.Session()
	if err != nil {
		return err
	}
	scopes, err := cli.ParseScopes(opts.Scopes)
	if err != nil {
		return err
	}
	if opts.Timeout <= 0 {
		return cli.UsageErrorf("--timeout must be positive")
	}
	var secret string
	if opts.ClientSecretStdin {
		if secret, err = cli.ReadClientSecret(f.IO); err != nil {
			return err
		}
	}
	status := cli.NewStatusLine(f.IO.ErrOut, f.IO.ErrTerminal && !opts.NoBrowser, f.Now)
	defer status.Stop()
	in := newLoginInput(f.IO.In) // the pastes', then the site prompt's
	defer in.close()
	lo := auth.LoginOptions{
		ClientID:        opts.ClientID,
		ClientSecret:    secret,
		CallbackURL:     opts.CallbackURL,
		Scopes:          scopes,
		Site:            opts.Site,
		InsecureStorage: opts.InsecureStorage,
		Timeout:         opts.Timeout,
		OpenBrowser:     f.OpenBrowser,
		BrowserError: func(err error) {
			status.Println(fmt.Sprintf("Could not open a browser (%s): open the address above by hand.", cli.OneLine(err.Error())))
		},
		ChooseSite: func(sites []auth.Site) (auth.Site, error) {
			status.Stop()
			in.endPastes()
			return promptSite(ctx, sites, f.IO, in)
		},
	}
	if opts.NoBrowser {
		lo.NoBrowser, lo.Pasted = true, in.pastes(f.IO.LongLines)
		lo.ShowURL = func(url string) {
			fmt.Fprintf(f.IO.ErrOut, "Open this address in a browser on any machine and approve the access:\n\n  %s\n\n"+
				"The browser is then sent to an address on this machine (%s…), which fails to load there: that is expected.\n"+
				"Copy that address from the browser's address bar and paste it here, then press Enter (waiting up to %s):\n", url, callbackPrefix(f, opts), opts.Timeout)
		}
		lo.PasteRefused = func(err error) {
			fmt.Fprintf(f.IO.ErrOut, "%s. Paste the address the browser was sent to after you approved:\n", cli.OneLine(err.Error()))
		}
	} else {
		lo.ShowURL = func(url string) {
			fmt.Fprintf(f.IO.ErrOut, "Opening your browser to sign in. If it does not open, visit:\n\n  %s\n\n", url)
			status.Start(fmt.Sprintf("Waiting for the sign-in (up to %s)", opts.Timeout))
		}
	}
	info, err := s.Login(ctx, lo)
	status.Stop()
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("login interrupted: %w", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "Logged in to %s as %s. Tokens are in the %s.\n", cli.Clean(info.Site.URL), cli.Clean(cli.DescribeUser(&info.User)), info.Storage)
	if opts.InsecureStorage {
		fmt.Fprintln(f.IO.ErrOut, "warning: with --insecure-storage the tokens are in a plain file: anyone who can read it can act as you")
	}
	return nil
}

// callbackPrefix is how the address the browser lands on begins.
func callbackPrefix(f *cli.Factory, opts *loginOptions) string {
	return cmp.Or(opts.CallbackURL, f.Getenv("ATL_CALLBACK_URL"), "http://127.0.0.1:PORT/…")
}

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
