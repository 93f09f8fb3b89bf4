package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atl-cli/atl/internal/loopback"

	"github.com/atl-cli/atl/store"
)

// LoginOptions configure Session.Login. The settings given here (a
// command's flags) come first; an empty one falls back to the Session's
// Options, then the stored login, then config.json, then the default.
type LoginOptions struct {
	ClientID string
	// ClientSecret falls back to Options.ClientSecret, then the stored
	// login's and the one kept with `atl config set client-secret`, each
	// only for the same client and auth server.
	ClientSecret string
	CallbackURL  string   // then Options.CallbackURL, the login's, config.json's callback_url, DefaultCallbackURL
	Scopes       []string // then config.json's scopes, DefaultScopes()
	// Site picks the site (name, URL or cloud id) when the grant reaches
	// several; config.json's site is next, then ChooseSite.
	Site string
	// InsecureStorage keeps the tokens in a private file in the config
	// directory instead of the keychain (never the client secret).
	InsecureStorage bool
	// ServiceAccount signs a service account in with its OAuth 2.0
	// client credentials (ClientID and ClientSecret, as Atlassian
	// Administration made them) instead of a person with the browser: no
	// browser, no listener, no refresh token. The client secret is kept
	// in the keychain (never a file) and mints each access token. The
	// site is the one Site names among those the token lists, else (a
	// token that lists none) the one Site names by its cloud id or URL.
	ServiceAccount bool
	// Timeout bounds the wait for the browser sign-in; zero waits as long
	// as ctx allows. When it passes, Login returns an error wrapping
	// ErrSignInTimeout.
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
	// PasteRefused hears why a pasted address cannot complete the login;
	// the login keeps waiting.
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
	if opts.ServiceAccount {
		return s.loginServiceAccount(ctx, opts)
	}
	p, err := s.prepareLogin(opts)
	if err != nil {
		return nil, err
	}
	fctx := ctx
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		fctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	res, err := authorize(fctx, flow{
		clientID: p.clientID, clientSecret: p.secret, authURL: p.authURL,
		callback: p.callback, scopes: p.scopes,
		showURL: opts.ShowURL, openBrowser: opts.OpenBrowser, browserError: opts.BrowserError,
		noBrowser: opts.NoBrowser, pasted: opts.Pasted, pasteRefused: opts.PasteRefused,
		fromUser: ownerCheck(), hc: s.tokenClient(), now: s.now,
	})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil && opts.Timeout > 0 {
			return nil, fmt.Errorf("%w within %s", ErrSignInTimeout, opts.Timeout)
		}
		return nil, err
	}
	defer res.close()
	return s.finishLogin(ctx, p, res, opts)
}

// newLogin is what a login is made with.
type newLogin struct {
	clientID, secret string
	authURL, apiURL  string
	callback         *loopback.Callback
	scopes           []string
	site             string // the site asked for: the flag's, else config.json's
	storage          string
	stored           *store.Metadata // the login it replaces, if any
}

// prepareLogin resolves what a login with opts is made with and checks
// that it can be kept, before anyone is sent to the consent page.
func (s *Session) prepareLogin(opts LoginOptions) (*newLogin, error) {
	stored, file, set, err := s.newLoginSettings(opts)
	if err != nil {
		return nil, err
	}
	p := &newLogin{
		clientID: set.ClientID.Value, authURL: set.AuthURL.Value, apiURL: set.APIURL.Value,
		scopes: set.Scopes, site: cmp.Or(opts.Site, file.Site), storage: store.StorageKeychain, stored: stored,
	}
	if p.clientID == "" {
		return nil, &ConfigError{Setting: "client id"}
	}
	if p.callback, err = loopback.Parse(set.CallbackURL.Value); err != nil {
		return nil, &ConfigError{Setting: "callback URL", Value: set.CallbackURL.Value, Err: err}
	}
	if opts.InsecureStorage {
		p.storage = store.StorageFile
	} else if err := s.login.CheckKeychain(); err != nil {
		// Fail before the user spends a consent on a login that cannot
		// be kept.
		return nil, err
	}
	p.secret = s.loginSecret(opts, stored, p.clientID, p.authURL)
	return p, nil
}

// loginSecret is the client secret a new login of client clientID at
// authURL uses: the flag's, the Options', else the stored login's or the
// kept one, each only for the same client and server.
func (s *Session) loginSecret(opts LoginOptions, stored *store.Metadata, clientID, authURL string) string {
	secret := cmp.Or(opts.ClientSecret, s.opts.ClientSecret)
	if secret == "" && stored.ClientID == clientID && store.SameServer(stored.AuthURL, authURL) {
		if g, err := s.login.Grant(stored); err == nil {
			secret = g.ClientSecret
		}
	}
	if secret == "" && !opts.InsecureStorage {
		secret = s.keptSecret(clientID, authURL)
	}
	return secret
}

// finishLogin picks the site of the login res completed, asks who signed
// in, and stores the login, unless its sign-in link was used twice.
func (s *Session) finishLogin(ctx context.Context, p *newLogin, res *flowResult, opts LoginOptions) (*Info, error) {
	// Until the login is stored, the API is called with the new access
	// token as it is: there is nothing to refresh yet.
	hc := s.httpClient(&bearerTransport{
		base:    s.transport(),
		api:     func() (string, error) { return p.apiURL, nil },
		token:   func(string) (string, error) { return res.token.AccessToken, nil },
		noRetry: true,
	})
	sites, err := accessibleResources(ctx, hc, p.apiURL)
	if err != nil {
		return nil, fmt.Errorf("listing the sites this login reaches: %w", err)
	}
	site, err := chooseSite(sites, p.site, opts.ChooseSite, s.siteAPI(&store.Metadata{APIURL: p.apiURL}))
	if err != nil {
		return nil, err
	}
	user, err := identify(ctx, hc, p.apiURL, site.ID, res.scopes)
	if err != nil {
		return nil, err
	}
	g := grantFrom(res.token, res.received, store.Grant{ClientSecret: p.secret, AuthURL: p.authURL, APIURL: p.apiURL})
	m := &store.Metadata{
		ClientID: p.clientID, AuthURL: p.authURL, APIURL: p.apiURL, CallbackURL: p.callback.URL,
		AccountID: user.AccountID, Name: user.Name, Email: user.Email,
		Site:  store.Site{ID: site.ID, URL: site.URL, Name: site.Name},
		Sites: sites, Scopes: res.scopes, ExpiresAt: g.Expiry, Storage: p.storage,
		LoginAt: s.now().UTC(), ConsentedAt: res.received.UTC(), RefreshIssuedAt: res.received.UTC(),
	}
	unlock, err := s.login.Lock(ctx, s.hooks.LockWait)
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
	if err != nil || !store.SameServer(cmp.Or(k.AuthURL, DefaultAuthURL), authURL) {
		return ""
	}
	return k.Secret
}

// chooseSite picks the site: the one want names, the only one, else the
// one choose picks (of the sites reached through api).
func chooseSite(sites []store.Site, want string, choose func([]Site) (Site, error), api string) (store.Site, error) {
	switch {
	case len(sites) == 0:
		return store.Site{}, ErrNoSite
	case want != "":
		if site, ok := findSite(sites, want); ok {
			return site, nil
		}
		return store.Site{}, siteNotFound(want, sites)
	case len(sites) == 1:
		return sites[0], nil
	case choose == nil:
		return store.Site{}, &ConfigError{Setting: "site", Err: fmt.Errorf("this login reaches %d sites (%s) and none was chosen", len(sites), siteList(sites))}
	}
	site, err := choose(publicSites(sites, api))
	if err != nil {
		return store.Site{}, err
	}
	for _, st := range sites {
		if st.ID == site.ID {
			return st, nil
		}
	}
	return store.Site{}, fmt.Errorf("the chosen site %q is not one this login reaches", site.ID)
}
