package auth

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
		if got := onAPI(u, base).String(); got != want {
			t.Errorf("onAPI(%s) = %s, want %s", in, got, want)
		}
	}
}
