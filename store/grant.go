package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// grantVersion is the version of the Grant encoding written today.
const grantVersion = 1

// Grant is the secret half of a login: what must never reach a plain file
// (unless the user opted in to insecure storage) or a terminal.
type Grant struct {
	RefreshToken string    `json:"refresh_token"`
	AccessToken  string    `json:"access_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	// ClientSecret is the OAuth client secret given at login, kept so that
	// refreshes work without it in the environment. Never written by the
	// insecure file store.
	ClientSecret string `json:"client_secret,omitempty"`
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

// DecodeGrant parses what EncodeGrant wrote. Anything else (empty,
// truncated, another version, no refresh token) is ErrCorrupt.
func DecodeGrant(s string) (Grant, error) {
	var g grantJSON
	if err := json.Unmarshal([]byte(s), &g); err != nil {
		return Grant{}, fmt.Errorf("%w: not a stored grant", ErrCorrupt)
	}
	if g.Version != grantVersion {
		return Grant{}, fmt.Errorf("%w: unknown grant version %d", ErrCorrupt, g.Version)
	}
	if g.RefreshToken == "" {
		return Grant{}, fmt.Errorf("%w: no refresh token", ErrCorrupt)
	}
	return g.Grant, nil
}
