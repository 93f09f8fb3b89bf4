package apiurl

import (
	"net/url"
	"testing"
)

func TestOnAPIKeepsEscapedPaths(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:1234/prefix/")
	for in, want := range map[string]string{
		"https://api.atlassian.com/ex/jira/x/rest/api/3/issue/A%2FB?q=1": "http://127.0.0.1:1234/prefix/ex/jira/x/rest/api/3/issue/A%2FB?q=1",
		"https://api.atlassian.com/ex/jira/x/rest/api/3/myself":          "http://127.0.0.1:1234/prefix/ex/jira/x/rest/api/3/myself",
		"https://API.ATLASSIAN.COM/me":                                   "http://127.0.0.1:1234/prefix/me",
		"http://api.atlassian.com/me":                                    "http://api.atlassian.com/me", // not https: not Atlassian's API
		"https://example.com/me":                                         "https://example.com/me",
	} {
		u, _ := url.Parse(in)
		if got := OnAPI(u, base).String(); got != want {
			t.Errorf("OnAPI(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestOn(t *testing.T) {
	for _, tc := range []struct {
		base, u string
		want    bool
	}{
		{"http://127.0.0.1:1234", "http://127.0.0.1:1234/ex/jira/x", true},
		{"http://127.0.0.1:1234", "HTTP://127.0.0.1:1234/me", true},
		{"http://127.0.0.1:1234", "http://127.0.0.1:1235/me", false},
		{"http://127.0.0.1:1234", "https://127.0.0.1:1234/me", false},
		{"http://127.0.0.1:1234", "https://api.atlassian.com/ex/jira/x", true},
		{"http://127.0.0.1:1234", "http://api.atlassian.com/ex/jira/x", false},
		{"http://127.0.0.1:1234", "https://api.atlassian.com.evil/ex/jira/x", false},
		{"http://127.0.0.1:1234/prefix", "http://127.0.0.1:1234/prefix/me", true},
		{"http://127.0.0.1:1234/prefix", "http://127.0.0.1:1234/prefix", true},
		{"http://127.0.0.1:1234/prefix", "http://127.0.0.1:1234/prefixed/me", false},
		{"http://127.0.0.1:1234/prefix", "http://127.0.0.1:1234/me", false},
		{"http://127.0.0.1:1234/prefix", "https://api.atlassian.com/me", true},
		{"https://api.atlassian.com", "https://api.atlassian.com/me", true},
		{"https://api.atlassian.com", "https://api.atlassian.com:443/me", true},
		{"https://api.atlassian.com", "https://API.atlassian.com/me", true},
		{"https://api.atlassian.com", "https://example.atlassian.net/rest/api/3/myself", false},
		{"http://localhost", "http://localhost:80/me", true},
	} {
		base, _ := url.Parse(tc.base)
		u, _ := url.Parse(tc.u)
		if got := On(u, base); got != tc.want {
			t.Errorf("On(%s, base %s) = %v, want %v", tc.u, tc.base, got, tc.want)
		}
	}
}
