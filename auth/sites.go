package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/atl-cli/atl/store"
)

// siteNotFound is the *ConfigError of a site asked for that the login
// does not reach.
func siteNotFound(want string, sites []store.Site) error {
	return &ConfigError{Setting: "site", Value: want, Err: fmt.Errorf("no site matches %q; this login reaches: %s", want, siteList(sites))}
}

// Sites lists the sites the login reaches, asking Atlassian, and keeps
// the list with the login (what a Session's Options.Site chooses from).
func (s *Session) Sites(ctx context.Context) ([]Site, error) {
	sites, api, err := s.listSites(ctx)
	return publicSites(sites, api), err
}

// listSites is Sites, as stored, with the API server they are reached
// through.
func (s *Session) listSites(ctx context.Context) ([]store.Site, string, error) {
	api, err := s.apiURL()
	if err != nil {
		return nil, "", err
	}
	sites, err := accessibleResources(ctx, s.Client(ctx), api)
	if err != nil {
		return nil, "", fmt.Errorf("listing the sites this login reaches: %w", err)
	}
	if s.given() {
		return sites, api, nil
	}
	err = s.update(ctx, func(m *store.Metadata) error {
		m.Sites = sites
		return nil
	})
	return sites, api, err
}

// UseSite makes the site want names (its cloud id, its name, or its URL)
// the login's current one, without a new login, and returns it.
func (s *Session) UseSite(ctx context.Context, want string) (Site, error) {
	switch {
	case s.envToken != "":
		return Site{}, &ConfigError{Setting: "token", Err: errors.New("a token was given in place of a login: there is no stored login whose site to change")}
	case s.grant != "":
		return Site{}, &ConfigError{Setting: "grant", Err: errors.New("client credentials were given in place of a login: there is no stored login whose site to change")}
	}
	sites, api, err := s.listSites(ctx)
	if err != nil {
		return Site{}, err
	}
	site, ok := findSite(sites, want)
	if !ok {
		return Site{}, siteNotFound(want, sites)
	}
	err = s.update(ctx, func(m *store.Metadata) error {
		m.Site = store.Site{ID: site.ID, URL: site.URL, Name: site.Name}
		return nil
	})
	return publicSite(site, api), err
}

// update changes the login's metadata under its lock.
func (s *Session) update(ctx context.Context, change func(m *store.Metadata) error) error {
	unlock, err := s.login.Lock(ctx, s.hooks.LockWait)
	if err != nil {
		return err
	}
	defer unlock()
	s.mu.Lock()
	s.known = nil
	s.mu.Unlock()
	return s.login.Update(func(m *store.Metadata) error {
		if m.Dead != nil {
			return s.loginRequired("the stored login stopped working ("+m.Dead.Reason+")", nil)
		}
		return change(m)
	})
}

// pick returns the site asked for (Options.Site) among the login's: from
// the sites last listed, else from a new list.
func (s *Session) pick(ctx context.Context, m *store.Metadata) (store.Site, error) {
	if site, ok := findSite(append([]store.Site{m.Site}, m.Sites...), s.site); ok {
		return store.Site{ID: site.ID, URL: site.URL, Name: site.Name, Scopes: site.Scopes}, nil
	}
	sites, _, err := s.listSites(ctx)
	if err != nil {
		return store.Site{}, err
	}
	return s.siteAmong(ctx, sites, s.site)
}

// siteAmong is the site want names among sites, or, when there are none
// (a token that lists none, as a service account's may), the one it
// names by cloud id or URL.
func (s *Session) siteAmong(ctx context.Context, sites []store.Site, want string) (store.Site, error) {
	if site, ok := findSite(sites, want); ok {
		return site, nil
	}
	if len(sites) == 0 {
		return s.unlistedSite(ctx, want)
	}
	return store.Site{}, siteNotFound(want, sites)
}

// envSite is the site Options.Token (or Options.Grant's token) is used
// with: the one asked for, or the only one it reaches.
func (s *Session) envSite(ctx context.Context) (store.Site, error) {
	s.mu.Lock()
	sites, picked := s.envSites, s.envPicked
	s.mu.Unlock()
	if picked != nil {
		return *picked, nil
	}
	if s.grant != "" && validCloudID(s.site) {
		return store.Site{ID: s.site}, nil // a service account's token lists no site, as a rule
	}
	if sites == nil {
		var err error
		if sites, _, err = s.listSites(ctx); err != nil {
			return store.Site{}, err
		}
		s.mu.Lock()
		s.envSites = sites
		s.mu.Unlock()
	}
	var site store.Site
	var err error
	switch {
	case s.site != "":
		site, err = s.siteAmong(ctx, sites, s.site)
	case len(sites) == 1:
		site = sites[0]
	case len(sites) == 0 && s.grant != "":
		err = &ConfigError{Setting: "site", Err: errors.New("the token lists no site: name the site by its URL or cloud id")}
	case len(sites) == 0:
		err = ErrNoSite
	default:
		err = &ConfigError{Setting: "site", Err: fmt.Errorf("the token reaches %d sites (%s) and none was chosen", len(sites), siteList(sites))}
	}
	if err == nil {
		s.mu.Lock()
		s.envPicked = &site
		s.mu.Unlock()
	}
	return site, err
}

// envInfo describes Options.Token, or the client credentials of
// Options.Grant.
func (s *Session) envInfo(ctx context.Context) (*Info, error) {
	site, err := s.envSite(ctx)
	if err != nil {
		return nil, err
	}
	api, _ := s.apiURL()
	s.mu.Lock()
	sites := s.envSites
	s.mu.Unlock()
	info := &Info{
		Profile:    s.Profile(),
		Site:       publicSite(site, api),
		Sites:      publicSites(sites, api),
		Scopes:     site.Scopes,
		APIURL:     api,
		GivenToken: s.envToken != "",
	}
	if s.grant != "" {
		info.ServiceAccount, info.ClientID = true, s.opts.ClientID
		info.AuthURL, _ = baseURL("auth URL", cmp.Or(s.opts.AuthURL, DefaultAuthURL))
		s.mu.Lock()
		if s.tok != nil {
			info.Expiry = s.tok.Expiry
		}
		info.TokenFrom = s.from
		s.mu.Unlock()
	}
	return info, nil
}

// siteAPI is the API server a stored login's sites are reached through:
// Options.APIURL, else the login's, else Atlassian's.
func (s *Session) siteAPI(m *store.Metadata) string {
	return cmp.Or(s.opts.APIURL, m.APIURL, DefaultAPIURL)
}

// validCloudID reports whether s is a UUID, as a cloud id is.
func validCloudID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// accessibleResources lists the sites the grant reaches.
func accessibleResources(ctx context.Context, hc *http.Client, api string) ([]store.Site, error) {
	var rs []store.Site
	if err := getJSON(ctx, hc, api, "/oauth/token/accessible-resources", &rs); err != nil {
		return nil, err
	}
	for i, r := range rs {
		if !validCloudID(r.ID) {
			return nil, fmt.Errorf("malformed cloud id %s in Atlassian's list of sites", quoteShort(r.ID))
		}
		r.Scopes = slices.DeleteFunc(r.Scopes, func(s string) bool { return !validScopeToken(s) })
		r.AvatarURL = ""
		rs[i] = r
	}
	return rs, nil
}
