package auth

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/atl-cli/atl/store"
	"golang.org/x/oauth2"
)

// grantClientCredentials is the one Options.Grant atl knows.
const grantClientCredentials = "client_credentials"

// given reports whether the Session uses what Options give in place of a
// stored login: a token, or client credentials.
func (s *Session) given() bool { return s.envToken != "" || s.grant != "" }

// clientCredentials are the client id, secret and authorization server of
// Options.Grant, checked.
func (s *Session) clientCredentials() (clientID, secret, authURL string, err error) {
	switch {
	case s.opts.ClientID == "":
		return "", "", "", &ConfigError{Setting: "client id"}
	case s.opts.ClientSecret == "":
		return "", "", "", &ConfigError{Setting: "client secret"}
	}
	authURL, err = baseURL("auth URL", cmp.Or(s.opts.AuthURL, DefaultAuthURL))
	return s.opts.ClientID, s.opts.ClientSecret, authURL, err
}

// clientToken is token for Options.Grant: the token in memory while it is
// fresh, else the token cache's, else one minted from the client
// credentials (and cached). With stale, one other than stale.
func (s *Session) clientToken(ctx context.Context, stale string) (*oauth2.Token, error) {
	id, secret, authURL, err := s.clientCredentials()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if stale == "" && s.tok != nil && s.fresh(s.tok.Expiry) {
		return cloneToken(s.tok), nil
	}
	if c, ok := s.store.ClientToken(id, authURL, secret); ok && c.AccessToken != stale && s.fresh(c.Expiry) {
		if err := s.serveCached(c); err == nil {
			return cloneToken(s.tok), nil
		}
	}
	api, err := s.apiFor(DefaultAPIURL)
	if err != nil {
		return nil, err
	}
	tok, received, err := s.mint(ctx, id, secret, authURL)
	var te *TokenError
	if errors.As(err, &te) && (te.BadClient() || te.DeadGrant()) {
		return nil, refusedSecret("", id, "", te)
	}
	if err != nil {
		return nil, err
	}
	expiry := received.Add(time.Duration(tok.ExpiresIn) * time.Second).UTC()
	s.store.CacheClientToken(id, authURL, secret, store.Cached{AccessToken: tok.AccessToken, Expiry: expiry, APIURL: api})
	s.api, s.from = api, "the token endpoint"
	s.tok = &oauth2.Token{AccessToken: tok.AccessToken, TokenType: "Bearer", Expiry: expiry}
	return cloneToken(s.tok), nil
}
