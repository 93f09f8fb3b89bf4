package authtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNoRefreshTokenWithoutOfflineAccess(t *testing.T) {
	e := newEnv(t, Options{})
	tr := e.tokens(t, e.codeParams(e.login(t, "read:me")))
	if tr.RefreshToken != "" || tr.Scope != "read:me" || tr.ExpiresIn != 3600 {
		t.Errorf("token response = %+v", tr)
	}
}

func TestGrantScopes(t *testing.T) {
	e := newEnv(t, Options{GrantScopes: func(asked []string) []string {
		return slices.DeleteFunc(asked, func(s string) bool { return s == "write:jira-work" })
	}})
	tr := e.tokens(t, e.codeParams(e.login(t, "offline_access read:jira-work write:jira-work")))
	if tr.Scope != "offline_access read:jira-work" || tr.RefreshToken == "" {
		t.Fatalf("token response = %+v", tr)
	}
	// The refreshed grant keeps what was granted.
	tr = e.tokens(t, e.refreshParams(tr.RefreshToken))
	if tr.Scope != "offline_access read:jira-work" {
		t.Fatalf("refresh response = %+v", tr)
	}
}

func TestPKCEAndRedirectMismatch(t *testing.T) {
	e := newEnv(t, Options{})
	for name, mod := range map[string]func(url.Values){
		"wrong verifier": func(p url.Values) { p.Set("code_verifier", strings.Repeat("a", 43)) },
		"short verifier": func(p url.Values) { p.Set("code_verifier", testVerifier[:42]) },
		"no verifier":    func(p url.Values) { p.Del("code_verifier") },
		"redirect slash": func(p url.Values) { p.Set("redirect_uri", e.s.opts.RedirectURI+"/") },
		"localhost": func(p url.Values) {
			p.Set("redirect_uri", strings.Replace(e.s.opts.RedirectURI, "127.0.0.1", "localhost", 1))
		},
		"no redirect": func(p url.Values) { p.Del("redirect_uri") },
	} {
		t.Run(name, func(t *testing.T) {
			p := e.codeParams(e.login(t, testScopes))
			mod(p)
			wantError(t, e.postToken(t, p), 403, "invalid_grant")
			// The failed attempt burned the code.
			wantError(t, e.postToken(t, e.codeParams(p.Get("code"))), 403, "invalid_grant")
		})
	}
}

func TestCodeSingleUseAndExpiry(t *testing.T) {
	clock := NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, Options{Now: clock.Now})
	p := e.codeParams(e.login(t, testScopes))
	e.tokens(t, p)
	wantError(t, e.postToken(t, p), 403, "invalid_grant")
	wantError(t, e.postToken(t, e.codeParams("bogus")), 403, "invalid_grant")

	p = e.codeParams(e.login(t, testScopes))
	clock.Advance(AuthCodeTTL)
	wantError(t, e.postToken(t, p), 403, "invalid_grant")
}

func TestRefreshRotationAndReuse(t *testing.T) {
	e := newEnv(t, Options{ClientSecret: testSecret})
	tr1 := e.tokens(t, e.codeParams(e.login(t, testScopes)))
	other := e.tokens(t, e.codeParams(e.login(t, testScopes))) // an unrelated grant

	tr2 := e.tokens(t, e.refreshParams(tr1.RefreshToken))
	if tr2.RefreshToken == "" || tr2.RefreshToken == tr1.RefreshToken || tr2.AccessToken == tr1.AccessToken || tr2.Scope != testScopes {
		t.Fatalf("refresh did not rotate: %+v", tr2)
	}
	if e.s.Count("token:refresh_token") != 1 || e.s.GrantRevoked() {
		t.Fatal("unexpected state after one refresh")
	}
	if r := e.api(t, "/me", tr2.AccessToken); r.status != 200 {
		t.Fatalf("/me with refreshed token: %d", r.status)
	}

	// Unknown token: 403, no revocation.
	r := e.postToken(t, e.refreshParams("nope"))
	if r.status != 403 || r.body != InvalidRefreshTokenBody || e.s.GrantRevoked() {
		t.Fatalf("unknown refresh token: %d %q revoked=%v", r.status, r.body, e.s.GrantRevoked())
	}

	// Reuse of the rotated token: 403 with the exact body, grant revoked.
	r = e.postToken(t, e.refreshParams(tr1.RefreshToken))
	if r.status != 403 || r.body != InvalidRefreshTokenBody {
		t.Fatalf("reuse: %d %q", r.status, r.body)
	}
	if !e.s.GrantRevoked() {
		t.Fatal("GrantRevoked = false after reuse")
	}
	if r := e.postToken(t, e.refreshParams(tr2.RefreshToken)); r.status != 403 || r.body != InvalidRefreshTokenBody {
		t.Fatalf("newest refresh token after revocation: %d %q", r.status, r.body)
	}
	for _, at := range []string{tr1.AccessToken, tr2.AccessToken} {
		if r := e.api(t, "/me", at); r.status != 401 || r.body != `{"code":401,"message":"Unauthorized"}` {
			t.Fatalf("/me with revoked token: %d %s", r.status, r.body)
		}
	}
	// The unrelated grant survives.
	if r := e.api(t, "/me", other.AccessToken); r.status != 200 {
		t.Fatalf("other grant /me: %d", r.status)
	}
	e.tokens(t, e.refreshParams(other.RefreshToken))
}

func TestRevokeGrants(t *testing.T) {
	e := newEnv(t, Options{})
	at, rt := e.s.IssueTokens("read:me", "offline_access")
	if r := e.api(t, "/me", at); r.status != 200 {
		t.Fatalf("/me: %d", r.status)
	}
	e.s.RevokeGrants()
	if r := e.api(t, "/me", at); r.status != 401 {
		t.Fatalf("/me after RevokeGrants: %d", r.status)
	}
	if r := e.postToken(t, e.refreshParams(rt)); r.status != 403 || r.body != InvalidRefreshTokenBody {
		t.Fatalf("refresh after RevokeGrants: %d %s", r.status, r.body)
	}
	if e.s.GrantRevoked() {
		t.Error("GrantRevoked = true after RevokeGrants")
	}
	// New grants work.
	at, _ = e.s.IssueTokens("read:me")
	if r := e.api(t, "/me", at); r.status != 200 {
		t.Fatalf("/me with new grant: %d", r.status)
	}
}

func TestClientAuthentication(t *testing.T) {
	e := newEnv(t, Options{ClientSecret: testSecret})
	code := e.login(t, testScopes)

	p := e.codeParams(code)
	p.Set("client_secret", "wrong")
	wantError(t, e.postToken(t, p), 401, "invalid_client")
	p.Del("client_secret")
	wantError(t, e.postToken(t, p), 401, "invalid_client")
	p = e.codeParams(code)
	p.Set("client_id", "other")
	wantError(t, e.postToken(t, p), 401, "invalid_client")
	// Client auth is checked before the grant: the code is still good.

	// HTTP Basic, with the code still unused.
	p = e.codeParams(code)
	p.Del("client_id")
	p.Del("client_secret")
	req, _ := http.NewRequest("POST", e.s.URL()+"/oauth/token", strings.NewReader(p.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testClientID, testSecret)
	if r, err := do(t, nil, req); err != nil || r.status != 200 {
		t.Fatalf("Basic auth: %d %s %v", r.status, r.body, err)
	}

	// JSON body.
	tr := e.tokens(t, e.codeParams(e.login(t, testScopes)))
	b, _ := json.Marshal(map[string]string{
		"grant_type": "refresh_token", "client_id": testClientID, "client_secret": testSecret, "refresh_token": tr.RefreshToken,
	})
	req, _ = http.NewRequest("POST", e.s.URL()+"/oauth/token", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if r, err := do(t, nil, req); err != nil || r.status != 200 {
		t.Fatalf("JSON refresh: %d %s %v", r.status, r.body, err)
	}
	if got := e.s.LastTokenRequest().Get("grant_type"); got != "refresh_token" {
		t.Errorf("LastTokenRequest grant_type = %q", got)
	}

	wantError(t, e.postToken(t, url.Values{"grant_type": {"password"}, "client_id": {testClientID}, "client_secret": {testSecret}}), 400, "unsupported_grant_type")
	wantError(t, e.postToken(t, url.Values{"client_id": {testClientID}, "client_secret": {testSecret}}), 400, "invalid_request")
}

func TestPublicClient(t *testing.T) {
	e := newEnv(t, Options{})
	p := e.codeParams(e.login(t, testScopes))
	p.Del("client_secret")
	tr := e.tokens(t, p)
	p = e.refreshParams(tr.RefreshToken)
	p.Del("client_secret")
	e.tokens(t, p)
}
