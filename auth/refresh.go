package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/atl-cli/atl/store"
)

// requestBound bounds a token request once it is sent: it runs to its end
// even when the caller is interrupted.
const requestBound = 60 * time.Second

// tokenClient is the HTTP client for token requests: it follows no
// redirect, which would re-send the client secret and the refresh token
// to wherever a server points.
func (s *Session) tokenClient() *http.Client {
	c := *s.hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// maxRereads bounds how often a refresh that Atlassian rejected re-reads a
// newer grant written by another process before it gives up.
const maxRereads = 3

// grantInUse is a stored login ready to be used.
type grantInUse struct {
	meta  *store.Metadata
	grant store.Grant
	ep    endpoints
}

// use reads the login (metadata and secrets) and checks that the
// environment lets it be used. s.mu is held.
func (s *Session) use() (*grantInUse, error) {
	m, err := s.metadata()
	if err != nil {
		return nil, err
	}
	g, err := s.login.Grant(m)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, s.loginRequired("no tokens are stored for this login", err)
	case errors.Is(err, store.ErrCorrupt):
		return nil, s.loginRequired("the stored tokens are unreadable", err)
	case errors.Is(err, store.ErrForeignGrant):
		return nil, s.loginRequired(err.Error(), err)
	case err != nil:
		return nil, err
	}
	ep, err := s.grantEndpoints(m, g)
	if err != nil {
		return nil, err
	}
	s.api, s.known = ep.apiURL, m
	return &grantInUse{meta: m, grant: g, ep: ep}, nil
}

// refresh runs under the login's lock: it re-reads the store (another
// process may have refreshed while this one waited), and only if the
// access token is still not fresh, or is stale, spends the refresh token.
// The rotated grant is stored and read back before it is returned.
func (s *Session) refresh(ctx context.Context, stale string, m *store.Metadata) (store.Grant, error) {
	// While another process holds the lock (refreshing, most likely), the
	// token cache is watched: the new token shows there at once, and
	// waiting for the lock (and reading the keychain in turn) is then
	// needless.
	var fromCache store.Cached
	unlock, err := s.login.LockUnless(ctx, s.hooks.LockWait, func() bool {
		c, ok := s.login.CachedToken(m)
		if !ok || c.AccessToken == stale || !s.fresh(c.Expiry) || !s.optionsMatch(m) {
			return false // use, under the lock, says what is wrong
		}
		fromCache = c
		return true
	})
	if err != nil {
		return store.Grant{}, err
	}
	if unlock == nil {
		s.known = nil // another process changed the login
		if err := s.serveCached(fromCache); err != nil {
			return store.Grant{}, err
		}
		return store.Grant{AccessToken: fromCache.AccessToken, Expiry: fromCache.Expiry}, nil
	}
	defer unlock()

	u, err := s.use()
	if err != nil {
		return store.Grant{}, err
	}
	if g := u.grant; g.AccessToken != stale && s.fresh(g.Expiry) {
		return g, nil
	}
	if u.meta.Kind == store.KindServiceAccount {
		return s.remint(ctx, u, stale)
	}
	return s.rotate(ctx, u, stale)
}

// rotate spends the login's refresh token and stores the rotated grant.
// The lock is held.
func (s *Session) rotate(ctx context.Context, u *grantInUse, stale string) (store.Grant, error) {
	g := u.grant
	for rereads := 0; ; rereads++ {
		ng, received, err := s.spend(ctx, u.ep, g)
		var te *TokenError
		if errors.As(err, &te) && te.DeadGrant() {
			// Another writer may have rotated the token under us (a login
			// saves under the same lock, but an older atl might not).
			if _, g2, err2 := s.login.Load(); err2 == nil && g2.RefreshToken != g.RefreshToken && rereads < maxRereads {
				if s.fresh(g2.Expiry) {
					return g2, nil
				}
				g = g2
				continue
			}
			return store.Grant{}, s.deadGrant(u.meta, te)
		}
		if s.stillServes(err, g, stale) {
			return g, nil
		}
		if err != nil {
			return store.Grant{}, err
		}
		if ng.RefreshToken != g.RefreshToken {
			u.meta.RefreshIssuedAt = received.UTC()
		}
		return s.saveRenewed(ctx, u.meta, ng)
	}
}

// deadGrant records that Atlassian refused the login m describes (te),
// and is the *LoginRequiredError that says so, with the limit that
// probably ended it.
func (s *Session) deadGrant(m *store.Metadata, te *TokenError) error {
	reason := fmt.Sprintf("Atlassian rejected the stored grant (HTTP %d %s)", te.Status, te.Code)
	now := s.now()
	if err := s.login.MarkDead(m, reason, now); err != nil {
		return err
	}
	return &LoginRequiredError{Profile: s.Profile(), Reason: reason, Ended: endedBy(m, now), Err: te}
}

// stillServes reports whether the stored grant g may be served although
// getting a new token failed (err): Atlassian is out of reach, and its
// token still works for a little while, which beats failing a script.
func (s *Session) stillServes(err error, g store.Grant, stale string) bool {
	var te *TokenError
	return errors.As(err, &te) && te.Retryable() && g.AccessToken != "" && g.AccessToken != stale && g.Expiry.After(s.now())
}

// saveRenewed stores the new grant ng of the login m describes (read
// back) before it is served; then an interrupt is honoured.
func (s *Session) saveRenewed(ctx context.Context, m *store.Metadata, ng store.Grant) (store.Grant, error) {
	if err := s.login.SaveRefreshed(m, ng); err != nil {
		return store.Grant{}, err
	}
	if err := ctx.Err(); err != nil {
		return store.Grant{}, err // the rotation is stored: now honour the interrupt
	}
	return ng, nil
}
