package auth

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// LoginRequiredError reports that there is no usable stored login: none was
// made, it was removed, its data is unreadable, or Atlassian rejected the
// grant. The only fix is `atl login`.
type LoginRequiredError struct {
	Profile string
	Reason  string
	Err     error
}

func (e *LoginRequiredError) Error() string {
	return fmt.Sprintf("%s; run `atl login`", e.Reason)
}

func (e *LoginRequiredError) Unwrap() error { return e.Err }

// ErrAccessDenied reports that the user declined the consent screen.
var ErrAccessDenied = errors.New("you declined access on the consent screen")

// AuthorizeError is an error the authorization server sent to the callback
// instead of a code (other than access_denied).
type AuthorizeError struct {
	Code        string
	Description string
}

func (e *AuthorizeError) Error() string {
	msg := "authorization failed: " + e.Code
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// ClientError reports that the token endpoint does not accept the client's
// credentials (invalid_client). It is a configuration error; atl does not
// retry it.
type ClientError struct {
	ClientID string
	Status   int
}

func (e *ClientError) Error() string {
	return fmt.Sprintf("Atlassian rejected client id %q (HTTP %d invalid_client): check ATL_CLIENT_ID and ATL_CLIENT_SECRET against the app in the developer console", e.ClientID, e.Status)
}

// TokenEndpointError reports a failed token request that is neither a dead
// grant nor a client error. It never holds the response body, which can
// carry secrets.
type TokenEndpointError struct {
	Status int    // 0 when no HTTP answer was read
	Code   string // the OAuth error code, if the server sent one
	Reason string
	Err    error
}

func (e *TokenEndpointError) Error() string {
	var b strings.Builder
	b.WriteString("token request failed: ")
	b.WriteString(e.Reason)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		b.WriteString(")")
	}
	return b.String()
}

func (e *TokenEndpointError) Unwrap() error { return e.Err }

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
		hint = ": rate limited, try again later"
	}
	return fmt.Sprintf("%s %s: HTTP %d%s", e.Method, e.Path, e.Status, hint)
}

// CleanText makes text from a server safe to show on a terminal: escape
// sequences (CSI and OSC) are removed whole, other control and format
// characters dropped, and the result cut to max runes.
func CleanText(s string, max int) string {
	var b strings.Builder
	rs := []rune(s)
	n := 0
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == 0x1b || r == 0x9b || r == 0x9d {
			i = skipEscape(rs, i)
			continue
		}
		if unicode.IsControl(r) || r == unicode.ReplacementChar || unicode.Is(unicode.Cf, r) {
			continue
		}
		if n >= max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// skipEscape returns the index of the last rune of the escape sequence
// starting at rs[i].
func skipEscape(rs []rune, i int) int {
	kind := rs[i]
	if kind == 0x1b {
		if i+1 >= len(rs) {
			return i
		}
		switch rs[i+1] {
		case '[':
			kind = 0x9b
		case ']', 'P', '_', '^':
			kind = 0x9d
		default:
			return i + 1 // a two-character escape
		}
		i++
	}
	for j := i + 1; j < len(rs); j++ {
		switch {
		case kind == 0x9b && rs[j] >= 0x40 && rs[j] <= 0x7e:
			return j
		case kind == 0x9d && (rs[j] == 0x07 || rs[j] == 0x9c):
			return j
		case kind == 0x9d && rs[j] == 0x1b && j+1 < len(rs) && rs[j+1] == '\\':
			return j + 1
		}
	}
	return len(rs) - 1
}
