package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atl-cli/atl/internal/loopback"

	"github.com/atl-cli/atl/store"
)

// LoginOptions configure Session.Login. The settings given here (from
// flags) come first; an empty one falls back to the environment, then the
// stored login, then config.json, then the default.
type LoginOptions struct {
	ClientID     string   // ATL_CLIENT_ID, the login's, config.json's client_id
	ClientSecret string   // ATL_CLIENT_SECRET, the login's (same client and server only), the one `atl config` kept (same client and server only)
	CallbackURL  string   // ATL_CALLBACK_URL, the login's, config.json's callback_url, DefaultCallbackURL
	Scopes       []string // config.json's scopes, DefaultScopes()
	// Site picks the site (name, URL or cloud id) when the grant reaches
	// several; config.json's site is next, then ChooseSite.
	Site string
	// InsecureStorage keeps the tokens in a private file in the config
	// directory instead of the keychain (never the client secret).
	InsecureStorage bool
	// Timeout bounds the wait for the browser sign-in; zero waits as long
	// as ctx allows. When it passes, Login returns *SignInTimeoutError.
	Timeout time.Duration

	// ShowURL tells the user the one-time sign-in link, with its key
	// (with NoBrowser, the consent page's URL), always and before the
	// browser is opened, so that it can be opened by hand. It belongs on
	// the user's terminal only, never on a command line.
	ShowURL func(url string)
	// OpenBrowser opens url in the user's browser: the sign-in link
	// without its key, which the listener serves only to a connection of
	// the user's own (Linux), or a file: URL of a private page that holds
	// the keyed link (elsewhere). Nobody else can use it, so it may go on
	// a command line. It runs in its own goroutine, so a launcher that
	// blocks cannot hold up the login; an error goes to BrowserError and
	// the login keeps waiting.
	OpenBrowser  func(url string) error
	BrowserError func(error)
	// ChooseSite picks the site when the grant reaches several; nil
	// makes that an error.
	ChooseSite func(sites []Site) (Site, error)

	// NoBrowser is for a browser on another machine (SSH, a container):
	// no browser is opened, ShowURL gets the consent page's address
	// itself, and Pasted brings the address the browser was sent after
	// consent (which fails to load there), pasted by the person. The
	// callback listener is up all the same; whichever comes first wins.
	NoBrowser bool
	Pasted    <-chan string
	// PasteRefused hears why a pasted address cannot complete the login
	// (*PasteError); the login keeps waiting.
	PasteRefused func(error)
}

// Login signs the user in with the loopback flow and stores the login
// under the session's profile, replacing any earlier one: it binds the
// callback listener, shows and opens the consent page, waits for exactly
// one valid callback, exchanges the code (PKCE S256), picks the site,
// asks Atlassian who signed in, and saves the tokens (keychain first,
// read back) and the metadata under the login's lock. With the keychain
// as storage, a keychain that does not answer fails the login before the
// browser opens. Nothing is stored unless Login succeeds.
func (s *Session) Login(ctx context.Context, opts LoginOptions) (*Info, error) {
	set, err := s.Settings(opts)
	if err != nil {
		return nil, err
	}
	stored, file := set.stored, set.file
	clientID, authURL, apiURL, callbackURL, scopes := set.ClientID, set.AuthURL, set.APIURL, set.CallbackURL, set.Scopes
	if clientID == "" {
		return nil, &ConfigError{Setting: "client id", Env: envClientID}
	}
	cb, err := loopback.Parse(callbackURL)
	if err != nil {
		return nil, &ConfigError{Setting: "callback URL", Env: envCallbackURL, Value: callbackURL, Err: err}
	}
	storage := store.StorageKeychain
	if opts.InsecureStorage {
		storage = store.StorageFile
	} else if err := s.login.CheckKeychain(); err != nil {
		// Fail before the user spends a consent on a login atl cannot keep.
		return nil, err
	}
	secret := firstOf(opts.ClientSecret, s.getenv(envClientSecret))
	if secret == "" && stored.ClientID == clientID && normalizeURL(stored.AuthURL) == normalizeURL(authURL) {
		if g, err := s.login.Grant(stored); err == nil {
			secret = g.ClientSecret
		}
	}
	if secret == "" && !opts.InsecureStorage {
		secret = s.keptSecret(clientID, authURL)
	}

	fctx := ctx
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		fctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	res, err := authorize(fctx, flow{
		clientID: clientID, clientSecret: secret, authURL: authURL,
		callback: cb, scopes: scopes,
		showURL: opts.ShowURL, openBrowser: opts.OpenBrowser, browserError: opts.BrowserError,
		noBrowser: opts.NoBrowser, pasted: opts.Pasted, pasteRefused: opts.PasteRefused,
		fromUser: ownerCheck(), hc: s.tokenClient(), now: s.now,
	})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil && opts.Timeout > 0 {
			return nil, &SignInTimeoutError{Wait: opts.Timeout}
		}
		return nil, err
	}
	defer res.close()

	// Until the login is stored, the API is called with the new access
	// token as it is: there is nothing to refresh yet.
	hc := s.httpClient(&bearerTransport{
		base:    s.transport(),
		api:     func() (string, error) { return apiURL, nil },
		token:   func(string) (string, error) { return res.token.AccessToken, nil },
		noRetry: true,
	})
	sites, err := accessibleResources(ctx, hc, apiURL)
	if err != nil {
		return nil, fmt.Errorf("listing the sites this login reaches: %w", err)
	}
	site, err := chooseSite(sites, firstOf(opts.Site, file.Site), opts.ChooseSite)
	if err != nil {
		return nil, err
	}
	user, err := identify(ctx, hc, apiURL, site.ID, res.scopes)
	if err != nil {
		return nil, err
	}

	g := grantFrom(res.token, res.received, store.Grant{ClientSecret: secret, AuthURL: authURL, APIURL: apiURL})
	m := &store.Metadata{
		ClientID:    clientID,
		AuthURL:     authURL,
		APIURL:      apiURL,
		CallbackURL: callbackURL,
		AccountID:   user.AccountID,
		Name:        user.Name,
		Email:       user.Email,
		Site:        Site{ID: site.ID, URL: site.URL, Name: site.Name},
		Sites:       sites,
		Scopes:      res.scopes,
		ExpiresAt:   g.Expiry,
		Storage:     storage,
		LoginAt:     s.now().UTC(),
	}
	unlock, err := s.login.Lock(ctx, s.lockWait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := res.linkReused(); err != nil {
		// Someone else had the link: the callback may be theirs.
		return nil, err
	}
	if err := s.login.Save(m, g); err != nil {
		return nil, fmt.Errorf("saving the login: %w", err)
	}
	s.forget()
	return s.info(m), nil
}

// keptSecret is the client secret `atl config set client-secret` kept for
// app clientID, when it was kept for the auth server authURL (one kept
// before servers were recorded belongs to Atlassian's), else "": a secret
// is never sent to another server than the one it was given for.
func (s *Session) keptSecret(clientID, authURL string) string {
	k, err := s.store.ClientSecret(clientID)
	if err != nil || normalizeURL(firstOf(k.AuthURL, DefaultAuthURL)) != normalizeURL(authURL) {
		return ""
	}
	return k.Secret
}

// Settings are what a login would run with, each resolved in one order
// (flag > environment > the stored login > config.json > default), and
// where each came from: "flag", the environment variable's name, "the
// stored login", "config.json" or "default".
type Settings struct {
	ClientID, ClientIDFrom       string // "" when none is set anywhere
	CallbackURL, CallbackURLFrom string
	AuthURL, AuthURLFrom         string
	APIURL, APIURLFrom           string
	Scopes                       []string
	ScopesFrom                   string

	stored *store.Metadata
	file   store.Settings
}

// Settings resolves the settings a Login with opts (its flags) would use,
// without logging in. A malformed server URL is a *ConfigError.
func (s *Session) Settings(opts LoginOptions) (*Settings, error) {
	stored, _ := s.login.Metadata() // a broken or missing login is replaced
	file, err := s.store.Settings()
	if err != nil {
		return nil, err
	}
	if stored == nil {
		stored = &store.Metadata{}
	}
	set := &Settings{stored: stored, file: file}
	pick := func(values ...[2]string) (string, string) {
		for _, v := range values {
			if v[1] != "" {
				return v[1], v[0]
			}
		}
		return "", ""
	}
	set.ClientID, set.ClientIDFrom = pick([2]string{"flag", opts.ClientID}, [2]string{envClientID, s.getenv(envClientID)},
		[2]string{"the stored login", stored.ClientID}, [2]string{"config.json", file.ClientID})
	set.CallbackURL, set.CallbackURLFrom = pick([2]string{"flag", opts.CallbackURL}, [2]string{envCallbackURL, s.getenv(envCallbackURL)},
		[2]string{"the stored login", stored.CallbackURL}, [2]string{"config.json", file.CallbackURL}, [2]string{"default", DefaultCallbackURL})
	auth, authFrom := pick([2]string{envAuthURL, s.getenv(envAuthURL)}, [2]string{"the stored login", stored.AuthURL}, [2]string{"default", DefaultAuthURL})
	api, apiFrom := pick([2]string{envAPIURL, s.getenv(envAPIURL)}, [2]string{"the stored login", stored.APIURL}, [2]string{"default", DefaultAPIURL})
	if set.AuthURL, err = baseURL("auth URL", envAuthURL, auth); err != nil {
		return nil, err
	}
	if set.APIURL, err = baseURL("API URL", envAPIURL, api); err != nil {
		return nil, err
	}
	set.AuthURLFrom, set.APIURLFrom = authFrom, apiFrom
	switch {
	case len(opts.Scopes) > 0:
		set.Scopes, set.ScopesFrom = opts.Scopes, "flag"
	case len(file.Scopes) > 0:
		set.Scopes, set.ScopesFrom = file.Scopes, "config.json"
	default:
		set.Scopes, set.ScopesFrom = DefaultScopes(), "default"
	}
	return set, nil
}

// chooseSite picks the site: the one want names, the only one, else the
// one choose picks.
func chooseSite(sites []Site, want string, choose func([]Site) (Site, error)) (Site, error) {
	switch {
	case len(sites) == 0:
		return Site{}, ErrNoSite
	case want != "":
		if site, ok := FindSite(sites, want); ok {
			return site, nil
		}
		return Site{}, &SiteNotFoundError{Want: want, Sites: sites}
	case len(sites) == 1:
		return sites[0], nil
	case choose == nil:
		return Site{}, fmt.Errorf("this login reaches %d sites and none was chosen", len(sites))
	}
	site, err := choose(sites)
	if err != nil {
		return Site{}, err
	}
	for _, st := range sites {
		if st.ID == site.ID {
			return st, nil
		}
	}
	return Site{}, fmt.Errorf("the chosen site %q is not one this login reaches", site.ID)
}
