package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/atl-cli/atl/internal/settings"
	"github.com/atl-cli/atl/store"
)

// serviceLogin is what a service account's login is made with.
type serviceLogin struct {
	clientID, secret string
	authURL, apiURL  string
	site             string // the site asked for: the flag's, else config.json's
}

// loginServiceAccount signs a service account in with its client
// credentials (LoginOptions.ServiceAccount) and stores the login: the
// client secret and the first access token in the keychain, the site and
// the account in the metadata, marked as a service account's.
func (s *Session) loginServiceAccount(ctx context.Context, opts LoginOptions) (*Info, error) {
	p, err := s.prepareServiceAccount(opts)
	if err != nil {
		return nil, err
	}
	tok, received, err := s.mint(ctx, p.clientID, p.secret, p.authURL)
	var te *TokenError
	if errors.As(err, &te) && (te.BadClient() || te.DeadGrant()) {
		return nil, refusedSecret(s.Profile(), p.clientID, "", te)
	}
	if err != nil {
		return nil, err
	}
	hc := s.httpClient(&bearerTransport{
		base:    s.transport(),
		api:     func() (string, error) { return p.apiURL, nil },
		token:   func(string) (string, error) { return tok.AccessToken, nil },
		noRetry: true,
	})
	site, sites, err := s.serviceSite(ctx, hc, p, opts.ChooseSite)
	if err != nil {
		return nil, err
	}
	scopes := grantedScopes(tok, nil)
	// Who the service account is, when its scopes let Atlassian say.
	user, err := identify(ctx, hc, p.apiURL, site.ID, scopes)
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr):
		user = &User{} // not among its scopes: it is known by its client id
	case err != nil:
		return nil, err
	}
	g := grantFrom(tok, received, store.Grant{ClientSecret: p.secret, AuthURL: p.authURL, APIURL: p.apiURL})
	m := &store.Metadata{
		Kind: store.KindServiceAccount, ClientID: p.clientID, AuthURL: p.authURL, APIURL: p.apiURL,
		AccountID: user.AccountID, Name: user.Name, Email: user.Email,
		Site: store.Site{ID: site.ID, URL: site.URL, Name: site.Name}, Sites: sites, Scopes: scopes,
		ExpiresAt: g.Expiry, Storage: store.StorageKeychain, LoginAt: s.now().UTC(),
	}
	unlock, err := s.login.Lock(ctx, s.hooks.LockWait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := s.login.Save(m, g); err != nil {
		return nil, fmt.Errorf("saving the login: %w", err)
	}
	s.forget()
	return s.info(m), nil
}

// prepareServiceAccount resolves what a service account's login with
// opts is made with, and checks that it can be kept (in the keychain).
func (s *Session) prepareServiceAccount(opts LoginOptions) (*serviceLogin, error) {
	if opts.InsecureStorage {
		return nil, &ConfigError{Setting: "storage", Err: errors.New("a service account's login keeps its client secret, which is never kept in a file: keep it in the keychain, or give the credentials with Options.Grant")}
	}
	stored, file, set, err := s.newLoginSettings(opts)
	if err != nil {
		return nil, err
	}
	p := &serviceLogin{clientID: set.ClientID.Value, authURL: set.AuthURL.Value, apiURL: set.APIURL.Value, site: opts.Site}
	if p.site == "" {
		p.site = file.Site
	}
	if p.clientID == "" {
		return nil, &ConfigError{Setting: "client id"}
	}
	if err := s.login.CheckKeychain(); err != nil {
		return nil, err
	}
	if p.secret = s.loginSecret(opts, stored, p.clientID, p.authURL); p.secret == "" {
		return nil, &ConfigError{Setting: "client secret"}
	}
	return p, nil
}

// serviceSite picks a service account's site: among the sites its token
// lists (the one p.site names, or choose's), else, when it lists none,
// the one p.site names by cloud id or URL.
func (s *Session) serviceSite(ctx context.Context, hc *http.Client, p *serviceLogin, choose func([]Site) (Site, error)) (store.Site, []store.Site, error) {
	sites, err := accessibleResources(ctx, hc, p.apiURL)
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr):
		sites = nil // a token that may list no site
	case err != nil:
		return store.Site{}, nil, fmt.Errorf("listing the sites this login reaches: %w", err)
	}
	if len(sites) > 0 {
		site, err := chooseSite(sites, p.site, choose, p.apiURL)
		return site, sites, err
	}
	site, err := s.unlistedSite(ctx, p.site)
	return site, nil, err
}

// unlistedSite is the site want names when the token lists none (as a
// service account's may not): by its cloud id, or by its URL
// (https://NAME.atlassian.net), whose public /_edge/tenant_info tells
// its cloud id. As for the other servers, plain http is for a loopback
// address only.
func (s *Session) unlistedSite(ctx context.Context, want string) (store.Site, error) {
	switch {
	case want == "":
		return store.Site{}, &ConfigError{Setting: "site", Err: errors.New("the token lists no site: name the site by its URL or cloud id")}
	case validCloudID(want):
		return store.Site{ID: want}, nil
	}
	raw := want
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
	case u.Path != "" && u.Path != "/":
		err = errors.New("has a path")
	case !strings.Contains(want, "://") && !strings.Contains(u.Hostname(), "."):
		err = errors.New("a name, not an address") // a site's name needs the token's list
	}
	if err == nil {
		_, err = settings.ServerURL(raw)
	}
	if err != nil {
		return store.Site{}, &ConfigError{Setting: "site", Value: want, Err: fmt.Errorf("site %s is neither a cloud id nor a site's URL (https://NAME.atlassian.net)", quoteShort(want))}
	}
	origin := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
	var info struct {
		CloudID string `json:"cloudId"`
	}
	if err := getJSON(ctx, s.httpClient(s.transport()), origin, "/_edge/tenant_info", &info); err != nil {
		return store.Site{}, fmt.Errorf("finding the cloud id of %s: %w", origin, err)
	}
	if !validCloudID(info.CloudID) {
		return store.Site{}, fmt.Errorf("malformed cloud id %s from %s", quoteShort(info.CloudID), origin)
	}
	name, _, _ := strings.Cut(u.Hostname(), ".")
	if !strings.HasSuffix(strings.ToLower(u.Hostname()), ".atlassian.net") {
		name = strings.ToLower(u.Host)
	}
	return store.Site{ID: info.CloudID, URL: origin, Name: name}, nil
}
