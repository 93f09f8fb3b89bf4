package authtest

import (
	"strings"
	"testing"
	"time"
)

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
