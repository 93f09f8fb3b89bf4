package auth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestConfigErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  *ConfigError
		want string
	}{
		{&ConfigError{Setting: "auth URL", Value: "https://a.example", Stored: "https://auth.atlassian.com"},
			"the auth URL https://a.example is not this login's, https://auth.atlassian.com"},
		{&ConfigError{Setting: "API URL", Value: "x", Err: errors.New("API URL must use https")}, "API URL must use https"},
		{&ConfigError{Setting: "client id"}, "no client id is set"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestTokenErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err                 *TokenError
		want                string
		retry, dead, client bool
	}{
		{&TokenError{Status: 400, Code: "invalid_grant", Reason: "Atlassian rejected the grant"}, "token request failed: Atlassian rejected the grant (HTTP 400 invalid_grant)", false, true, false},
		{&TokenError{Status: 503, Reason: "down"}, "token request failed: down (HTTP 503)", true, false, false},
		{&TokenError{Reason: "could not reach it", Err: errors.New("dial")}, "token request failed: could not reach it", true, false, false},
		{&TokenError{Status: 401, Reason: "no"}, "token request failed: no (HTTP 401)", false, false, true},
		{&TokenError{Consent: true, Code: "invalid_scope", Reason: "read:x is not a scope"}, "authorization failed: invalid_scope: read:x is not a scope", false, false, false},
		{&TokenError{Consent: true}, "authorization failed: the consent page sent a malformed error", false, false, false},
	} {
		if got := tc.err.Error(); got != tc.want || tc.err.Retryable() != tc.retry || tc.err.DeadGrant() != tc.dead || tc.err.BadClient() != tc.client {
			t.Errorf("%+v: %q (retry %v, dead %v, client %v), want %q (%v %v %v)", tc.err, got, tc.err.Retryable(), tc.err.DeadGrant(), tc.err.BadClient(), tc.want, tc.retry, tc.dead, tc.client)
		}
	}
}

func TestOAuthTextIsCheckedNotAltered(t *testing.T) {
	for s, want := range map[string]string{
		"invalid_scope":           "invalid_scope",
		"The scope is <unknown>.": "The scope is <unknown>.",
		"server_error\x1b[2J":     "",
		"caf\u00e9":               "",
		"a \"quoted\" word":       "",
		"back\\slash":             "",
		"\x1b[2Jclear":            "",
		"bidi \u202e":             "",
		"tab\there":               "",
		strings.Repeat("x", 500):  strings.Repeat("x", 500),
		strings.Repeat("x", 501):  "",
	} {
		if got := oauthText(s, 500); got != want {
			t.Errorf("oauthText(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestGetJSONSizeLimit(t *testing.T) {
	size := maxBody
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A JSON list padded with spaces to size bytes.
		_, _ = io.WriteString(w, "[]"+strings.Repeat(" ", size-2))
	}))
	defer srv.Close()
	var v []any
	if err := getJSON(context.Background(), srv.Client(), srv.URL, "/x", &v); err != nil {
		t.Fatalf("a body of %d bytes: %v", maxBody, err)
	}
	size = maxBody + 1
	err := getJSON(context.Background(), srv.Client(), srv.URL, "/x", &v)
	if err == nil || err.Error() != "GET /x: response larger than 1048576 bytes" {
		t.Fatalf("a body of %d bytes: %v", maxBody+1, err)
	}
}
