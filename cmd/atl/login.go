package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/spf13/cobra"
)

type loginOptions struct {
	f *factory
	g *globalOptions

	ClientID          string
	CallbackURL       string
	Scopes            []string
	Site              string
	Timeout           time.Duration
	InsecureStorage   bool
	ClientSecretStdin bool
	NoBrowser         bool
}

func newLoginCmd(f *factory, g *globalOptions) *cobra.Command {
	opts := &loginOptions{f: f, g: g}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in with your browser and store the login",
		Long: `Sign in to Atlassian Cloud in your browser.

atl listens on the callback URL (loopback only), opens the consent page,
exchanges the code it receives (PKCE S256), picks the site, and keeps the
refresh token in the OS keychain. The callback URL must be registered for the
app in the developer console exactly as atl uses it, port included; atl's
default is ` + auth.DefaultCallbackURL + `.` + helpEnv,
		Example: `  export ATL_CLIENT_ID=...   # from developer.atlassian.com/console/myapps
  atl login
  atl login --site example.atlassian.net
  atl login --no-browser        # over SSH: open the address anywhere, paste back where it lands
  printf %s "$SECRET" | atl login --client-secret-stdin`,
		Args: noArgs,
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
	s, err := f.session(opts.g.Profile)
	if err != nil {
		return err
	}
	scopes, err := parseScopes(opts.Scopes)
	if err != nil {
		return err
	}
	if opts.Timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	var secret string
	if opts.ClientSecretStdin {
		if secret, err = readClientSecret(f.IO); err != nil {
			return err
		}
	}
	status := newStatusLine(f.IO.ErrOut, f.IO.ErrTerminal && !opts.NoBrowser, f.Now)
	defer status.stop()
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
		OpenBrowser:     f.openBrowser,
		BrowserError: func(err error) {
			status.println(fmt.Sprintf("Could not open a browser (%s): open the address above by hand.", oneLine(err.Error())))
		},
		ChooseSite: func(sites []auth.Site) (auth.Site, error) {
			status.stop()
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
			fmt.Fprintf(f.IO.ErrOut, "%s. Paste the address the browser was sent to after you approved:\n", oneLine(err.Error()))
		}
	} else {
		lo.ShowURL = func(url string) {
			fmt.Fprintf(f.IO.ErrOut, "Opening your browser to sign in. If it does not open, visit:\n\n  %s\n\n", url)
			status.start(fmt.Sprintf("Waiting for the sign-in (up to %s)", opts.Timeout))
		}
	}
	info, err := s.Login(ctx, lo)
	status.stop()
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("login interrupted: %w", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "Logged in to %s as %s. Tokens are in the %s.\n", clean(info.Site.URL), clean(describeUser(&info.User)), info.Storage)
	if opts.InsecureStorage {
		fmt.Fprintln(f.IO.ErrOut, "warning: with --insecure-storage the tokens are in a plain file: anyone who can read it can act as you")
	}
	return nil
}

// callbackPrefix is how the address the browser lands on begins.
func callbackPrefix(f *factory, opts *loginOptions) string {
	return firstNonEmpty(opts.CallbackURL, f.Getenv("ATL_CALLBACK_URL"), "http://127.0.0.1:PORT/…")
}

// promptSite has the person pick one of several sites on a terminal,
// reading the answer from in; elsewhere it fails, listing them.
func promptSite(ctx context.Context, sites []auth.Site, io *ioStreams, in *loginInput) (auth.Site, error) {
	if !io.Interactive {
		return auth.Site{}, usageErrorf("this login reaches %d sites (%s): choose one with --site NAME|URL|ID", len(sites), siteList(sites))
	}
	fmt.Fprintln(io.ErrOut, "This login reaches several sites:")
	for i, s := range sites {
		fmt.Fprintf(io.ErrOut, "  %d) %s  %s\n", i+1, clean(s.Name), clean(s.URL))
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
			return auth.Site{}, usageErrorf("no site chosen: pass --site NAME|URL|ID")
		}
	}
}

// parseScopes reads --scopes: none given is nil (config.json's, else the
// defaults).
func parseScopes(flag []string) ([]string, error) {
	if len(flag) == 0 {
		return nil, nil
	}
	var out []string
	for _, f := range flag {
		for _, s := range strings.FieldsFunc(f, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		return nil, usageErrorf("--scopes is empty")
	}
	for _, s := range out {
		if strings.ContainsAny(s, "\"\\") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
			return nil, usageErrorf("scope %q is not a scope", s)
		}
	}
	return out, nil
}

// readClientSecret reads the client secret from stdin: on a terminal
// with a prompt and without echo, else the first line of what is piped.
func readClientSecret(io *ioStreams) (string, error) {
	if io.ReadPassword == nil {
		return readSecret(io.In)
	}
	b, err := io.ReadPassword("Client secret (not shown): ")
	fmt.Fprintln(io.ErrOut)
	if err != nil {
		return "", fmt.Errorf("reading the client secret: %w", err)
	}
	secret := strings.TrimSpace(string(b))
	if secret == "" {
		return "", usageErrorf("--client-secret-stdin: no secret was typed")
	}
	return secret, nil
}

// readSecret reads a client secret from r: its first line, trimmed.
func readSecret(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the client secret from stdin: %w", err)
	}
	secret := strings.TrimSpace(line)
	if secret == "" {
		return "", usageErrorf("--client-secret-stdin: nothing on standard input")
	}
	return secret, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// siteList names sites for a person: "name url, name url".
func siteList(sites []auth.Site) string {
	names := make([]string, len(sites))
	for i, s := range sites {
		names[i] = clean(s.Name) + " " + clean(s.URL)
	}
	return strings.Join(names, ", ")
}
