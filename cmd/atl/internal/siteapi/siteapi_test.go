package siteapi

import (
	"errors"
	"net/url"
	"reflect"
	"testing"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
)

const site = authtest.DefaultSiteID

// newAPI is the API of a stored login on a test server (its URL is
// returned), with ATL_API_URL set to api when not empty.
func newAPI(t *testing.T, api string) (*API, string) {
	t.Helper()
	e := clitest.New(t)
	if api != "" {
		e.Vars["ATL_API_URL"] = api
	}
	e.Store("default", "")
	s, err := e.F.Session()
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(info)
	if err != nil {
		t.Fatal(err)
	}
	if api == "" {
		api = e.Srv.URL()
	}
	return a, api
}

func TestBaseAndAddresses(t *testing.T) {
	a, api := newAPI(t, "")
	if got, want := a.Base("jira"), api+"/ex/jira/"+site; got != want {
		t.Errorf("Base(jira) = %s, want %s", got, want)
	}
	if got, want := a.Base("confluence"), api+"/ex/confluence/"+site; got != want {
		t.Errorf("Base(confluence) = %s, want %s", got, want)
	}
	if a.URL() != api || "http://"+a.Host() != api || a.Site().ID != site {
		t.Errorf("URL %s, Host %s, Site %+v", a.URL(), a.Host(), a.Site())
	}
	want := []string{ // longest first: the test server's address is shorter than Atlassian's
		"https://api.atlassian.com/ex/confluence/" + site,
		api + "/ex/confluence/" + site,
		"https://api.atlassian.com/ex/jira/" + site,
		api + "/ex/jira/" + site,
		authtest.DefaultSiteURL,
	}
	if got := a.Addresses(); !reflect.DeepEqual(got, want) {
		t.Errorf("Addresses:\n got %q\nwant %q", got, want)
	}
	// On Atlassian's own API, each address once.
	prod, _ := newAPI(t, "https://api.atlassian.com")
	if got, want := prod.Addresses(), []string{"https://api.atlassian.com/ex/confluence/" + site, "https://api.atlassian.com/ex/jira/" + site, authtest.DefaultSiteURL}; !reflect.DeepEqual(got, want) {
		t.Errorf("Addresses on Atlassian's API:\n got %q\nwant %q", got, want)
	}
}

func TestLink(t *testing.T) {
	a, api := newAPI(t, "http://api.test")
	for _, tc := range []struct {
		link, want string
		foreign    string
	}{
		{link: "/wiki/api/v2/spaces?cursor=x", want: api + "/ex/confluence/" + site + "/wiki/api/v2/spaces?cursor=x"},
		{link: "http://api.test/ex/jira/" + site + "/rest/api/3/x?startAt=2", want: "http://api.test/ex/jira/" + site + "/rest/api/3/x?startAt=2"},
		{link: "https://api.atlassian.com/ex/confluence/c/wiki/api/v2/spaces?cursor=z", want: "https://api.atlassian.com/ex/confluence/c/wiki/api/v2/spaces?cursor=z"},
		{link: "https://evil.example/next", foreign: "evil.example"},
		{link: "http://api.atlassian.com/me", foreign: "api.atlassian.com"},
		{link: "https://api.test/me", foreign: "api.test"},
		{link: "wiki/api/v2/spaces", foreign: ""},
	} {
		u, err := a.Link(tc.link)
		var fe *ForeignError
		switch {
		case tc.want != "" && (err != nil || u.String() != tc.want):
			t.Errorf("Link(%s) = %v, %v; want %s", tc.link, u, err, tc.want)
		case tc.want == "" && (!errors.As(err, &fe) || fe.Host != tc.foreign):
			t.Errorf("Link(%s) = %v, %v; want a foreign host %q", tc.link, u, err, tc.foreign)
		}
	}
	if _, err := a.Link("http://[::1"); !errors.Is(err, ErrNotURL) {
		t.Errorf("Link of no address: %v", err)
	}
}

func TestRoute(t *testing.T) {
	a, api := newAPI(t, "http://api.test/prefix")
	jira, conf := api+"/ex/jira/"+site, api+"/ex/confluence/"+site
	for _, tc := range []struct {
		path, query, want string
		err               error
	}{
		{path: "/rest/api/3/myself", want: jira + "/rest/api/3/myself"},
		{path: "/rest/api/2/search", query: "jql=a%20b&x=1", want: jira + "/rest/api/2/search?jql=a%20b&x=1"},
		{path: "/", want: jira + "/"},
		{path: "/rest/api/3/issue/A%2FB", want: jira + "/rest/api/3/issue/A%2FB"},
		{path: "/wiki/api/v2/spaces", query: "cursor=c2", want: conf + "/wiki/api/v2/spaces?cursor=c2"},
		{path: "/wiki", want: conf + "/wiki"},
		{path: "/wikis/x", want: jira + "/wikis/x"},
		{path: "/me", want: api + "/me"},
		{path: "/oauth/token/accessible-resources", want: api + "/oauth/token/accessible-resources"},
		{path: "/me/x", want: jira + "/me/x"},
		{path: "/ex/jira/" + site + "/rest/api/3/myself", want: jira + "/rest/api/3/myself"},
		{path: "/ex/confluence/" + site + "/wiki/api/v2/spaces", query: "limit=1", want: conf + "/wiki/api/v2/spaces?limit=1"},
		{path: "/ex/jira/11111111-2222-3333-4444-000000000009/rest/api/3/myself", err: ErrOtherSite},
		{path: "/ex/jira/" + site, want: jira}, // the site's own base, nothing after it
		{path: "/ex/jira/" + site + "0", err: ErrOtherSite},
		{path: "/ex/jira", err: ErrOtherSite},
		{path: "/ex", err: ErrOtherSite},
		{path: "/ex//" + site + "/x", err: ErrOtherSite},
		{path: "/rest/../../../ex/jira/other", err: ErrBadPath},
		{path: "/rest/%2e%2e/x", err: ErrBadPath},
		{path: "/wiki/./x", err: ErrBadPath},
		{path: "/a%zz", err: ErrBadPath},
	} {
		u, err := a.Route(tc.path, tc.query)
		switch {
		case tc.err != nil && !errors.Is(err, tc.err):
			t.Errorf("Route(%s) = %v, %v; want %v", tc.path, u, err, tc.err)
		case tc.err == nil && (err != nil || u.String() != tc.want):
			t.Errorf("Route(%s, %s) = %v, %v; want %s", tc.path, tc.query, u, err, tc.want)
		}
	}
}

func TestOn(t *testing.T) {
	a, _ := newAPI(t, "http://api.test/prefix")
	for u, want := range map[string]bool{
		"http://api.test/prefix/ex/jira/x":                true,
		"http://api.test/other":                           false,
		"https://api.atlassian.com/ex/jira/x":             true,
		"https://example.atlassian.net/rest/api/3/myself": false,
	} {
		if got := a.On(mustParse(t, u)); got != want {
			t.Errorf("On(%s) = %v, want %v", u, got, want)
		}
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
