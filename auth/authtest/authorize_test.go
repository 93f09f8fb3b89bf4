package authtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestFullFlow(t *testing.T) {
	e := newEnv(t, Options{ClientSecret: testSecret, TokenBytes: 6000, AccessTTL: 90 * time.Second})
	code := e.login(t, testScopes)
	q := e.s.LastAuthorizeQuery()
	if q.Get("prompt") != "consent" || q.Get("code_challenge_method") != "S256" {
		t.Errorf("LastAuthorizeQuery = %v", q)
	}

	tr := e.tokens(t, e.codeParams(code))
	if len(tr.AccessToken) != 6000 || len(tr.RefreshToken) != 6000 {
		t.Errorf("token lengths = %d, %d", len(tr.AccessToken), len(tr.RefreshToken))
	}
	if tr.ExpiresIn != 90 || tr.TokenType != "Bearer" || tr.Scope != testScopes {
		t.Errorf("token response = %+v", tr)
	}
	if got := e.s.LastTokenRequest().Get("redirect_uri"); got != e.s.opts.RedirectURI {
		t.Errorf("LastTokenRequest redirect_uri = %q", got)
	}

	r := e.api(t, "/oauth/token/accessible-resources", tr.AccessToken)
	var res []resource
	if err := json.Unmarshal([]byte(r.body), &res); err != nil || r.status != 200 {
		t.Fatalf("accessible-resources: %d %s", r.status, r.body)
	}
	if len(res) != 1 || res[0].ID != DefaultSiteID || res[0].URL != DefaultSiteURL || res[0].Name != "example" ||
		strings.Join(res[0].Scopes, " ") != "read:me read:jira-user" {
		t.Errorf("accessible-resources = %+v", res)
	}

	r = e.api(t, "/me", tr.AccessToken)
	var me map[string]any
	json.Unmarshal([]byte(r.body), &me)
	if r.status != 200 || me["account_id"] != DefaultAccountID || me["email"] != DefaultUserEmail ||
		me["name"] != DefaultUserName || me["account_status"] != "active" {
		t.Errorf("/me = %d %s", r.status, r.body)
	}

	r = e.api(t, myselfPath, tr.AccessToken)
	var my map[string]any
	json.Unmarshal([]byte(r.body), &my)
	if r.status != 200 || my["accountId"] != DefaultAccountID || my["displayName"] != DefaultUserName ||
		my["self"] != DefaultSiteURL+"/rest/api/3/user?accountId="+DefaultAccountID {
		t.Errorf("myself = %d %s", r.status, r.body)
	}

	for name, want := range map[string]int{
		"authorize": 1, "consent": 1, "token": 1, "token:authorization_code": 1,
		"token:refresh_token": 0, "accessible-resources": 1, "me": 1, "myself": 1,
	} {
		if got := e.s.Count(name); got != want {
			t.Errorf("Count(%q) = %d, want %d", name, got, want)
		}
	}
	e.s.ResetCounts()
	if e.s.Count("token") != 0 {
		t.Error("ResetCounts did not reset")
	}
}

func TestConsentPage(t *testing.T) {
	e := newEnv(t, Options{})
	req, _ := http.NewRequest("GET", e.authorizeURL(testScopes, nil), nil)
	r, err := do(t, nil, req)
	if err != nil || r.status != 200 {
		t.Fatalf("authorize: %d %v", r.status, err)
	}
	for _, want := range []string{`<form method="post" action="/authorize/consent">`, `name="decision" value="approve"`,
		`<script>document.forms[0].submit()</script>`, "read:jira-user"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("consent page lacks %q:\n%s", want, r.body)
		}
	}
	if r.header.Get("Content-Security-Policy") != "" {
		t.Error("consent page has a CSP header")
	}
	// The pending request is single use.
	f, _ := parseForm(r.body)
	for i, want := range []int{302, 400} {
		req, _ = http.NewRequest("POST", e.s.URL()+f.action, strings.NewReader(f.fields.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		if r, err := do(t, noRedirect, req); err != nil || r.status != want {
			t.Errorf("consent #%d: %d %v", i+1, r.status, err)
		} else if want == 302 && !strings.HasPrefix(r.header.Get("Location"), e.s.opts.RedirectURI+"?code=") {
			t.Errorf("Location = %s", r.header.Get("Location"))
		}
	}
}

func TestDeny(t *testing.T) {
	e := newEnv(t, Options{Deny: true})
	status, _, err := Browse(context.Background(), nil, e.authorizeURL(testScopes, nil))
	if err != nil || status != http.StatusForbidden {
		t.Fatalf("Browse = %d %v", status, err)
	}
	q := e.cb.last(t)
	if q.Get("error") != "access_denied" || q.Get("state") != "st-123" || q.Get("code") != "" {
		t.Errorf("callback query = %v", q)
	}
	e.s.SetDeny(false)
	e.login(t, testScopes)
}

func TestAuthorizeValidation(t *testing.T) {
	e := newEnv(t, Options{})
	// Unregistered redirect_uri or client: error page, never a redirect.
	for _, mod := range []func(url.Values){
		func(q url.Values) { q.Set("redirect_uri", e.cb.srv.URL+"/callback/") },
		func(q url.Values) { q.Set("redirect_uri", "http://evil.example/callback") },
		func(q url.Values) { q.Set("client_id", "other") },
	} {
		status, body, err := Browse(context.Background(), nil, e.authorizeURL(testScopes, mod))
		if err != nil || status != 400 || !strings.Contains(body, "<html>") {
			t.Errorf("Browse = %d %q %v", status, body, err)
		}
	}
	if n := e.cb.calls(); n != 0 {
		t.Fatalf("callback called %d times", n)
	}
	// Other errors are redirected to the (registered) callback.
	for want, mod := range map[string]func(url.Values){
		"invalid_request":           func(q url.Values) { q.Del("code_challenge") },
		"invalid_request ":          func(q url.Values) { q.Set("code_challenge_method", "plain") },
		"invalid_request  ":         func(q url.Values) { q.Del("audience") },
		"unsupported_response_type": func(q url.Values) { q.Set("response_type", "token") },
		"invalid_scope":             func(q url.Values) { q.Set("scope", " ") },
	} {
		status, _, err := Browse(context.Background(), nil, e.authorizeURL(testScopes, mod))
		if err != nil || status != http.StatusForbidden {
			t.Fatalf("%s: Browse = %d %v", want, status, err)
		}
		if q := e.cb.last(t); q.Get("error") != strings.TrimSpace(want) || q.Get("state") != "st-123" {
			t.Errorf("%s: callback query = %v", want, q)
		}
	}
}
