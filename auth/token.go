package auth

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/atl-cli/atl/store"
	"golang.org/x/oauth2"
)

// token returns a valid access token: the one in memory while it is
// fresh, else the token cache's, else the keychain's, else a refreshed
// one. With stale (a token the API refused although it had not expired),
// it returns a token other than stale, refreshing unless another process
// already has.
func (s *Session) token(ctx context.Context, stale string) (*oauth2.Token, error) {
	if s.envToken != "" {
		if !store.ValidToken(s.envToken) {
			return nil, &ConfigError{Setting: "token", Err: errors.New("the token given is not an OAuth access token")}
		}
		return &oauth2.Token{AccessToken: s.envToken, TokenType: "Bearer"}, nil
	}
	if s.grant != "" {
		return s.clientToken(ctx, stale)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if stale == "" && s.tok != nil && s.fresh(s.tok.Expiry) {
		return cloneToken(s.tok), nil
	}
	m, err := s.metadata()
	if err != nil {
		return nil, err
	}
	s.known = m
	if stale == "" {
		if c, ok := s.login.CachedToken(m); ok && s.fresh(c.Expiry) && s.optionsMatch(m) {
			if err := s.serveCached(c); err == nil {
				return cloneToken(s.tok), nil
			}
		}
	}
	var g store.Grant
	s.from = s.storageName(m) // unless refresh finds the token in the cache
	if stale == "" && s.fresh(m.ExpiresAt) {
		// The stored token is fresh, but not cached: read it.
		u, err := s.use()
		if err != nil {
			return nil, err
		}
		if g = u.grant; !s.fresh(g.Expiry) {
			g, err = s.refresh(ctx, stale, m)
		} else {
			s.login.CacheIfCurrent(u.meta, g) // the next call need not read the keychain
		}
		if err != nil {
			return nil, err
		}
	} else {
		// A refresh is due: the keychain is read under the lock only,
		// by one process at a time, and not at all by the processes
		// that find the refreshed token in the cache while they wait.
		if g, err = s.refresh(ctx, stale, m); err != nil {
			return nil, err
		}
	}
	s.tok = &oauth2.Token{AccessToken: g.AccessToken, TokenType: "Bearer", Expiry: g.Expiry}
	return cloneToken(s.tok), nil
}

// storageName names where the login's tokens are stored.
func (s *Session) storageName(m *store.Metadata) string {
	if m.Storage == store.StorageFile {
		return "the token file"
	}
	return "the keychain"
}

// optionsMatch reports, before anything is read from the keychain,
// whether the Options' client id and auth server are the login's (use
// says what is wrong when they are not, once it has read the grant).
func (s *Session) optionsMatch(m *store.Metadata) bool {
	return s.conflict(m.ClientID, cmp.Or(m.AuthURL, DefaultAuthURL)) == nil
}

// serveCached makes a token from the token cache the session's, with the
// API server it is for (or ATL_API_URL's). s.mu is held.
func (s *Session) serveCached(c store.Cached) error {
	if c.APIURL == "" {
		return errors.New("no API server in the cached entry")
	}
	api, err := s.apiFor(c.APIURL)
	if err != nil {
		return err
	}
	s.api = api
	s.from = s.store.TokenCacheName()
	s.tok = &oauth2.Token{AccessToken: c.AccessToken, TokenType: "Bearer", Expiry: c.Expiry}
	return nil
}

func cloneToken(t *oauth2.Token) *oauth2.Token {
	c := *t
	return &c
}

// fresh reports whether a token that expires at expiry is still worth
// serving.
func (s *Session) fresh(expiry time.Time) bool {
	return expiry.Sub(s.now()) > s.minValid
}

// TokenSource returns an oauth2.TokenSource over the login. It serves the
// access token the Session keeps in memory while it has more than
// ExpiryMargin left, else the stored one, else a refreshed one (taking the
// login's lock and storing the rotation first). ctx governs the
// refreshes, as in oauth2.NewClient.
func (s *Session) TokenSource(ctx context.Context) oauth2.TokenSource {
	return tokenSource{ctx: ctx, s: s}
}

type tokenSource struct {
	ctx context.Context
	s   *Session
}

func (t tokenSource) Token() (*oauth2.Token, error) { return t.s.token(t.ctx, "") }
