package store

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// grantVersion is the version of the Grant encoding written today.
// Version 1 (before the owner and servers were recorded) is still read.
const grantVersion = 2

// Grant is the secret half of a login: what must never reach a plain file
// (unless the user opted in to insecure storage) or a terminal.
type Grant struct {
	RefreshToken string    `json:"refresh_token"`
	AccessToken  string    `json:"access_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	// ClientSecret is the OAuth client secret given at login, kept so that
	// refreshes work without it in the environment; for a service account
	// (no refresh token), what mints each access token. Never written by
	// the insecure file store.
	ClientSecret string `json:"client_secret,omitempty"`
	// AuthURL and APIURL are the servers the grant belongs to: its
	// tokens and the client secret are only ever sent there, whatever a
	// metadata file says. Empty in a version 1 grant.
	AuthURL string `json:"auth_url,omitempty"`
	APIURL  string `json:"api_url,omitempty"`
	// The login the grant was made for, recorded by Login.Save: a grant
	// found under another login is refused. Empty in a version 1 grant.
	ClientID  string `json:"client_id,omitempty"`
	AccountID string `json:"account_id,omitempty"`
	ConfigDir string `json:"config_dir,omitempty"`
}

type grantJSON struct {
	Version int `json:"v"`
	Grant
}

// EncodeGrant returns the stored form of g.
func EncodeGrant(g Grant) (string, error) {
	b, err := json.Marshal(grantJSON{Version: grantVersion, Grant: g})
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// ValidToken reports whether s has the syntax of an OAuth bearer token
// (RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" /
// "/" ) *"="), which Atlassian's access and refresh tokens follow: nothing
// a terminal or an HTTP header could misread.
func ValidToken(s string) bool {
	if len(s) > MaxSecretSize {
		return false
	}
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case isAlnum(c), c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}

// DecodeGrant parses what EncodeGrant wrote. Anything else (empty,
// truncated, another version, neither a refresh token nor a client
// secret, a token that is not a bearer token) is ErrCorrupt.
func DecodeGrant(s string) (Grant, error) {
	var g grantJSON
	if err := json.Unmarshal([]byte(s), &g); err != nil {
		return Grant{}, fmt.Errorf("%w: not a stored grant", ErrCorrupt)
	}
	if g.Version != 1 && g.Version != grantVersion {
		return Grant{}, fmt.Errorf("%w: unknown grant version %d", ErrCorrupt, g.Version)
	}
	if g.RefreshToken == "" && g.ClientSecret == "" {
		return Grant{}, fmt.Errorf("%w: no refresh token", ErrCorrupt)
	}
	if (g.RefreshToken != "" && !ValidToken(g.RefreshToken)) || (g.AccessToken != "" && !ValidToken(g.AccessToken)) {
		return Grant{}, fmt.Errorf("%w: a stored token is not a bearer token", ErrCorrupt)
	}
	return g.Grant, nil
}

// SameServer reports whether base URLs a and b name the same server: they
// are compared with scheme and host in lower case, and no trailing slash.
func SameServer(a, b string) bool { return normalizeServer(a) == normalizeServer(b) }

func normalizeServer(s string) string {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil {
		return s
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	return u.String()
}

// fits checks that g is the kind of grant the login m describes has: a
// refresh token for a person's login, the client secret and no refresh
// token for a service account's.
func (g Grant) fits(m *Metadata) error {
	switch {
	case m.Kind == KindServiceAccount && (g.RefreshToken != "" || g.ClientSecret == ""):
		return fmt.Errorf("%w: a service account's login has no refresh token, and its client secret", ErrCorrupt)
	case m.Kind != KindServiceAccount && g.RefreshToken == "":
		return fmt.Errorf("%w: no refresh token", ErrCorrupt)
	}
	return nil
}
