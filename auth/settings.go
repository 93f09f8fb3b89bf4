package auth

import (
	"fmt"
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
	authURL  string
	apiURL   string
}

// grantEndpoints returns the endpoints to use the grant of m with. The
// client id and authorization server are the login's own: an environment
// that names others is a *ConfigError, since a refresh token is never
// sent to a server (or with a client) other than the one that issued it.
// The API URL follows the usual precedence.
func grantEndpoints(m *store.Metadata, getenv func(string) string) (endpoints, error) {
	ep := endpoints{clientID: m.ClientID, authURL: firstOf(m.AuthURL, DefaultAuthURL)}
	if v := getenv(envClientID); v != "" && v != ep.clientID {
		return endpoints{}, &ConfigError{Setting: "client id", Env: envClientID, Value: v, Stored: ep.clientID}
	}
	if v := getenv(envAuthURL); v != "" && normalizeURL(v) != normalizeURL(ep.authURL) {
		return endpoints{}, &ConfigError{Setting: "auth server", Env: envAuthURL, Value: v, Stored: ep.authURL}
	}
	api, err := baseURL("API URL", envAPIURL, firstOf(getenv(envAPIURL), m.APIURL, DefaultAPIURL))
	if err != nil {
		return endpoints{}, err
	}
	ep.apiURL = api
	ep.authURL = strings.TrimRight(ep.authURL, "/")
	return ep, nil
}

// baseURL checks a server's base URL and returns it without a trailing
// slash.
func baseURL(setting, env, s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", &ConfigError{Setting: setting, Env: env, Value: s, Err: fmt.Errorf("%s %q is not a server's base URL (https://host[/path])", setting, s)}
	}
	return strings.TrimRight(s, "/"), nil
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
