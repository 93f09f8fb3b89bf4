// What a test does to a running Server: counters, revocations, the last
// requests seen, tokens minted by hand.

package authtest

import (
	"net/url"
	"slices"
)

// SetDeny sets whether consent pages served from now on deny (true) or
// approve (false) the request.
func (s *Server) SetDeny(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = deny
}

// Count returns how many requests were counted under name since the start or
// the last ResetCounts. Names: "authorize", "consent", "token" (every token
// request), "token:authorization_code", "token:refresh_token" (and
// "token:<grant_type>" for any other grant type, as
// "token:client_credentials"), "accessible-resources", "me", "myself",
// "tenant_info".
func (s *Server) Count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[name]
}

// ResetCounts sets every counter to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.counts)
}

// RevokeGrants kills every refresh token and access token issued so far, as
// if the user had revoked the app. It does not make GrantRevoked true.
func (s *Server) RevokeGrants() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.grants {
		g.revoked = true
	}
}

// ExpireAccessTokens makes the API endpoints treat every access token issued
// so far as expired. Refresh tokens are unaffected.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, at := range s.access {
		at.expired = true
	}
}

// GrantRevoked reports whether a grant was revoked because a rotated
// refresh token was used again.
func (s *Server) GrantRevoked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grantRevoked
}

// LastTokenRequest returns a copy of the body fields (form or JSON) of the
// last token request, or nil if there was none. HTTP Basic credentials are
// not included.
func (s *Server) LastTokenRequest() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneValues(s.lastToken)
}

// LastAuthorizeQuery returns a copy of the query of the last /authorize
// request, or nil if there was none.
func (s *Server) LastAuthorizeQuery() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneValues(s.lastAuthorize)
}

// IssueTokens mints tokens for a new grant of scopes to the configured client
// without going through the browser flow, as a successful code exchange
// would. refreshToken is empty unless scopes include offline_access.
func (s *Server) IssueTokens(scopes ...string) (accessToken, refreshToken string) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &grant{clientID: s.opts.ClientID, scopes: slices.Clone(scopes), created: now}
	s.grants = append(s.grants, g)
	tr := s.issueLocked(g, now)
	return tr.AccessToken, tr.RefreshToken
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

func (s *Server) inc(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[name]++
}
