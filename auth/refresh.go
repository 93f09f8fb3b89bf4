package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/atl-cli/atl/store"
	"golang.org/x/oauth2"
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
	s.api = ep.apiURL
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
	g := u.grant
	if g.AccessToken != stale && s.fresh(g.Expiry) {
		return g, nil
	}
	for rereads := 0; ; rereads++ {
		ng, err := s.spend(ctx, u.ep, g)
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
			reason := fmt.Sprintf("Atlassian rejected the stored grant (HTTP %d %s)", te.Status, te.Code)
			if err := s.login.MarkDead(u.meta, reason, s.now()); err != nil {
				return store.Grant{}, err
			}
			return store.Grant{}, s.loginRequired(reason, te)
		}
		if errors.As(err, &te) && te.Retryable() && g.AccessToken != "" && g.AccessToken != stale && g.Expiry.After(s.now()) {
			// Atlassian is unreachable but the stored token still works
			// for a little while: serve it rather than fail a script.
			return g, nil
		}
		if err != nil {
			return store.Grant{}, err
		}
		if err := s.login.SaveRefreshed(u.meta, ng); err != nil {
			return store.Grant{}, err
		}
		if err := ctx.Err(); err != nil {
			return store.Grant{}, err // the rotation is stored: now honour the interrupt
		}
		return ng, nil
	}
}

// spend makes the refresh request, with bounded retries, and returns the
// new grant.
func (s *Session) spend(ctx context.Context, ep endpoints, g store.Grant) (store.Grant, error) {
	cfg := oauthConfig(ep.clientID, cmp.Or(s.opts.ClientSecret, g.ClientSecret), ep.authURL, "", nil)
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return store.Grant{}, err // interrupted before the request was sent
		}
		// Once sent, the request is finished whatever happens to ctx (an
		// interrupt): its answer holds the rotated refresh token, which
		// is stored before the interrupt is honoured.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestBound)
		rctx = context.WithValue(rctx, oauth2.HTTPClient, s.tokenClient())
		tok, err := cfg.TokenSource(rctx, &oauth2.Token{RefreshToken: g.RefreshToken}).Token()
		cancel()
		received := s.now()
		if err == nil {
			err = checkTokenResponse(tok, false)
		}
		if err == nil {
			ng := grantFrom(tok, received, g)
			ng.AuthURL, ng.APIURL = ep.authURL, ep.grantAPI
			return ng, nil
		}
		err = tokenError(err)
		var te *TokenError
		if !errors.As(err, &te) || !te.Retryable() {
			return store.Grant{}, err
		}
		if attempt >= s.hooks.Retry.Attempts {
			e := *te
			e.Reason += fmt.Sprintf(" (gave up after %d tries)", attempt)
			return store.Grant{}, &e
		}
		d, ok := retryPolicy(s.hooks.Retry).delay(attempt, te.RetryAfter)
		if !ok {
			e := *te
			e.Reason += ": Atlassian asks to wait " + d.Round(time.Second).String()
			return store.Grant{}, &e
		}
		if err := s.hooks.Retry.Sleep(ctx, d); err != nil {
			return store.Grant{}, err
		}
	}
}
