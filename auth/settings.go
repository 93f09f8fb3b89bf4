package auth

import (
	"cmp"
	"fmt"

	"github.com/atl-cli/atl/internal/settings"
	"github.com/atl-cli/atl/store"
)

// audience is the audience parameter Atlassian requires on authorize.
const audience = "api.atlassian.com"

// loginSettings resolves what a new login with opts uses (see package
// settings): opts' flags, then the Session's Options, then the stored
// login, then config.json, then the defaults; the servers are checked.
func (s *Session) loginSettings(opts LoginOptions, stored *store.Metadata, file store.Settings) (settings.Login, error) {
	set := settings.ForLogin(
		settings.Layer{ClientID: opts.ClientID, CallbackURL: opts.CallbackURL, Scopes: opts.Scopes},
		s.opts.layer(), stored, file, defaults())
	var err error
	if set.AuthURL.Value, err = baseURL("auth URL", set.AuthURL.Value); err != nil {
		return set, err
	}
	if set.APIURL.Value, err = baseURL("API URL", set.APIURL.Value); err != nil {
		return set, err
	}
	return set, nil
}

// newLoginSettings reads what a new login starts from (the login it
// replaces, empty when there is none or it cannot be read, and
// config.json) and resolves its settings with them (loginSettings).
func (s *Session) newLoginSettings(opts LoginOptions) (*store.Metadata, store.Settings, settings.Login, error) {
	stored, _ := s.login.Metadata() // a broken or missing login is replaced
	if stored == nil {
		stored = &store.Metadata{}
	}
	file, err := s.store.Settings()
	if err != nil {
		return nil, file, settings.Login{}, err
	}
	set, err := s.loginSettings(opts, stored, file)
	return stored, file, set, err
}

// endpoints are the client and servers a grant is used with.
type endpoints struct {
	clientID string
	authURL  string // the server that issued the grant
	grantAPI string // the API server the grant was made for
	apiURL   string // the API server in effect: Options.APIURL, else grantAPI
}

// grantEndpoints returns the endpoints to use grant g of the login m
// describes with. The servers are the grant's own, kept with it in the
// keychain (Atlassian's for a grant from before they were kept): an
// edited metadata file cannot send a secret elsewhere. The client id and
// authorization server are the login's: Options that name others are a
// *ConfigError, since a refresh token is never sent to a server (or with
// a client) other than the one that issued it.
func (s *Session) grantEndpoints(m *store.Metadata, g store.Grant) (endpoints, error) {
	ep := endpoints{clientID: m.ClientID}
	var err error
	if ep.authURL, err = baseURL("auth URL", cmp.Or(g.AuthURL, DefaultAuthURL)); err != nil {
		return endpoints{}, s.loginRequired("the stored login names an unusable server ("+err.Error()+")", err)
	}
	if ep.grantAPI, err = baseURL("API URL", cmp.Or(g.APIURL, DefaultAPIURL)); err != nil {
		return endpoints{}, s.loginRequired("the stored login names an unusable server ("+err.Error()+")", err)
	}
	for _, c := range []struct{ what, meta, grant string }{
		{"auth server", cmp.Or(m.AuthURL, DefaultAuthURL), ep.authURL},
		{"API server", cmp.Or(m.APIURL, DefaultAPIURL), ep.grantAPI},
	} {
		if !store.SameServer(c.meta, c.grant) {
			return endpoints{}, s.loginRequired(fmt.Sprintf("the login's metadata names %s %s, but its tokens belong to %s", c.what, c.meta, c.grant), store.ErrForeignGrant)
		}
	}
	if err := s.conflict(ep.clientID, ep.authURL); err != nil {
		return endpoints{}, err
	}
	if ep.apiURL, err = s.apiFor(ep.grantAPI); err != nil {
		return endpoints{}, err
	}
	return ep, nil
}

// conflict is the *ConfigError of Options whose client id or auth server
// is not the login's (clientID, authURL), or nil.
func (s *Session) conflict(clientID, authURL string) error {
	if v := s.opts.ClientID; v != "" && v != clientID {
		return &ConfigError{Setting: "client id", Value: v, Stored: clientID}
	}
	if v := s.opts.AuthURL; v != "" && !store.SameServer(v, authURL) {
		return &ConfigError{Setting: "auth URL", Value: v, Stored: authURL}
	}
	return nil
}

// apiFor is the API server requests go to for a login (or token) whose
// own is api: Options.APIURL when set (and usable), else api.
func (s *Session) apiFor(api string) (string, error) {
	if v := s.opts.APIURL; v != "" {
		return baseURL("API URL", v)
	}
	return api, nil
}

// baseURL checks a server's base URL (see settings.ServerURL) and returns
// it without a trailing slash; setting names it in the *ConfigError of a
// bad one.
func baseURL(setting, s string) (string, error) {
	u, err := settings.ServerURL(s)
	if err != nil {
		return "", &ConfigError{Setting: setting, Value: s, Err: fmt.Errorf("%s %q %w", setting, s, err)}
	}
	return u, nil
}
