package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/atl-cli/atl/store"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenRequest makes a token request (fetch), with bounded retries, and
// returns the token, checked, and when its answer arrived. Once sent, a
// request is finished whatever happens to ctx (an interrupt): the answer
// to a refresh holds the rotated refresh token, which is stored before
// the interrupt is honoured.
func (s *Session) tokenRequest(ctx context.Context, fetch func(context.Context) (*oauth2.Token, error)) (*oauth2.Token, time.Time, error) {
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, time.Time{}, err // interrupted before the request was sent
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestBound)
		rctx = context.WithValue(rctx, oauth2.HTTPClient, s.tokenClient())
		tok, err := fetch(rctx)
		cancel()
		received := s.now()
		if err == nil {
			err = checkTokenResponse(tok, false)
		}
		if err == nil {
			return tok, received, nil
		}
		err = tokenError(err)
		var te *TokenError
		if !errors.As(err, &te) || !te.Retryable() {
			return nil, time.Time{}, err
		}
		if attempt >= s.hooks.Retry.Attempts {
			e := *te
			e.Reason += fmt.Sprintf(" (gave up after %d tries)", attempt)
			return nil, time.Time{}, &e
		}
		d, ok := retryPolicy(s.hooks.Retry).delay(attempt, te.RetryAfter)
		if !ok {
			e := *te
			e.Reason += ": Atlassian asks to wait " + d.Round(time.Second).String()
			return nil, time.Time{}, &e
		}
		if err := s.hooks.Retry.Sleep(ctx, d); err != nil {
			return nil, time.Time{}, err
		}
	}
}

// spend makes the refresh request and returns the new grant and when it
// was received.
func (s *Session) spend(ctx context.Context, ep endpoints, g store.Grant) (store.Grant, time.Time, error) {
	cfg := oauthConfig(ep.clientID, cmp.Or(s.opts.ClientSecret, g.ClientSecret), ep.authURL, "", nil)
	tok, received, err := s.tokenRequest(ctx, func(rctx context.Context) (*oauth2.Token, error) {
		return cfg.TokenSource(rctx, &oauth2.Token{RefreshToken: g.RefreshToken}).Token()
	})
	if err != nil {
		return store.Grant{}, time.Time{}, err
	}
	ng := grantFrom(tok, received, g)
	ng.AuthURL, ng.APIURL = ep.authURL, ep.grantAPI
	return ng, received, nil
}

// mint asks the authorization server authURL for an access token with a
// service account's client credentials (no browser, no refresh token).
// The AuthStyle is explicit, as for every token request of atl's.
func (s *Session) mint(ctx context.Context, clientID, secret, authURL string) (*oauth2.Token, time.Time, error) {
	cfg := &clientcredentials.Config{
		ClientID:     clientID,
		ClientSecret: secret,
		TokenURL:     authURL + "/oauth/token",
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	return s.tokenRequest(ctx, func(rctx context.Context) (*oauth2.Token, error) {
		tok, err := cfg.Token(rctx)
		if err != nil {
			return nil, err
		}
		// clientcredentials keeps expires_in only as the Expiry it made
		// of it (by its own clock), and a refresh token has no place
		// here.
		tok.ExpiresIn, tok.RefreshToken = expiresIn(tok), ""
		return tok, nil
	})
}

// expiresIn is the expires_in of a token response (a JSON number, or a
// form value), or 0.
func expiresIn(tok *oauth2.Token) int64 {
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		if v >= 1 && v < 1<<31 {
			return int64(v)
		}
	case int64:
		return v
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

// remint mints a new access token for a service account's login from its
// client credentials (ATL_CLIENT_SECRET's, else the stored secret), and
// stores it. The lock is held.
func (s *Session) remint(ctx context.Context, u *grantInUse, stale string) (store.Grant, error) {
	g := u.grant
	tok, received, err := s.mint(ctx, u.ep.clientID, cmp.Or(s.opts.ClientSecret, g.ClientSecret), u.ep.authURL)
	var te *TokenError
	if errors.As(err, &te) && (te.BadClient() || te.DeadGrant()) {
		return store.Grant{}, refusedSecret(s.Profile(), u.meta.ClientID, u.meta.Name, te)
	}
	if s.stillServes(err, g, stale) {
		return g, nil
	}
	if err != nil {
		return store.Grant{}, err
	}
	ng := grantFrom(tok, received, g)
	ng.AuthURL, ng.APIURL = u.ep.authURL, u.ep.grantAPI
	return s.saveRenewed(ctx, u.meta, ng)
}

// refusedSecret is the *LoginRequiredError of profile's service account
// (clientID, named name when known), whose client credentials Atlassian
// refused (te).
func refusedSecret(profile, clientID, name string, te *TokenError) error {
	who := clientID
	if name != "" {
		who = fmt.Sprintf("%q (client id %s)", name, clientID)
	}
	return &LoginRequiredError{
		Profile:        profile,
		Reason:         fmt.Sprintf("Atlassian refused the client secret of service account %s: HTTP %d %s", who, te.Status, cmp.Or(te.Code, "without an error code")),
		ServiceAccount: clientID,
		Err:            te,
	}
}
