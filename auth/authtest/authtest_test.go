package authtest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testClientID = "test-client"
	testSecret   = "s3cret"
	testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B
	testScopes   = "read:me read:jira-user offline_access"
)

// callback is the loopback redirect target the app under test would run.
type callback struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []url.Values
}

func newCallback(t *testing.T) *callback {
	t.Helper()
	cb := &callback{}
	cb.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		cb.mu.Lock()
		cb.got = append(cb.got, q)
		cb.mu.Unlock()
		if q.Get("error") != "" {
			http.Error(w, "sign-in failed: "+q.Get("error"), http.StatusForbidden)
			return
		}
		io.WriteString(w, "signed in")
	}))
	t.Cleanup(cb.srv.Close)
	return cb
}

func (cb *callback) last(t *testing.T) url.Values {
	t.Helper()
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if len(cb.got) == 0 {
		t.Fatal("callback was never called")
	}
	return cb.got[len(cb.got)-1]
}

func (cb *callback) calls() int {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return len(cb.got)
}

type env struct {
	s  *Server
	cb *callback
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	cb := newCallback(t)
	if opts.ClientID == "" {
		opts.ClientID = testClientID
	}
	if opts.RedirectURI == "" {
		opts.RedirectURI = cb.srv.URL + "/callback"
	}
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return &env{s: s, cb: cb}
}

func (e *env) authorizeURL(scopes string, mod func(url.Values)) string {
	q := url.Values{
		"audience":              {"api.atlassian.com"},
		"client_id":             {e.s.opts.ClientID},
		"scope":                 {scopes},
		"redirect_uri":          {e.s.opts.RedirectURI},
		"state":                 {"st-123"},
		"response_type":         {"code"},
		"prompt":                {"consent"},
		"code_challenge":        {S256Challenge(testVerifier)},
		"code_challenge_method": {"S256"},
	}
	if mod != nil {
		mod(q)
	}
	return e.s.URL() + "/authorize?" + q.Encode()
}

// login runs the browser part of the flow and returns the authorization code.
func (e *env) login(t *testing.T, scopes string) string {
	t.Helper()
	status, body, err := Browse(context.Background(), nil, e.authorizeURL(scopes, nil))
	if err != nil || status != 200 || body != "signed in" {
		t.Fatalf("Browse = %d %q %v", status, body, err)
	}
	q := e.cb.last(t)
	if q.Get("state") != "st-123" || q.Get("code") == "" {
		t.Fatalf("callback query = %v", q)
	}
	return q.Get("code")
}

func (e *env) codeParams(code string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {e.s.opts.ClientID},
		"client_secret": {e.s.opts.ClientSecret},
		"code":          {code},
		"redirect_uri":  {e.s.opts.RedirectURI},
		"code_verifier": {testVerifier},
	}
}

func (e *env) refreshParams(rt string) url.Values {
	return url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {e.s.opts.ClientID},
		"client_secret": {e.s.opts.ClientSecret},
		"refresh_token": {rt},
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, client *http.Client, req *http.Request) (response, error) {
	t.Helper()
	return roundTrip(client, req)
}

// roundTrip sends req with client (http.DefaultClient when nil) and reads
// the whole answer.
func roundTrip(client *http.Client, req *http.Request) (response, error) {
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}, err
}

func (e *env) postToken(t *testing.T, params url.Values) response {
	t.Helper()
	r, err := e.tryToken(nil, params)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) tryToken(client *http.Client, params url.Values) (response, error) {
	req, _ := http.NewRequest("POST", e.s.URL()+"/oauth/token", strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return roundTrip(client, req)
}

func (e *env) tokens(t *testing.T, params url.Values) tokenResponse {
	t.Helper()
	r := e.postToken(t, params)
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	var tr tokenResponse
	if err := json.Unmarshal([]byte(r.body), &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

func (e *env) api(t *testing.T, path, token string) response {
	t.Helper()
	req, _ := http.NewRequest("GET", e.s.URL()+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	r, err := do(t, nil, req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantError(t *testing.T, r response, status int, code string) {
	t.Helper()
	var e struct{ Error string }
	json.Unmarshal([]byte(r.body), &e)
	if r.status != status || e.Error != code {
		t.Fatalf("got %d %s, want %d %s", r.status, r.body, status, code)
	}
}

const myselfPath = "/ex/jira/" + DefaultSiteID + "/rest/api/3/myself"

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

func TestFaults(t *testing.T) {
	e := newEnv(t, Options{})
	_, rt := e.s.IssueTokens(strings.Fields(testScopes)...)
	e.s.InjectTokenFaults(
		Fault{Status: 429, Body: `{"error":"rate_limited"}`, Header: map[string]string{"Retry-After": "1"}},
		Fault{Reset: true},
		Fault{Status: 500, Body: "oops", ContentType: "text/plain", Trickle: true},
	)
	r := e.postToken(t, e.refreshParams(rt))
	if r.status != 429 || r.header.Get("Retry-After") != "1" || r.body != `{"error":"rate_limited"}` ||
		r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("429 fault: %d %v %s", r.status, r.header, r.body)
	}
	if _, err := e.tryToken(nil, e.refreshParams(rt)); err == nil {
		t.Fatal("Reset fault: no error")
	}
	start := time.Now()
	_, err := e.tryToken(&http.Client{Timeout: 250 * time.Millisecond}, e.refreshParams(rt))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("Trickle fault with short timeout: %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("timeout took too long")
	}
	// The faults did not consume the refresh token.
	if e.s.Count("token") != 3 || e.s.GrantRevoked() {
		t.Fatalf("count = %d", e.s.Count("token"))
	}
	tr := e.tokens(t, e.refreshParams(rt))

	// A trickled body arrives whole, just slowly.
	e.s.InjectTokenFaults(Fault{Status: 503, Body: "abc", Trickle: true})
	start = time.Now()
	r = e.postToken(t, e.refreshParams(tr.RefreshToken))
	if r.status != 503 || r.body != "abc" || time.Since(start) < 2*TrickleInterval {
		t.Fatalf("trickle: %d %q after %v", r.status, r.body, time.Since(start))
	}

	// Delay is cut short by the client giving up.
	e.s.InjectTokenFaults(Fault{Status: 500, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.s.URL()+"/oauth/token", strings.NewReader(e.refreshParams(tr.RefreshToken).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := do(t, nil, req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Delay fault: %v", err)
	}

	// PassThrough + Reset: the server rotates but the answer is lost, so
	// retrying with the old token is a reuse that revokes the grant.
	e.s.InjectTokenFaults(Fault{PassThrough: true, Reset: true})
	if _, err := e.tryToken(nil, e.refreshParams(tr.RefreshToken)); err == nil {
		t.Fatal("PassThrough Reset: no error")
	}
	if e.s.LastTokenRequest().Get("refresh_token") != tr.RefreshToken {
		t.Error("LastTokenRequest not recorded for a faulted request")
	}
	r = e.postToken(t, e.refreshParams(tr.RefreshToken))
	if r.status != 403 || r.body != InvalidRefreshTokenBody || !e.s.GrantRevoked() {
		t.Fatalf("retry after lost rotation: %d %s revoked=%v", r.status, r.body, e.s.GrantRevoked())
	}

	// PassThrough without Reset delivers the real answer with extra headers.
	_, rt = e.s.IssueTokens(strings.Fields(testScopes)...)
	e.s.InjectTokenFaults(Fault{PassThrough: true, Header: map[string]string{"X-Fault": "yes"}})
	r = e.postToken(t, e.refreshParams(rt))
	if r.status != 200 || r.header.Get("X-Fault") != "yes" || !strings.Contains(r.body, "refresh_token") {
		t.Fatalf("PassThrough: %d %v %s", r.status, r.header, r.body)
	}
}

func TestBearerAndScopes(t *testing.T) {
	clock := NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, Options{Now: clock.Now, AccessTTL: time.Minute})
	meOnly, _ := e.s.IssueTokens("read:me")
	jiraOnly, _ := e.s.IssueTokens("read:jira-user")

	for _, tc := range []struct {
		path, token string
		want        int
	}{
		{"/me", "", 401},
		{"/me", "garbage", 401},
		{"/oauth/token/accessible-resources", "", 401},
		{myselfPath, "", 401},
		{"/me", meOnly, 200},
		{"/me", jiraOnly, 403},
		{myselfPath, meOnly, 403},
		{myselfPath, jiraOnly, 200},
		{"/ex/jira/00000000-0000-0000-0000-000000000000/rest/api/3/myself", jiraOnly, 404},
		{"/oauth/token/accessible-resources", meOnly, 200},
	} {
		if r := e.api(t, tc.path, tc.token); r.status != tc.want {
			t.Errorf("GET %s with %.8q: %d %s, want %d", tc.path, tc.token, r.status, r.body, tc.want)
		}
	}
	if r := e.api(t, "/me", ""); r.body != `{"code":401,"message":"Unauthorized"}` {
		t.Errorf("401 body = %s", r.body)
	}

	// Expiry follows Options.Now.
	clock.Advance(time.Minute - time.Second)
	if r := e.api(t, "/me", meOnly); r.status != 200 {
		t.Fatalf("before expiry: %d", r.status)
	}
	clock.Advance(time.Second)
	if r := e.api(t, "/me", meOnly); r.status != 401 {
		t.Fatalf("after expiry: %d", r.status)
	}

	// ExpireAccessTokens.
	fresh, _ := e.s.IssueTokens("read:me")
	e.s.ExpireAccessTokens()
	if r := e.api(t, "/me", fresh); r.status != 401 {
		t.Fatalf("after ExpireAccessTokens: %d", r.status)
	}
	later, _ := e.s.IssueTokens("read:me")
	if r := e.api(t, "/me", later); r.status != 200 {
		t.Fatalf("token issued after ExpireAccessTokens: %d", r.status)
	}
	if got := e.s.Count("me"); got != 9 {
		t.Errorf("Count(me) = %d", got)
	}
}

func TestSites(t *testing.T) {
	e := newEnv(t, Options{Sites: []Site{
		{ID: "a", URL: "https://a.atlassian.net", Name: "a", AvatarURL: "https://a/av.png", Scopes: []string{"read:jira-work"}},
		{ID: "b", URL: "https://b.atlassian.net", Name: "b"},
	}})
	at, _ := e.s.IssueTokens("read:jira-user", "offline_access")
	r := e.api(t, "/oauth/token/accessible-resources", at)
	want := `[{"id":"a","url":"https://a.atlassian.net","name":"a","scopes":["read:jira-work"],"avatarUrl":"https://a/av.png"},` +
		`{"id":"b","url":"https://b.atlassian.net","name":"b","scopes":["read:jira-user"],"avatarUrl":""}]`
	if r.body != want {
		t.Errorf("accessible-resources =\n%s\nwant\n%s", r.body, want)
	}
	r = e.api(t, "/ex/jira/b/rest/api/3/myself", at)
	if r.status != 200 || !strings.Contains(r.body, `"self":"https://b.atlassian.net/rest/api/3/user?accountId=`) {
		t.Errorf("myself on b: %d %s", r.status, r.body)
	}
}

func TestParseForm(t *testing.T) {
	f, ok := parseForm(`<p>x</p><FORM Method='POST' action="/a?x=1&amp;y=2"><input type=hidden name=a value="1 &amp; 2">` +
		`<input type="checkbox" name="c"><input type="checkbox" name="d" checked><input type="submit" name="s" value="go">` +
		`<input name="t" value='q"'></form>`)
	if !ok || f.method != "POST" || f.action != "/a?x=1&y=2" || f.fields.Encode() != "a=1+%26+2&d=on&t=q%22" {
		t.Errorf("parseForm = %+v %v", f, ok)
	}
	if _, ok := parseForm("<html>no form</html>"); ok {
		t.Error("parseForm found a form in a page without one")
	}
}
