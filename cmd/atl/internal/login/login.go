// Package login is `atl login`: sign in with the browser (or, with
// --no-browser, a browser anywhere and a pasted address) and store the
// login.
package login

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/spf13/cobra"
)

// Options are what `atl login` runs with: its dependencies, then its
// flags.
type Options struct {
	IO      *cli.IOStreams
	Session func(mods ...func(*auth.Options)) (*auth.Session, error)
	// OpenBrowser opens an address in the person's browser.
	OpenBrowser func(url string) error
	Getenv      func(string) string
	Now         func() time.Time

	ClientID          string
	CallbackURL       string
	Scopes            []string
	Site              string
	Timeout           time.Duration
	InsecureStorage   bool
	ClientSecretStdin bool
	NoBrowser         bool
	ServiceAccount    bool
}

// NewCmd returns `atl login`. runF, when set, runs in place of the command
// (a test of its flags).
func NewCmd(f *cli.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Session: f.Session, OpenBrowser: f.OpenBrowser, Getenv: f.Getenv, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in with your browser (or as a service account) and store the login",
		Long: `Sign in to Atlassian Cloud in your browser.

atl listens on the callback URL (loopback only), opens the consent page,
exchanges the code it receives (PKCE S256), picks the site, and keeps the
refresh token in the OS keychain. The callback URL must be registered for the
app in the developer console exactly as atl uses it, port included; atl's
default is ` + auth.DefaultCallbackURL + `.

With --service-account, atl signs a service account in with its OAuth 2.0
client credentials (Atlassian Administration, Directory, Service accounts):
no browser, no listener, no refresh token. The client secret is kept in the
keychain and mints each access token; such a login has no end. Without a
keychain (CI), set ATL_GRANT=client_credentials instead: nothing is stored.
A person's login ends 365 days after consent, or after 90 days unused; atl
whoami says when.` + cli.HelpEnv,
		Example: `  export ATL_CLIENT_ID=...   # from developer.atlassian.com/console/myapps
  atl login
  atl login --site example.atlassian.net
  atl login --no-browser        # over SSH: open the address anywhere, paste back where it lands
  printf %s "$SECRET" | atl login --client-secret-stdin
  printf %s "$SECRET" | atl login --service-account --client-id ID --client-secret-stdin --site example.atlassian.net`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
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
	fl.BoolVar(&opts.ServiceAccount, "service-account", false, "sign a service account in with its OAuth 2.0 client credentials (no browser); --site names its site when its token lists none")
	return cmd
}

// run signs the person in and stores the login, telling them on stderr
// what to do and, at the end, where the tokens are.
func run(ctx context.Context, opts *Options) error {
	if opts.ServiceAccount {
		return runServiceAccount(ctx, opts)
	}
	s, err := opts.Session()
	if err != nil {
		return err
	}
	lo, err := flagSettings(opts)
	if err != nil {
		return err
	}
	status := cli.NewStatusLine(opts.IO.ErrOut, opts.IO.ErrTerminal && !opts.NoBrowser, opts.Now)
	defer status.Stop()
	in := newLoginInput(opts.IO.In) // the pastes', then the site prompt's
	defer in.close()
	lo.OpenBrowser = opts.OpenBrowser
	lo.BrowserError = func(err error) {
		status.Println(fmt.Sprintf("Could not open a browser (%s): open the address above by hand.", cli.OneLine(err.Error())))
	}
	lo.ChooseSite = func(sites []auth.Site) (auth.Site, error) {
		status.Stop()
		in.endPastes()
		return promptSite(ctx, sites, opts.IO, in)
	}
	if opts.NoBrowser {
		pasteBack(&lo, opts, in)
	} else {
		openBrowser(&lo, opts, status)
	}
	info, err := s.Login(ctx, lo)
	status.Stop()
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("login interrupted: %w", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Logged in to %s as %s. Tokens are in the %s.\n", cli.Clean(info.Site.URL), cli.Clean(cli.DescribeUser(&info.User)), info.Storage)
	if opts.InsecureStorage {
		fmt.Fprintln(opts.IO.ErrOut, "warning: with --insecure-storage the tokens are in a plain file: anyone who can read it can act as you")
	}
	return nil
}

// flagSettings are the login's settings from the flags, checked; the
// client secret is read from stdin with --client-secret-stdin.
func flagSettings(opts *Options) (auth.LoginOptions, error) {
	scopes, err := cli.ParseScopes(opts.Scopes)
	if err != nil {
		return auth.LoginOptions{}, err
	}
	if opts.Timeout <= 0 {
		return auth.LoginOptions{}, cli.UsageErrorf("--timeout must be positive")
	}
	var secret string
	if opts.ClientSecretStdin {
		if secret, err = cli.ReadClientSecret(opts.IO); err != nil {
			return auth.LoginOptions{}, err
		}
	}
	return auth.LoginOptions{
		ClientID:        opts.ClientID,
		ClientSecret:    secret,
		CallbackURL:     opts.CallbackURL,
		Scopes:          scopes,
		Site:            opts.Site,
		InsecureStorage: opts.InsecureStorage,
		Timeout:         opts.Timeout,
	}, nil
}

// openBrowser has lo show the address it opens in the browser, and wait
// with a status line.
func openBrowser(lo *auth.LoginOptions, opts *Options, status *cli.StatusLine) {
	lo.ShowURL = func(url string) {
		fmt.Fprintf(opts.IO.ErrOut, "Opening your browser to sign in. If it does not open, visit:\n\n  %s\n\n", url)
		status.Start(fmt.Sprintf("Waiting for the sign-in (up to %s)", opts.Timeout))
	}
}

// pasteBack has lo, with no browser, show the address to open anywhere
// and take the address the browser lands on from what the person pastes
// on in.
func pasteBack(lo *auth.LoginOptions, opts *Options, in *loginInput) {
	w := opts.IO.ErrOut
	lo.NoBrowser, lo.Pasted = true, in.pastes(opts.IO.LongLines)
	lo.ShowURL = func(url string) {
		fmt.Fprintf(w, "Open this address in a browser on any machine and approve the access:\n\n  %s\n\n"+
			"The browser is then sent to an address on this machine (%s…), which fails to load there: that is expected.\n"+
			"Copy that address from the browser's address bar and paste it here, then press Enter (waiting up to %s):\n", url, callbackPrefix(opts), opts.Timeout)
	}
	lo.PasteRefused = func(err error) {
		fmt.Fprintf(w, "%s. Paste the address the browser was sent to after you approved:\n", cli.OneLine(err.Error()))
	}
}

// callbackPrefix is how the address the browser lands on begins.
func callbackPrefix(opts *Options) string {
	return cmp.Or(opts.CallbackURL, opts.Getenv("ATL_CALLBACK_URL"), "http://127.0.0.1:PORT/…")
}
