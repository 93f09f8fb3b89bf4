package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/atl-cli/atl/store"
)

// FindSite returns the site of sites that want names: its cloud id, its
// name (without regard to case) or its URL (with or without https://).
func FindSite(sites []Site, want string) (Site, bool) {
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
	return Site{}, false
}

// SiteNotFoundError reports a site asked for that the login does not
// reach.
type SiteNotFoundError struct {
	Want  string
	Sites []Site // the sites the login reaches
}

func (e *SiteNotFoundError) Error() string {
	return fmt.Sprintf("no site matches %q; this login reaches: %s", e.Want, SiteList(e.Sites))
}

// SiteList names sites for people: "name url, name url".
func SiteList(sites []Site) string {
	names := make([]string, len(sites))
	for i, s := range sites {
		names[i] = s.Name + " " + s.URL
	}
	return strings.Join(names, ", ")
}

// Sites lists the sites the login reaches, asking Atlassian, and keeps
// the list with the login (what --site and completion choose from).
func (s *Session) Sites(ctx context.Context) ([]Site, error) {
	api, err := s.apiURL()
	if err != nil {
		return nil, err
	}
	sites, err := accessibleResources(ctx, s.Client(ctx), api)
	if err != nil {
		return nil, fmt.Errorf("listing the sites this login reaches: %w", err)
	}
	if s.envToken != "" {
		return sites, nil
	}
	err = s.update(ctx, func(m *store.Metadata) error {
		m.Sites = sites
		return nil
	})
	return sites, err
}

// UseSite makes the site want names (see FindSite) the login's current
// one, without a new login, and returns it.
func (s *Session) UseSite(ctx context.Context, want string) (Site, error) {
	if s.envToken != "" {
		return Site{}, &ConfigError{Setting: "token", Env: envToken, Err: errors.New("ATL_TOKEN is set: there is no stored login whose site to change")}
	}
	sites, err := s.Sites(ctx)
	if err != nil {
		return Site{}, err
	}
	site, ok := FindSite(sites, want)
	if !ok {
		return Site{}, &SiteNotFoundError{Want: want, Sites: sites}
	}
	err = s.update(ctx, func(m *store.Metadata) error {
		m.Site = Site{ID: site.ID, URL: site.URL, Name: site.Name}
		return nil
	})
	return site, err
}

// update changes the login's metadata under its lock.
func (s *Session) update(ctx context.Context, change func(m *store.Metadata) error) error {
	unlock, err := s.login.Lock(ctx, s.lockWait)
	if err != nil {
		return err
	}
	defer unlock()
	return s.login.Update(func(m *store.Metadata) error {
		if m.Dead != nil {
			return s.loginRequired("the stored login stopped working ("+m.Dead.Reason+")", nil)
		}
		return change(m)
	})
}

// pick returns the site asked for (Options.Site, ATL_SITE) among the
// login's: from the sites last listed, else from a new list.
func (s *Session) pick(ctx context.Context, m *store.Metadata) (Site, error) {
	if site, ok := FindSite(append([]Site{m.Site}, m.Sites...), s.site); ok {
		return Site{ID: site.ID, URL: site.URL, Name: site.Name, Scopes: site.Scopes}, nil
	}
	sites, err := s.Sites(ctx)
	if err != nil {
		return Site{}, err
	}
	if site, ok := FindSite(sites, s.site); ok {
		return site, nil
	}
	return Site{}, &SiteNotFoundError{Want: s.site, Sites: sites}
}

// envSite is the site ATL_TOKEN is used with: the one asked for, or the
// only one it reaches.
func (s *Session) envSite(ctx context.Context) (Site, error) {
	s.mu.Lock()
	sites := s.envSites
	s.mu.Unlock()
	if sites == nil {
		var err error
		if sites, err = s.Sites(ctx); err != nil {
			return Site{}, err
		}
		s.mu.Lock()
		s.envSites = sites
		s.mu.Unlock()
	}
	switch {
	case s.site != "":
		if site, ok := FindSite(sites, s.site); ok {
			return site, nil
		}
		return Site{}, &SiteNotFoundError{Want: s.site, Sites: sites}
	case len(sites) == 1:
		return sites[0], nil
	case len(sites) == 0:
		return Site{}, ErrNoSite
	}
	return Site{}, &ConfigError{Setting: "site", Env: envSite, Err: fmt.Errorf("ATL_TOKEN reaches %d sites (%s) and none was chosen", len(sites), SiteList(sites))}
}

// envInfo describes ATL_TOKEN.
func (s *Session) envInfo(ctx context.Context) (*Info, error) {
	site, err := s.envSite(ctx)
	if err != nil {
		return nil, err
	}
	api, _ := s.apiURL()
	return &Info{
		Profile: s.Profile(),
		Site:    site,
		Sites:   s.envSites,
		Scopes:  site.Scopes,
		APIURL:  api,
		Storage: "the environment (ATL_TOKEN)",
		FromEnv: true,
	}, nil
}

// Profiles lists the profiles with a stored login in the config directory
// o names (see Options), reading no keychain.
func Profiles(o Options) ([]string, error) {
	dir, err := o.configDir()
	if err != nil {
		return nil, err
	}
	return store.New(dir, o.Keychain).Profiles()
}
