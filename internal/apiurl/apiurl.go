// Package apiurl is the rule that says which addresses are on the API
// server a login uses, shared by everything that sends the login's token
// (auth's client) or decides where a request or a link goes (atl api,
// atl proxy): Atlassian's production API, https://api.atlassian.com,
// stands for the API in use (ATL_API_URL, a test server), and an address
// is on the API when it has the API's scheme, host and port and lies
// below its path.
package apiurl

import (
	"net/url"
	"strings"
)

// Production is the address of Atlassian's API server, which the
// addresses in Atlassian's answers name.
const Production = "https://api.atlassian.com"

// OnAPI maps a URL on Atlassian's production API host onto base, when
// base is another server; other URLs are returned as they are.
func OnAPI(u, base *url.URL) *url.URL {
	if !strings.EqualFold(u.Scheme, "https") || !strings.EqualFold(u.Host, "api.atlassian.com") || SameOrigin(u, base) {
		return u
	}
	c := *u
	c.Scheme, c.Host = base.Scheme, base.Host
	c.Path = strings.TrimRight(base.Path, "/") + u.Path
	if u.RawPath != "" {
		c.RawPath = strings.TrimRight(base.EscapedPath(), "/") + u.RawPath
	}
	return &c
}

// SameOrigin reports whether u is on the server of base: the same scheme,
// host and port, and (when base has one) below its path.
func SameOrigin(u, base *url.URL) bool {
	if !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Hostname(), base.Hostname()) || port(u) != port(base) {
		return false
	}
	prefix := strings.TrimRight(base.Path, "/")
	return prefix == "" || u.Path == prefix || strings.HasPrefix(u.Path, prefix+"/")
}

// On reports whether the token of the API at base may be sent to u: u is
// on it, or on Atlassian's production API, which stands for it.
func On(u, base *url.URL) bool { return SameOrigin(OnAPI(u, base), base) }

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}
