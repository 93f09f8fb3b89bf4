// Package siteapi is one site's REST APIs on the API server, as atl api
// and atl proxy reach them: the base URLs of its Jira and Confluence APIs
// (auth.Site's, the only place that builds /ex/{product}/{cloudid}), which
// addresses are on the API (internal/apiurl's rule, the one auth's client
// sends the token by), where a link in an answer leads, where a path on
// the site's own address goes on the API, and which absolute addresses
// name the site.
package siteapi

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/internal/apiurl"
)

// API is a site's REST APIs on the API server a login uses.
type API struct {
	api   *url.URL    // the API server
	site  auth.Site   // the site in use
	sites []auth.Site // every site the login reaches
}

// New returns the API of the site info describes (its Site, reached
// through its APIURL), knowing the login's other sites.
func New(info *auth.Info) (*API, error) {
	u, err := url.Parse(info.APIURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("the API URL %q is not an address", info.APIURL)
	}
	return &API{api: u, site: info.Site, sites: info.Sites}, nil
}

// Site is the site in use.
func (a *API) Site() auth.Site { return a.site }

// URL is the API server's base URL.
func (a *API) URL() string { return strings.TrimRight(a.api.String(), "/") }

// Host is the API server's host (and port), for messages.
func (a *API) Host() string { return a.api.Host }

// Base is the base URL of the site's product API, "jira" or
// "confluence", to which a path such as "/rest/api/3/myself" or
// "/wiki/api/v2/spaces" is appended.
func (a *API) Base(product string) string {
	if product == "confluence" {
		return a.site.ConfluenceURL()
	}
	return a.site.JiraURL()
}

// On reports whether u is on the API server (or on Atlassian's, which
// stands for it): where the login's token may go.
func (a *API) On(u *url.URL) bool { return apiurl.On(u, a.api) }

// ErrNotURL is a link that is not an address.
var ErrNotURL = errors.New("not an address")

// ForeignError is a link to an address off the API server.
type ForeignError struct{ Host string }

func (e *ForeignError) Error() string { return "an address on another host (" + e.Host + ")" }

// Link resolves a link in an answer (a next page's, as Confluence gives
// them): a path is relative to the site's Confluence API; an absolute
// address must be on the API server (or on Atlassian's, which the login's
// client maps onto it), else it is a *ForeignError.
func (a *API) Link(link string) (*url.URL, error) {
	if strings.HasPrefix(link, "/") {
		return url.Parse(a.Base("confluence") + link)
	}
	u, err := url.Parse(link)
	if err != nil {
		return nil, ErrNotURL
	}
	if !a.On(u) {
		return nil, &ForeignError{Host: u.Host}
	}
	return u, nil
}

// onAPI are the paths of the API server itself that a site's address
// passes on as they are.
var onAPI = []string{"/me", "/oauth/token/accessible-resources"}

// Errors of Route.
var (
	// ErrOtherSite is an /ex/{product}/{cloudid}/… path of a site that is
	// not the login's.
	ErrOtherSite = errors.New("not a site of this login")
	// ErrBadPath is a path with . or .. segments, which would leave the
	// API it is routed to.
	ErrBadPath = errors.New("a path with . or .. segments")
)

// Route returns where a request for the site's own address goes on the
// API server, given its escaped path and its query (kept as they are):
// /wiki/… to the site's Confluence API; /ex/{product}/{cloudid}/… of the
// login's own sites, /me and /oauth/token/accessible-resources to the API
// server as they are; anything else to the site's Jira API.
func (a *API) Route(escapedPath, rawQuery string) (*url.URL, error) {
	path, err := url.PathUnescape(escapedPath)
	if err != nil || !strings.HasPrefix(path, "/") {
		return nil, ErrBadPath
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return nil, ErrBadPath
		}
	}
	var target string
	switch {
	case escapedPath == "/wiki" || strings.HasPrefix(escapedPath, "/wiki/"):
		target = a.Base("confluence") + escapedPath
	case escapedPath == "/ex" || strings.HasPrefix(escapedPath, "/ex/"):
		if !a.ownEx(escapedPath) {
			return nil, ErrOtherSite
		}
		target = a.URL() + escapedPath
	case slices.Contains(onAPI, escapedPath):
		target = a.URL() + escapedPath
	default:
		target = a.Base("jira") + escapedPath
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, ErrBadPath
	}
	u.RawQuery = rawQuery
	return u, nil
}

// ownEx reports whether an /ex/{product}/{cloudid}/… path names one of
// the login's sites.
func (a *API) ownEx(escapedPath string) bool {
	parts := strings.SplitN(escapedPath, "/", 5) // "", "ex", product, cloudid, rest
	if len(parts) < 4 || parts[2] == "" {
		return false
	}
	id, err := url.PathUnescape(parts[3])
	if err != nil {
		return false
	}
	return slices.ContainsFunc(append([]auth.Site{a.site}, a.sites...), func(s auth.Site) bool { return s.ID == id })
}

// Addresses are the absolute addresses that name the site, longest
// first: its Jira and Confluence APIs on the API server in use and on
// Atlassian's (whose addresses stand for it), and its own address
// (https://NAME.atlassian.net). A link that starts with one of them,
// ending there or going on with a path, query or fragment, is a link to
// the site.
func (a *API) Addresses() []string {
	production := auth.Site{ID: a.site.ID} // on Atlassian's API server
	out := []string{a.site.JiraURL(), a.site.ConfluenceURL(), production.JiraURL(), production.ConfluenceURL()}
	if site := strings.TrimRight(a.site.URL, "/"); site != "" {
		out = append(out, site)
	}
	slices.SortFunc(out, func(x, y string) int { return cmp.Or(len(y)-len(x), strings.Compare(x, y)) })
	return slices.Compact(out)
}
