// Package auth signs a user into Atlassian Cloud with OAuth 2.0 (3LO) using
// the native-app loopback flow (RFC 8252) with PKCE, and serves the stored
// login's tokens to commands and Go programs, persisting every rotation of
// the refresh token.
package auth

import (
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// Atlassian's production endpoints and atl's default callback.
const (
	DefaultAuthURL = "https://auth.atlassian.com"
	DefaultAPIURL  = "https://api.atlassian.com"
	// DefaultCallbackURL is the redirect URL to register in the Atlassian
	// developer console. The port is fixed because Atlassian matches the
	// registered URL exactly; it lies below every OS's ephemeral range.
	DefaultCallbackURL = "http://127.0.0.1:27813/callback"
	// Audience is the audience parameter Atlassian requires on authorize.
	Audience = "api.atlassian.com"
)

// DefaultScopes returns the scopes atl asks for unless told otherwise: the
// three Jira scopes of an app registered per Atlassian's guide, and
// offline_access for a refresh token.
func DefaultScopes() []string {
	return []string{"offline_access", "read:jira-user", "read:jira-work", "write:jira-work"}
}

// Client identifies the OAuth app and the Atlassian servers it talks to.
type Client struct {
	ID      string
	Secret  string // optional
	AuthURL string // DefaultAuthURL when empty
	APIURL  string // DefaultAPIURL when empty
}

func (c Client) authURL() string { return baseURL(c.AuthURL, DefaultAuthURL) }

func (c Client) apiURL() string { return baseURL(c.APIURL, DefaultAPIURL) }

func baseURL(s, def string) string {
	if s == "" {
		s = def
	}
	return strings.TrimRight(s, "/")
}

// oauth2Config returns the x/oauth2 configuration of c. The AuthStyle is
// explicit: with auto-detection x/oauth2 replays a failed token request in
// another style, which would spend a rotating refresh token twice.
func (c Client) oauth2Config(redirectURL string, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.ID,
		ClientSecret: c.Secret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   c.authURL() + "/authorize",
			TokenURL:  c.authURL() + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirectURL,
		Scopes:      scopes,
	}
}

// API returns the Atlassian API client of c.
func (c Client) API(hc *http.Client) *API { return &API{BaseURL: c.apiURL(), HTTP: hc} }
