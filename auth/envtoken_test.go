package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
)

// ATL_TOKEN: the library serves it as it is, asks Atlassian which sites it
// reaches, and touches no stored login.
func TestAnAccessTokenFromTheEnvironment(t *testing.T) {
	sites := []authtest.Site{
		{ID: "aaaaaaaa-0000-0000-0000-000000000001", URL: "https://alpha.atlassian.net", Name: "alpha"},
		{ID: "bbbbbbbb-0000-0000-0000-000000000002", URL: "https://beta.atlassian.net", Name: "beta"},
	}
	f := newFixture(t, authtest.Options{Sites: sites})
	if _, err := f.login().Delete(); err != nil { // no stored login at all
		t.Fatal(err)
	}
	access, _ := f.srv.IssueTokens("read:jira-user", "read:jira-work")
	f.setenv("ATL_TOKEN", access)
	f.setenv("ATL_API_URL", f.srv.URL()) // no stored login to name it
	gets, sets := f.keys.Calls()

	s := f.session()
	tok, err := s.TokenSource(context.Background()).Token()
	if err != nil || tok.AccessToken != access || !tok.Expiry.IsZero() {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
	// Two sites and none chosen: a ConfigError naming them.
	_, err = s.WhoAmI(context.Background())
	var ce *auth.ConfigError
	if !errors.As(err, &ce) || ce.Setting != "site" || ce.Error() != "the token reaches 2 sites (alpha https://alpha.atlassian.net, beta https://beta.atlassian.net) and none was chosen" {
		t.Fatalf("WhoAmI with two sites: %v", err)
	}
	f.setenv("ATL_SITE", "nowhere")
	if _, err := f.session().WhoAmI(context.Background()); !errors.As(err, &ce) || ce.Setting != "site" || ce.Value != "nowhere" {
		t.Fatalf("WhoAmI with ATL_SITE naming no site: %v", err)
	}
	f.setenv("ATL_SITE", "beta")
	s = f.session()
	u, err := s.WhoAmI(context.Background())
	if err != nil || u.AccountID != authtest.DefaultAccountID || u.Name != authtest.DefaultUserName {
		t.Fatalf("WhoAmI = %+v, %v", u, err)
	}
	info, err := s.Info(context.Background())
	if err != nil || !info.GivenToken || info.Site.ID != sites[1].ID || info.Storage != "" {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	if site, err := s.Site(); err != nil || site.ID != sites[1].ID {
		t.Fatalf("Site = %+v, %v", site, err)
	}
	if g, st := f.keys.Calls(); g != gets || st != sets || f.srv.Count("token") != 0 {
		t.Fatal("ATL_TOKEN touched the keychain or asked for a token")
	}
	// Not a bearer token: refused, before anything is sent.
	f.setenv("ATL_TOKEN", "not a token\x1b[2J")
	if _, err := f.session().TokenSource(context.Background()).Token(); !errors.As(err, &ce) || ce.Setting != "token" {
		t.Fatalf("a malformed ATL_TOKEN: %v", err)
	}
}
