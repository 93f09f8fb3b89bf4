package auth

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// LoginRequiredError reports that there is no usable stored login: none was
// made, it was removed, its data is unreadable, or Atlassian rejected the
// grant (or a service account's secret). Only a new login repairs it (or,
// for the client credentials of Options.Grant, their current secret).
type LoginRequiredError struct {
	// Profile is the profile whose login is missing; "" for the client
	// credentials of Options.Grant, which no profile stores.
	Profile string
	Reason  string // what is wrong, e.g. "not logged in"
	// ServiceAccount is the client id of the service account whose
	// secret Atlassian refused, if that is what is wrong.
	ServiceAccount string
	// Ended says which of Atlassian's limits probably ended a person's
	// login whose refresh it refused: "consent" (365 days after the
	// consent), "unused" (90 days without a refresh), or "revoked"
	// (neither: the app was removed from the account, or a refresh token
	// was used twice); "" otherwise, or when the login's times are not
	// known.
	Ended string
	Err   error
}

func (e *LoginRequiredError) Error() string {
	if e.Profile == "" || e.Profile == DefaultProfile {
		return e.Reason
	}
	return fmt.Sprintf("%s (profile %q)", e.Reason, e.Profile)
}

func (e *LoginRequiredError) Unwrap() error { return e.Err }

// TokenError reports a failed OAuth request: an answer of Atlassian's
// token endpoint, in the manner of oauth2.RetrieveError but without the
// response body, which can carry secrets; or, with Consent, the error the
// consent page sent to the callback in place of a code.
type TokenError struct {
	Status int    // the HTTP status; 0 when no answer was read
	Code   string // the OAuth error code, e.g. "invalid_grant", if the server sent one
	Reason string // what went wrong, in words (the server's own, with Consent)
	// Consent is set for an error the consent page sent (but for the
	// user's own refusal, which is ErrAccessDenied).
	Consent bool
	// MissingScope names a scope the grant needs but was not given:
	// "offline_access" when a code exchange yields no refresh token.
	MissingScope string
	// RetryAfter is the server's Retry-After, if it sent one.
	RetryAfter time.Duration
	Err        error
}

func (e *TokenError) Error() string {
	var b strings.Builder
	if e.Consent {
		b.WriteString("authorization failed: " + cmp.Or(e.Code, "the consent page sent a malformed error"))
		if e.Reason != "" {
			b.WriteString(": " + e.Reason)
		}
		return b.String()
	}
	b.WriteString("token request failed: ")
	b.WriteString(e.Reason)
	if e.Status != 0 {
		b.WriteString(" (HTTP " + strconv.Itoa(e.Status))
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		b.WriteString(")")
	}
	return b.String()
}

func (e *TokenError) Unwrap() error { return e.Err }

// DeadGrant reports that the refresh token or authorization code is no
// longer valid: only a new login helps.
func (e *TokenError) DeadGrant() bool {
	return e.Code == "invalid_grant" || e.Code == "unauthorized_client"
}

// BadClient reports that Atlassian does not accept the client id or
// secret: a configuration error, never worth retrying.
func (e *TokenError) BadClient() bool {
	return e.Code == "invalid_client" || e.Status == http.StatusUnauthorized
}

// Retryable reports a failure worth another try: rate limits, server
// errors, timeouts and dropped connections.
func (e *TokenError) Retryable() bool {
	if e.BadClient() || e.DeadGrant() || e.Consent {
		return false
	}
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || (e.Status == 0 && !errors.Is(e.Err, errMalformed))
}

// ConfigError reports a setting that is missing or malformed, or that
// contradicts the stored login: a mistake in how the Session or login is
// set up rather than a failure.
type ConfigError struct {
	// Setting is the one at fault: "profile", "client id", "callback
	// URL", "auth URL", "API URL", "site", "token" or "scopes".
	Setting string
	Value   string // the value at fault; "" when the setting is missing
	// Stored is the stored login's value when Value contradicts it: a
	// grant is only ever used with the client and server that issued it.
	Stored string
	Err    error // what is wrong with Value, if it is malformed
}

func (e *ConfigError) Error() string {
	switch {
	case e.Stored != "":
		return fmt.Sprintf("the %s %s is not this login's, %s", e.Setting, e.Value, e.Stored)
	case e.Err != nil:
		return e.Err.Error()
	default:
		return "no " + e.Setting + " is set"
	}
}

func (e *ConfigError) Unwrap() error { return e.Err }

// APIError is a non-2xx answer from the Atlassian API.
type APIError struct {
	Method string
	Path   string
	Status int
}

func (e *APIError) Error() string {
	hint := ""
	switch e.Status {
	case 401:
		hint = ": the access token was not accepted"
	case 403:
		hint = ": the grant lacks a scope this call needs"
	case 404:
		hint = ": not found, or not visible to this app"
	case 429:
		hint = ": rate limited"
	}
	return fmt.Sprintf("%s %s: HTTP %d%s", e.Method, e.Path, e.Status, hint)
}

// The sign-in of a Login did not complete:
var (
	// ErrAccessDenied: the user declined the consent screen.
	ErrAccessDenied = errors.New("you declined access on the consent screen")
	// ErrSignInTimeout: nobody signed in within LoginOptions.Timeout.
	ErrSignInTimeout = errors.New("no sign-in")
	// ErrLinkReused: the one-time sign-in link was opened twice, so
	// another program on this machine may have read it.
	ErrLinkReused = errors.New("the sign-in link was opened twice (by another program, or a second time by hand), so the login was stopped")
	// ErrNoSite: the grant reaches no Atlassian site.
	ErrNoSite = errors.New("this login reaches no site")
)

// oauthText is s if it is text an OAuth error may carry (RFC 6749: printable
// ASCII but for '"' and '\') of at most max bytes, else "": what a server
// sends is checked on the way in, never altered.
func oauthText(s string, max int) string {
	if len(s) > max {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return ""
		}
	}
	return s
}

// quoteShort quotes s for a message, cut to 64 bytes: a value that does
// not pass a check can be anything.
func quoteShort(s string) string {
	if len(s) > 64 {
		s = strings.ToValidUTF8(s[:64], "") + "…"
	}
	return strconv.Quote(s)
}
