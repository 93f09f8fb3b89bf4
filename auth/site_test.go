package auth

import (
	"testing"

	"github.com/atl-cli/atl/store"
)

func TestFindSite(t *testing.T) {
	sites := []store.Site{
		{ID: "aaaaaaaa-0000-0000-0000-000000000001", URL: "https://alpha.atlassian.net", Name: "Alpha"},
		{ID: "bbbbbbbb-0000-0000-0000-000000000002", URL: "", Name: "no-url"},
	}
	for want, id := range map[string]string{
		"aaaaaaaa-0000-0000-0000-000000000001": sites[0].ID,
		"alpha":                                sites[0].ID, // names without case
		"https://alpha.atlassian.net":          sites[0].ID,
		"alpha.atlassian.net":                  sites[0].ID, // URLs without scheme or trailing slash
		"https://ALPHA.atlassian.net/":         sites[0].ID,
		"NO-URL":                               sites[1].ID,
		"":                                     "", // a site without URL is not found by an empty one
		"beta":                                 "",
	} {
		got, ok := findSite(sites, want)
		if ok != (id != "") || got.ID != id {
			t.Errorf("findSite(%q) = %q, %v; want %q", want, got.ID, ok, id)
		}
	}
}

func TestSiteURLs(t *testing.T) {
	const id = "11111111-2222-3333-4444-555555555555"
	for _, tc := range []struct {
		site             Site
		jira, confluence string
	}{
		{Site{ID: id}, "https://api.atlassian.com/ex/jira/" + id, "https://api.atlassian.com/ex/confluence/" + id},
		{publicSite(store.Site{ID: id}, "http://127.0.0.1:8080/"), "http://127.0.0.1:8080/ex/jira/" + id, "http://127.0.0.1:8080/ex/confluence/" + id},
		{Site{ID: "a/b?c"}, "https://api.atlassian.com/ex/jira/a%2Fb%3Fc", "https://api.atlassian.com/ex/confluence/a%2Fb%3Fc"},
	} {
		if got := tc.site.JiraURL(); got != tc.jira {
			t.Errorf("JiraURL = %q, want %q", got, tc.jira)
		}
		if got := tc.site.ConfluenceURL(); got != tc.confluence {
			t.Errorf("ConfluenceURL = %q, want %q", got, tc.confluence)
		}
	}
}
