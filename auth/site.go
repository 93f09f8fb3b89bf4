package auth

import (
	"net/url"
	"strings"

	"github.com/atl-cli/atl/store"
)

// Site is an Atlassian Cloud site a login reaches. ID is its cloud id.
type Site struct {
	ID     string
	URL    string // the site's own address, https://NAME.atlassian.net
	Name   string
	Scopes []string // the scopes the login was granted on it

	api string // the API server its REST APIs are reached through
}

// JiraURL returns the base URL of the site's Jira REST APIs on the API
// server, to which a path such as "/rest/api/3/myself" is appended.
func (s Site) JiraURL() string { return s.apiBase() + "/ex/jira/" + url.PathEscape(s.ID) }

// ConfluenceURL returns the base URL of the site's Confluence REST APIs
// on the API server, to which a path such as "/wiki/api/v2/spaces" is
// appended.
func (s Site) ConfluenceURL() string {
	return s.apiBase() + "/ex/confluence/" + url.PathEscape(s.ID)
}

func (s Site) apiBase() string {
	if s.api == "" {
		return DefaultAPIURL
	}
	return s.api
}

// publicSite is the stored site st, reached through the API server api.
func publicSite(st store.Site, api string) Site {
	return Site{ID: st.ID, URL: st.URL, Name: st.Name, Scopes: st.Scopes, api: strings.TrimRight(api, "/")}
}

// publicSites is publicSite of each of sts.
func publicSites(sts []store.Site, api string) []Site {
	if sts == nil {
		return nil
	}
	out := make([]Site, len(sts))
	for i, st := range sts {
		out[i] = publicSite(st, api)
	}
	return out
}

// findSite returns the site of sites that want names: its cloud id, its
// name (without regard to case) or its URL (with or without https://).
func findSite(sites []store.Site, want string) (store.Site, bool) {
	norm := func(u string) string {
		u = strings.ToLower(strings.TrimSpace(u))
		u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
		return strings.TrimRight(u, "/")
	}
	for _, s := range sites {
		if want == s.ID || strings.EqualFold(want, s.Name) || (s.URL != "" && norm(want) == norm(s.URL)) {
			return s, true
		}
	}
	return store.Site{}, false
}

// siteList names sites in an error message: "name url, name url".
func siteList(sites []store.Site) string {
	names := make([]string, len(sites))
	for i, s := range sites {
		names[i] = s.Name + " " + s.URL
	}
	return strings.Join(names, ", ")
}
