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
	"github.com/atl-cli/atl/store"
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
	return cmd
}

func runLogin(ctx context.Context, opts *loginOptions) error {
	f := opts.f
	s, err := f.session(opts.g.Profile)
	if err != nil {
		return err
	}
	settings, err := s.Dir.Settings()
	if err != nil {
		return err
	}
	client := auth.Client{
		ID:      firstNonEmpty(opts.ClientID, f.Getenv("ATL_CLIENT_ID"), settings.ClientID),
		Secret:  f.Getenv("ATL_CLIENT_SECRET"),
		AuthURL: firstNonEmpty(f.Getenv("ATL_AUTH_URL"), auth.DefaultAuthURL),
		APIURL:  firstNonEmpty(f.Getenv("ATL_API_URL"), auth.DefaultAPIURL),
	}
	if client.ID == "" {
		return usageErrorf("no client id: set ATL_CLIENT_ID (or --client-id) to the client id of your app in the Atlassian developer console")
	}
	if opts.ClientSecretStdin {
		if client.Secret, err = readSecret(f.IO.In); err != nil {
			return err
		}
	}
	callback := firstNonEmpty(opts.CallbackURL, f.Getenv("ATL_CALLBACK_URL"), settings.CallbackURL, auth.DefaultCallbackURL)
	if _, err := auth.ParseCallback(callback); err != nil {
		return &usageError{err: err}
	}
	scopes, err := parseScopes(opts.Scopes)
	if err != nil {
		return err
	}
	if opts.Timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	storage := store.StorageKeychain
	if opts.InsecureStorage {
		storage = store.StorageFile
		fmt.Fprintln(f.IO.ErrOut, "warning: --insecure-storage keeps your tokens in a plain file in "+s.Dir.Path()+"; anyone who can read it can act as you")
	} else if err := s.CheckKeychain(); err != nil {
		// Fail before the user spends a consent on a login atl cannot keep.
		return err
	}

	lctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	res, err := auth.Login(lctx, auth.LoginOptions{
		Client:      client,
		CallbackURL: callback,
		Scopes:      scopes,
		ShowURL: func(url string) {
			fmt.Fprintf(f.IO.ErrOut, "Opening your browser to sign in. If it does not open, visit:\n\n  %s\n\nWaiting for the sign-in (up to %s)…\n", url, opts.Timeout)
		},
		OpenBrowser: f.openBrowser,
		BrowserError: func(err error) {
			fmt.Fprintf(f.IO.ErrOut, "Could not open a browser (%s): open the URL above by hand.\n", oneLine(err.Error()))
		},
		HTTPClient: f.HTTPClient,
		Now:        f.Now,
	})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return fmt.Errorf("no sign-in within %s; run `atl login` again (or raise --timeout)", opts.Timeout)
		}
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("login interrupted: %w", err)
		}
		return err
	}

	api := client.API(f.HTTPClient)
	access := res.Token.AccessToken
	sites, err := api.AccessibleResources(ctx, access)
	if err != nil {
		return fmt.Errorf("listing the sites this login reaches: %w", err)
	}
	site, err := chooseSite(sites, opts.Site, f.IO)
	if err != nil {
		return err
	}
	id, err := identify(ctx, api, access, site.ID, res.Scopes)
	if err != nil {
		return err
	}
	p := &store.Profile{
		ClientID:  client.ID,
		AuthURL:   client.AuthURL,
		APIURL:    client.APIURL,
		AccountID: id.AccountID,
		Name:      id.Name,
		Email:     id.Email,
		Site:      store.Site{ID: site.ID, URL: site.URL, Name: site.Name},
		Scopes:    res.Scopes,
		ExpiresAt: res.Expiry.UTC(),
		Storage:   storage,
		LoginAt:   f.Now().UTC(),
	}
	g := store.Grant{
		RefreshToken: res.Token.RefreshToken,
		AccessToken:  access,
		TokenType:    "Bearer",
		Expiry:       res.Expiry.UTC(),
		ClientSecret: client.Secret,
	}
	where, err := s.Save(ctx, p, g)
	if err != nil {
		return fmt.Errorf("saving the login: %w", err)
	}
	fmt.Fprintf(f.IO.ErrOut, "Logged in to %s as %s. Tokens are in the %s.\n", site.URL, describeUser(id), where)
	return nil
}

// identity is who the login belongs to.
type identity struct{ AccountID, Name, Email string }

func describeUser(id identity) string {
	s := id.Name
	if id.Email != "" {
		s += " <" + id.Email + ">"
	}
	return s
}

// identify asks Jira's myself on the site (read:jira-user) and, when
// read:me was granted, the platform's /me, which also knows the email.
func identify(ctx context.Context, api *auth.API, access, cloudID string, scopes []string) (identity, error) {
	var id identity
	var mErr error
	if m, err := api.Myself(ctx, access, cloudID); err == nil {
		id = identity{AccountID: m.AccountID, Name: m.DisplayName, Email: m.EmailAddress}
	} else {
		mErr = err
	}
	if slices.Contains(scopes, "read:me") {
		if me, err := api.Me(ctx, access); err == nil {
			id.AccountID = firstNonEmpty(id.AccountID, me.AccountID)
			id.Name = firstNonEmpty(id.Name, me.Name)
			id.Email = firstNonEmpty(id.Email, me.Email)
		}
	}
	if id.AccountID == "" {
		return id, fmt.Errorf("cannot tell who signed in (%w): the grant needs read:jira-user (or read:me)", mErr)
	}
	return id, nil
}

// chooseSite picks the site: the only one, the one --site names, or one the
// user picks at a prompt.
func chooseSite(sites []auth.Resource, want string, io *ioStreams) (auth.Resource, error) {
	if len(sites) == 0 {
		return auth.Resource{}, errors.New("this login reaches no site: make sure your app has access to a site you can use, then run `atl login` again")
	}
	if want != "" {
		for _, s := range sites {
			if siteMatches(s, want) {
				return s, nil
			}
		}
		return auth.Resource{}, usageErrorf("no site matches --site %q; this login reaches: %s", want, siteList(sites))
	}
	if len(sites) == 1 {
		return sites[0], nil
	}
	if !io.Interactive {
		return auth.Resource{}, usageErrorf("this login reaches %d sites (%s): choose one with --site NAME|URL|ID", len(sites), siteList(sites))
	}
	fmt.Fprintln(io.ErrOut, "This login reaches several sites:")
	for i, s := range sites {
		fmt.Fprintf(io.ErrOut, "  %d) %s  %s\n", i+1, s.Name, s.URL)
	}
	in := bufio.NewReader(io.In)
	for {
		fmt.Fprintf(io.ErrOut, "Choose a site [1-%d]: ", len(sites))
		line, err := in.ReadString('\n')
		if n, convErr := strconv.Atoi(strings.TrimSpace(line)); convErr == nil && n >= 1 && n <= len(sites) {
			return sites[n-1], nil
		}
		if err != nil {
			return auth.Resource{}, usageErrorf("no site chosen: pass --site NAME|URL|ID")
		}
	}
}

func siteMatches(s auth.Resource, want string) bool {
	norm := func(u string) string {
		u = strings.ToLower(strings.TrimSpace(u))
		u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
		return strings.TrimRight(u, "/")
	}
	return want == s.ID || strings.EqualFold(want, s.Name) || norm(want) == norm(s.URL)
}

func siteList(sites []auth.Resource) string {
	names := make([]string, len(sites))
	for i, s := range sites {
		names[i] = s.Name + " " + s.URL
	}
	return strings.Join(names, ", ")
}

func parseScopes(flag []string) ([]string, error) {
	if len(flag) == 0 {
		return auth.DefaultScopes(), nil
	}
	var out []string
	for _, f := range flag {
		for _, s := range strings.Fields(f) {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		return nil, usageErrorf("--scopes is empty")
	}
	return out, nil
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
