package authtest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func clientParams(secret string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {secret}}
}

func TestClientCredentials(t *testing.T) {
	e := newEnv(t, Options{ClientSecret: testSecret})
	tr := e.tokens(t, clientParams(testSecret))
	if tr.RefreshToken != "" || tr.Scope != "read:jira-user read:jira-work write:jira-work" || tr.ExpiresIn != 3600 || tr.TokenType != "Bearer" {
		t.Fatalf("token response = %+v", tr)
	}
	if e.s.Count("token:client_credentials") != 1 {
		t.Errorf("Count(token:client_credentials) = %d", e.s.Count("token:client_credentials"))
	}
	// It acts as the service account, and lists no site by default.
	r := e.api(t, "/ex/jira/"+DefaultSiteID+"/rest/api/3/myself", tr.AccessToken)
	if r.status != 200 || !strings.Contains(r.body, `"accountId":"`+DefaultServiceAccountID+`"`) || !strings.Contains(r.body, `"displayName":"CI bot"`) {
		t.Fatalf("myself: %d %s", r.status, r.body)
	}
	if r := e.api(t, "/oauth/token/accessible-resources", tr.AccessToken); r.status != 200 || r.body != "[]" {
		t.Fatalf("accessible-resources: %d %s", r.status, r.body)
	}
	// A person's token still acts as the person.
	at, _ := e.s.IssueTokens("read:jira-user")
	if r := e.api(t, "/ex/jira/"+DefaultSiteID+"/rest/api/3/myself", at); !strings.Contains(r.body, DefaultAccountID) {
		t.Fatalf("myself of a person: %s", r.body)
	}
	// A wrong secret is refused, as for any grant.
	wantError(t, e.postToken(t, clientParams("wrong")), 401, "invalid_client")
	// offline_access in the scopes yields no refresh token.
	e2 := newEnv(t, Options{ServiceScopes: []string{"offline_access", "read:me"}})
	if tr := e2.tokens(t, clientParams("")); tr.RefreshToken != "" || tr.Scope != "offline_access read:me" {
		t.Fatalf("token response = %+v", tr)
	}
}

func TestClientCredentialsSitesListed(t *testing.T) {
	e := newEnv(t, Options{ServiceSitesListed: true, ServiceAccount: User{AccountID: "sa-1", Name: "Bot", Email: "bot@example.com"}})
	tr := e.tokens(t, clientParams(""))
	r := e.api(t, "/oauth/token/accessible-resources", tr.AccessToken)
	if r.status != 200 || !strings.Contains(r.body, `"id":"`+DefaultSiteID+`"`) {
		t.Fatalf("accessible-resources: %d %s", r.status, r.body)
	}
	if r := e.api(t, "/ex/jira/"+DefaultSiteID+"/rest/api/3/myself", tr.AccessToken); !strings.Contains(r.body, `"accountId":"sa-1"`) {
		t.Fatalf("myself: %s", r.body)
	}
}

func TestTenantInfo(t *testing.T) {
	e := newEnv(t, Options{Sites: []Site{
		{ID: "a", URL: "https://a.atlassian.net", Name: "a"},
		{ID: "b", URL: "https://b.atlassian.net", Name: "b"},
	}})
	// No token needed; the server's own address stands for the first site.
	if r := e.api(t, "/_edge/tenant_info", ""); r.status != 200 || r.body != `{"cloudId":"a"}` {
		t.Fatalf("tenant_info: %d %s", r.status, r.body)
	}
	req, _ := http.NewRequest("GET", e.s.URL()+"/_edge/tenant_info", nil)
	req.Host = "b.atlassian.net"
	if r, err := do(t, nil, req); err != nil || r.body != `{"cloudId":"b"}` {
		t.Fatalf("tenant_info of b: %s %v", r.body, err)
	}
	if e.s.Count("tenant_info") != 2 {
		t.Errorf("Count(tenant_info) = %d", e.s.Count("tenant_info"))
	}
}

func TestRefreshTokenLimits(t *testing.T) {
	clock := NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, Options{Now: clock.Now})

	// Unused for 90 days: refused; used within, it lives on.
	tr := e.tokens(t, e.codeParams(e.login(t, testScopes)))
	clock.Advance(DefaultRefreshIdle - time.Second)
	tr = e.tokens(t, e.refreshParams(tr.RefreshToken))
	clock.Advance(DefaultRefreshIdle)
	if r := e.postToken(t, e.refreshParams(tr.RefreshToken)); r.status != 403 || r.body != InvalidRefreshTokenBody {
		t.Fatalf("a refresh token unused for 90 days: %d %s", r.status, r.body)
	}

	// 365 days after consent, even a fresh refresh token is refused.
	tr = e.tokens(t, e.codeParams(e.login(t, testScopes)))
	for range 5 {
		clock.Advance(73*24*time.Hour - time.Second)
		tr = e.tokens(t, e.refreshParams(tr.RefreshToken))
	}
	clock.Advance(5 * time.Second)
	if r := e.postToken(t, e.refreshParams(tr.RefreshToken)); r.status != 403 {
		t.Fatalf("a refresh 365 days after consent: %d %s", r.status, r.body)
	}
}
