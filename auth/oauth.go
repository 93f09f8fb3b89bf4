package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/atl-cli/atl/internal/retry"
	"github.com/atl-cli/atl/store"
	"golang.org/x/oauth2"
)

// errMalformed marks a token response that was read but cannot be
// used.
var errMalformed = errors.New("malformed token response")

// checkTokenResponse rejects what x/oauth2 lets through but atl cannot use.
func checkTokenResponse(tok *oauth2.Token, needRefresh bool) error {
	malformed := func(reason string, err error) error {
		return &TokenError{Status: http.StatusOK, Reason: reason, Err: err}
	}
	scope, _ := tok.Extra("scope").(string)
	switch {
	case tok.AccessToken == "":
		return malformed("the response has no access token", errMalformed)
	case !store.ValidToken(tok.AccessToken) || (tok.RefreshToken != "" && !store.ValidToken(tok.RefreshToken)):
		return malformed("a token in the response is not a bearer token", errMalformed)
	case !validScope(scope):
		return malformed("the granted scope is malformed", errMalformed)
	case tok.ExpiresIn <= 0:
		return malformed("the response has no valid expires_in", errMalformed)
	case needRefresh && tok.RefreshToken == "":
		return &TokenError{Status: http.StatusOK, Reason: "no refresh token was granted", MissingScope: "offline_access", Err: errMalformed}
	case tok.TokenType != "" && !strings.EqualFold(tok.TokenType, "bearer"):
		return malformed("the token type is not Bearer", errMalformed)
	}
	return nil
}

// validScopeToken reports whether s is RFC 6749's scope-token: printable
// ASCII but for space, '"' and '\'.
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// validScope reports whether s is a space-separated list of scope tokens
// (or empty).
func validScope(s string) bool {
	for _, t := range strings.Split(s, " ") {
		if t != "" && !validScopeToken(t) {
			return false
		}
	}
	return len(s) <= 4096
}

// tokenError turns an error from x/oauth2 into a *TokenError (or the
// context's error) without keeping the response body:
// RetrieveError.Error includes it, and a body can carry secrets.
func tokenError(err error) error {
	var te *TokenError
	if errors.As(err, &te) {
		return err
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e := &TokenError{Code: oauthText(re.ErrorCode, 64)}
		if re.Response != nil {
			e.Status = re.Response.StatusCode
			e.RetryAfter, _ = retry.After(re.Response.Header, time.Now())
		}
		switch {
		case e.BadClient():
			e.Reason = "Atlassian does not accept the client id or secret"
		case e.DeadGrant():
			e.Reason = "Atlassian rejected the grant"
		case e.Status == http.StatusTooManyRequests:
			e.Reason = "rate limited by Atlassian"
		case e.Status >= 500:
			e.Reason = "Atlassian's token endpoint failed"
		case e.Status/100 == 2:
			e.Reason = "the response carries an error"
		default:
			e.Reason = "Atlassian refused the request"
		}
		return e
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		reason := "could not reach Atlassian's token endpoint"
		if isTimeout(ue.Err) {
			reason = "Atlassian's token endpoint did not answer in time"
		}
		return &TokenError{Reason: reason, Err: ue.Err}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// x/oauth2 reports unparseable bodies and read failures as plain
	// errors; their text may quote the body, so it is not kept.
	return &TokenError{Reason: "the token endpoint's response could not be read", Err: errMalformed}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// grantFrom is the grant a token response makes of prev: the new access
// token, its expiry counted from when the response was received, and the
// rotated refresh token (prev's when the response names none).
func grantFrom(tok *oauth2.Token, received time.Time, prev store.Grant) store.Grant {
	g := prev
	g.AccessToken = tok.AccessToken
	g.TokenType = "Bearer"
	g.Expiry = received.Add(time.Duration(tok.ExpiresIn) * time.Second).UTC()
	if tok.RefreshToken != "" {
		g.RefreshToken = tok.RefreshToken
	}
	return g
}

// oauthConfig returns the x/oauth2 configuration of a client. The
// AuthStyle is explicit: with auto-detection x/oauth2 replays a failed
// token request in another style, which would spend a rotating refresh
// token twice.
func oauthConfig(clientID, secret, authURL, redirectURL string, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: secret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   authURL + "/authorize",
			TokenURL:  authURL + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirectURL,
		Scopes:      scopes,
	}
}

// grantedScopes returns the scope the token response names, or asked when
// it names none.
func grantedScopes(tok *oauth2.Token, asked []string) []string {
	if s, ok := tok.Extra("scope").(string); ok && s != "" {
		return strings.Fields(s)
	}
	return asked
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
