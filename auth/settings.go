package auth

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/atl-cli/atl/store"
)

// Atlassian's production endpoints, atl's default callback and profile.
const (
	DefaultAuthURL = "https://auth.atlassian.com"
	DefaultAPIURL  = "https://api.atlassian.com"
	// DefaultCallbackURL is the redirect URL to register in the Atlassian
	// developer console. The port is fixed because Atlassian matches the
	// registered URL exactly; it lies below every OS's ephemeral range.
	DefaultCallbackURL = "http://127.0.0.1:27813/callback"
	// DefaultProfile is the profile used when none is named.
	DefaultProfile = "default"
)

// audience is the audience parameter Atlassian requires on authorize.
const audience = "api.atlassian.com"

// DefaultScopes returns the scopes atl asks for unless told otherwise: the
// three Jira scopes of an app registered per Atlassian's guide, and
// offline_access for a refresh token.
func DefaultScopes() []string {
	return []string{"offline_access", "read:jira-user", "read:jira-work", "write:jira-work"}
}

// The environment variables atl reads. Each setting is resolved in one
// order: a flag (LoginOptions), then the environment, then the stored
// login, then config.json, then the default.
const (
	envProfile      = "ATL_PROFILE"
	envClientID     = "ATL_CLIENT_ID"
	envClientSecret = "ATL_CLIENT_SECRET"
	envCallbackURL  = "ATL_CALLBACK_URL"
	envAuthURL      = "ATL_AUTH_URL"
	envAPIURL       = "ATL_API_URL"
	envSite         = "ATL_SITE"
	envToken        = "ATL_TOKEN"
)

// firstOf returns the first non-empty value: the precedence of settings.
func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// endpoints are the client and servers a grant is used with.
type endpoints struct {
	clientID string
	authURL  string // the server that issued the grant
	grantAPI string // the API server the grant was made for
	apiURL   string // the API server in effect: ATL_API_URL, else grantAPI
}

// grantEndpoints returns the endpoints to use grant g of the login m
// describes with. The servers are the grant's own, kept with it in the
// keychain (Atlassian's for a grant from before they were kept): an
// edited metadata file cannot send a secret elsewhere. The client id and
// authorization server are the login's: an environment that names others
// is a *ConfigError, since a refresh token is never sent to a server (or
// with a client) other than the one that issued it. The API URL follows
// the usual precedence.
func (s *Session) grantEndpoints(m *store.Metadata, g store.Grant) (endpoints, error) {
	ep := endpoints{clientID: m.ClientID}
	var err error
	if ep.authURL, err = baseURL("auth URL", "", firstOf(g.AuthURL, DefaultAuthURL)); err != nil {
		return endpoints{}, s.loginRequired("the stored login names an unusable server ("+err.Error()+")", err)
	}
	if ep.grantAPI, err = baseURL("API URL", "", firstOf(g.APIURL, DefaultAPIURL)); err != nil {
		return endpoints{}, s.loginRequired("the stored login names an unusable server ("+err.Error()+")", err)
	}
	for _, c := range []struct{ what, meta, grant string }{
		{"auth server", firstOf(m.AuthURL, DefaultAuthURL), ep.authURL},
		{"API server", firstOf(m.APIURL, DefaultAPIURL), ep.grantAPI},
	} {
		if normalizeURL(c.meta) != normalizeURL(c.grant) {
			return endpoints{}, s.loginRequired(fmt.Sprintf("the login's metadata names %s %s, but its tokens belong to %s", c.what, c.meta, c.grant), store.ErrForeignGrant)
		}
	}
	if err := s.envConflict(ep.clientID, ep.authURL); err != nil {
		return endpoints{}, err
	}
	if ep.apiURL, err = s.apiFor(ep.grantAPI); err != nil {
		return endpoints{}, err
	}
	return ep, nil
}

// envConflict is the *ConfigError of an environment whose client id or
// auth server is not the login's (clientID, authURL), or nil.
func (s *Session) envConflict(clientID, authURL string) error {
	if v := s.getenv(envClientID); v != "" && v != clientID {
		return &ConfigError{Setting: "client id", Env: envClientID, Value: v, Stored: clientID}
	}
	if v := s.getenv(envAuthURL); v != "" && normalizeURL(v) != normalizeURL(authURL) {
		return &ConfigError{Setting: "auth server", Env: envAuthURL, Value: v, Stored: authURL}
	}
	return nil
}

// apiFor is the API server requests go to for a login (or token) whose
// own is api: ATL_API_URL's when set (and usable), else api.
func (s *Session) apiFor(api string) (string, error) {
	if v := s.getenv(envAPIURL); v != "" {
		return baseURL("API URL", envAPIURL, v)
	}
	return api, nil
}

// AuthServer is the authorization server a login uses unless its stored
// login names another: ATL_AUTH_URL (as getenv reports it), else
// DefaultAuthURL, normalized as atl compares servers. It is the server a
// client secret kept with `atl config set client-secret` is for. A
// malformed ATL_AUTH_URL is a *ConfigError.
func AuthServer(getenv func(string) string) (string, error) {
	u, err := baseURL("auth URL", envAuthURL, firstOf(getenv(envAuthURL), DefaultAuthURL))
	if err != nil {
		return "", err
	}
	return normalizeURL(u), nil
}

// baseURL checks a server's base URL and returns it without a trailing
// slash: https, or plain http to a loopback host (a local test server).
func baseURL(setting, env, s string) (string, error) {
	u, err := url.Parse(s)
	malformed := err != nil || u.Host == "" || u.User != nil || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#")
	switch {
	case malformed || (u.Scheme != "https" && u.Scheme != "http"):
		return "", &ConfigError{Setting: setting, Env: env, Value: s, Err: fmt.Errorf("%s %q is not a server's base URL (https://host[/path])", setting, s)}
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return "", &ConfigError{Setting: setting, Env: env, Value: s, Err: fmt.Errorf("%s %q must use https (plain http only for a loopback address)", setting, s)}
	}
	return strings.TrimRight(s, "/"), nil
}

// isLoopback reports whether host names this machine's loopback interface.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// normalizeURL is s as compared with another base URL: scheme and host in
// lower case, no trailing slash.
func normalizeURL(s string) string {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil {
		return s
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	return u.String()
}
