package auth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/internal/testhooks"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

// serviceLogin is a service account's login through e (no browser: one
// that opens is a failure).
func (e *loginEnv) serviceLogin(site string) (*auth.Info, error) {
	return e.login(func(o *auth.LoginOptions) {
		o.ServiceAccount, o.Site = true, site
		o.OpenBrowser = func(string) error { e.browsed.Add(1); return errors.New("no browser for a service account") }
		o.ShowURL = func(string) { e.browsed.Add(1) }
	})
}

func TestAServiceAccountLogsInWithItsClientCredentials(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     authtest.Options
		site     string // --site; "SERVER" is the server's own address
		wantURL  string // the site's stored URL; "SERVER" as above
		lookups  int    // of tenant_info
		wantName string // "HOST" is the server's host and port
	}{
		{"a token that lists its site", authtest.Options{ServiceSitesListed: true}, "", authtest.DefaultSiteURL, 0, authtest.DefaultSiteName},
		{"a site named by URL", authtest.Options{}, "SERVER", "SERVER", 1, "HOST"},
		{"a site named by cloud id", authtest.Options{}, authtest.DefaultSiteID, "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newLoginEnv(t, tc.opts)
			site := strings.ReplaceAll(tc.site, "SERVER", e.srv.URL())
			info, err := e.serviceLogin(site)
			if err != nil {
				t.Fatal(err)
			}
			m, g := e.stored()
			wantURL := strings.ReplaceAll(tc.wantURL, "SERVER", e.srv.URL())
			tc.wantName = strings.ReplaceAll(tc.wantName, "HOST", strings.TrimPrefix(e.srv.URL(), "http://"))
			if m.Kind != store.KindServiceAccount || m.ClientID != "app-1" || m.AccountID != authtest.DefaultServiceAccountID || m.Name != authtest.DefaultServiceAccountName ||
				m.Site.ID != authtest.DefaultSiteID || m.Site.URL != wantURL || m.Site.Name != tc.wantName || m.CallbackURL != "" ||
				!m.ConsentedAt.IsZero() || !m.RefreshIssuedAt.IsZero() || strings.Join(m.Scopes, " ") != "read:jira-user read:jira-work write:jira-work" {
				t.Fatalf("metadata = %+v", m)
			}
			if g.RefreshToken != "" || g.ClientSecret != "app-1-secret" || g.AccessToken == "" {
				t.Fatalf("grant = %+v", g)
			}
			if !info.ServiceAccount || info.User.Name != authtest.DefaultServiceAccountName || !info.LoginExpiresAt.IsZero() || !info.ConsentedAt.IsZero() {
				t.Fatalf("Info = %+v", info)
			}
			if e.browsed.Load() != 0 || e.srv.Count("authorize") != 0 || e.srv.Count("token") != 1 || e.srv.Count("token:client_credentials") != 1 ||
				e.srv.Count("tenant_info") != tc.lookups {
				t.Fatalf("browsed %d; requests: authorize %d, token %d, client credentials %d, tenant_info %d", e.browsed.Load(),
					e.srv.Count("authorize"), e.srv.Count("token"), e.srv.Count("token:client_credentials"), e.srv.Count("tenant_info"))
			}
			if last := e.srv.LastTokenRequest(); last.Get("client_secret") != "app-1-secret" || last.Get("grant_type") != "client_credentials" {
				t.Fatalf("token request = %v", last) // the secret in the body: AuthStyle is explicit
			}
		})
	}
}

func TestAServiceAccountsLoginNeedsItsSiteAndSecret(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{})
	var ce *auth.ConfigError
	if _, err := e.serviceLogin(""); !errors.As(err, &ce) || ce.Setting != "site" {
		t.Fatalf("no site, none listed: %v", err)
	}
	if _, err := e.serviceLogin("no site at all"); !errors.As(err, &ce) || ce.Setting != "site" || ce.Value != "no site at all" {
		t.Fatalf("a site that is neither: %v", err)
	}
	if _, err := e.serviceLogin("http://example.atlassian.net"); !errors.As(err, &ce) || ce.Setting != "site" {
		t.Fatalf("a site over plain http: %v", err)
	}
	if _, err := e.login(func(o *auth.LoginOptions) { o.ServiceAccount, o.InsecureStorage = true, true }); !errors.As(err, &ce) || ce.Setting != "storage" {
		t.Fatalf("--insecure-storage: %v", err)
	}
	delete(e.env, "ATL_CLIENT_SECRET")
	if _, err := e.serviceLogin(authtest.DefaultSiteID); !errors.As(err, &ce) || ce.Setting != "client secret" {
		t.Fatalf("no secret: %v", err)
	}
	e.env["ATL_CLIENT_SECRET"] = "wrong"
	_, err := e.serviceLogin(authtest.DefaultSiteID)
	var lr *auth.LoginRequiredError
	if !errors.As(err, &lr) || lr.ServiceAccount != "app-1" || err.Error() != "Atlassian refused the client secret of service account app-1: HTTP 401 invalid_client" {
		t.Fatalf("a wrong secret: %v", err)
	}
	if _, err := os.Stat(e.dir + "/profiles/default.json"); !os.IsNotExist(err) {
		t.Fatalf("a failed login stored something: %v", err)
	}
}

// serviceFixture is a service account's stored login against a test
// server, on the fixture's clock, with a token cache.
func serviceFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixtureAt(t, authtest.Options{}, time.Now().UTC().Truncate(time.Second), storetest.NewMemoryCache())
	m := &store.Metadata{
		Kind: store.KindServiceAccount, ClientID: "client-1", AuthURL: f.srv.URL(), APIURL: f.srv.URL(),
		AccountID: authtest.DefaultServiceAccountID, Name: authtest.DefaultServiceAccountName,
		Site:   store.Site{ID: authtest.DefaultSiteID, URL: authtest.DefaultSiteURL, Name: authtest.DefaultSiteName},
		Scopes: []string{"read:jira-user", "read:jira-work"}, Storage: store.StorageKeychain, LoginAt: f.clock.Now(),
	}
	at, _ := f.srv.IssueTokens("read:jira-user", "read:jira-work")
	g := store.Grant{AccessToken: at, TokenType: "Bearer", Expiry: f.clock.Now().Add(time.Hour), ClientSecret: "secret-1", AuthURL: f.srv.URL(), APIURL: f.srv.URL()}
	if _, err := f.login().Delete(); err != nil {
		t.Fatal(err)
	}
	if err := f.login().Save(m, g); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestAServiceAccountsTokenIsMintedAgainAtExpiry(t *testing.T) {
	f := serviceFixture(t)
	first := f.grant()
	// The library serves it as a person's login: TokenSource and Client.
	if tok, err := f.token(); err != nil || tok != first.AccessToken || f.srv.Count("token") != 0 {
		t.Fatalf("a stored token: %v", err)
	}
	f.clock.Advance(2 * time.Hour)
	const n = 20
	var wg sync.WaitGroup
	toks := make([]string, n)
	for i := range n {
		wg.Go(func() {
			s := f.session()
			resp, err := s.Client(context.Background()).Get(f.srv.URL() + "/ex/jira/" + authtest.DefaultSiteID + "/rest/api/3/myself")
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), authtest.DefaultServiceAccountID) {
				t.Errorf("myself: %d %s", resp.StatusCode, b)
			}
			tok, _ := s.TokenSource(context.Background()).Token()
			toks[i] = tok.AccessToken
		})
	}
	wg.Wait()
	second := f.grant()
	if n := f.srv.Count("token:client_credentials"); n != 1 || f.srv.Count("token") != 1 {
		t.Fatalf("%d sessions at expiry made %d token requests, want 1", n, f.srv.Count("token"))
	}
	for _, tok := range toks {
		if tok != second.AccessToken {
			t.Fatal("a session served another token than the stored one")
		}
	}
	if second.AccessToken == first.AccessToken || second.RefreshToken != "" || second.ClientSecret != "secret-1" || !second.Expiry.After(f.clock.Now()) {
		t.Fatalf("grant after the mint = %+v", second)
	}
	if m := f.metadata(); !m.ExpiresAt.Equal(second.Expiry) || m.Kind != store.KindServiceAccount {
		t.Fatalf("metadata after the mint = %+v", m)
	}
}

func TestARefusedServiceAccountSecretNamesIt(t *testing.T) {
	f := serviceFixture(t)
	before := f.grant()
	f.srv.InjectTokenFaults(authtest.Fault{Status: 401, Body: `{"error":"invalid_client","error_description":"SECRET-MARKER"}`})
	f.clock.Advance(2 * time.Hour)
	_, err := f.token()
	var lr *auth.LoginRequiredError
	var te *auth.TokenError
	if !errors.As(err, &lr) || lr.ServiceAccount != "client-1" || lr.Profile != "default" || lr.Ended != "" || !errors.As(err, &te) || !te.BadClient() {
		t.Fatalf("err = %#v", err)
	}
	if want := `Atlassian refused the client secret of service account "CI bot" (client id client-1): HTTP 401 invalid_client`; err.Error() != want {
		t.Fatalf("err = %q, want %q", err, want)
	}
	f.assertUntouched(before) // not dead: a secret given in ATL_CLIENT_SECRET may still work
	f.setenv("ATL_CLIENT_SECRET", "secret-1")
	if _, err := f.token(); err != nil {
		t.Fatalf("with the right secret given: %v", err)
	}
}

// grantSession is a Session of client credentials given in Options
// (ATL_GRANT) against f's server, with f's token cache and a keychain
// that fails if asked.
func (f *fixture) grantSession(mods ...func(*auth.Options)) *auth.Session {
	f.t.Helper()
	keys := storetest.NewMemory()
	keys.Fail(errors.New("no keychain here")) // nothing may ask it
	o := auth.Options{
		ConfigDir: f.t.TempDir() + "/nothing-here", Grant: "client_credentials", ClientID: "client-1", ClientSecret: "secret-1",
		AuthURL: f.srv.URL(), APIURL: f.srv.URL(), HTTPClient: &http.Client{Timeout: 2 * time.Second},
		Hooks: &testhooks.Hooks{Keychain: keys, TokenCache: f.cache, Now: f.clock.Now},
	}
	for _, mod := range mods {
		mod(&o)
	}
	s, err := auth.OpenWith(o)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func TestClientCredentialsGivenInOptionsUseNothingStored(t *testing.T) {
	f := serviceFixture(t)
	var first string
	for i := range 20 {
		tok, err := f.grantSession().TokenSource(context.Background()).Token()
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		if i == 0 {
			first = tok.AccessToken
		} else if tok.AccessToken != first {
			t.Fatalf("session %d served another token", i)
		}
	}
	if n := f.srv.Count("token"); n != 1 {
		t.Fatalf("20 sessions made %d token requests, want 1 (the token cache serves the rest)", n)
	}
	// The site, by cloud id, URL, or (when the token lists it) name.
	for i, site := range []string{authtest.DefaultSiteID, f.srv.URL()} {
		s := f.grantSession(func(o *auth.Options) { o.Site = site })
		if _, err := s.Site(); err == nil && i == 0 && f.srv.Count("accessible-resources") != 0 {
			t.Fatal("a site given by its cloud id was looked for among the token's")
		}
		got, err := s.Site()
		if err != nil || got.ID != authtest.DefaultSiteID {
			t.Fatalf("site %q: %+v %v", site, got, err)
		}
		u, err := s.WhoAmI(context.Background())
		if err != nil || u.AccountID != authtest.DefaultServiceAccountID {
			t.Fatalf("WhoAmI: %+v %v", u, err)
		}
		info, err := s.Info(context.Background())
		if err != nil || !info.ServiceAccount || info.GivenToken || info.Storage != "" || info.ClientID != "client-1" || info.AuthURL != f.srv.URL() || info.TokenFrom != "the memory cache" {
			t.Fatalf("Info = %+v, %v", info, err)
		}
	}
	var ce *auth.ConfigError
	if _, err := f.grantSession().Site(); !errors.As(err, &ce) || ce.Setting != "site" {
		t.Fatalf("no site, none listed: %v", err)
	}
	// The stored login was never read or changed.
	if _, err := f.login().Metadata(); err != nil {
		t.Fatalf("the stored login was touched: %v", err)
	}
}

func TestClientCredentialsGivenInOptionsAreChecked(t *testing.T) {
	f := serviceFixture(t)
	var ce *auth.ConfigError
	for _, tc := range []struct {
		mod     func(*auth.Options)
		setting string
	}{
		{func(o *auth.Options) { o.Grant = "password" }, "grant"},
		{func(o *auth.Options) { o.Token = "at-1" }, "grant"},
	} {
		o := auth.Options{ConfigDir: t.TempDir(), Grant: "client_credentials"}
		tc.mod(&o)
		if _, err := auth.OpenWith(o); !errors.As(err, &ce) || ce.Setting != tc.setting {
			t.Fatalf("OpenWith(%+v) = %v", o, err)
		}
	}
	for _, tc := range []struct {
		mod     func(*auth.Options)
		setting string
	}{
		{func(o *auth.Options) { o.ClientID = "" }, "client id"},
		{func(o *auth.Options) { o.ClientSecret = "" }, "client secret"},
		{func(o *auth.Options) { o.AuthURL = "http://auth.example.com" }, "auth URL"},
	} {
		if _, err := f.grantSession(tc.mod).TokenSource(context.Background()).Token(); !errors.As(err, &ce) || ce.Setting != tc.setting {
			t.Fatalf("%s: %v", tc.setting, err)
		}
	}
	_, err := f.grantSession(func(o *auth.Options) { o.ClientSecret = "wrong" }).TokenSource(context.Background()).Token()
	var lr *auth.LoginRequiredError
	if !errors.As(err, &lr) || lr.Profile != "" || lr.ServiceAccount != "client-1" || err.Error() != "Atlassian refused the client secret of service account client-1: HTTP 401 invalid_client" {
		t.Fatalf("a wrong secret: %#v", err)
	}
	// A token cached for the right secret is not served to a wrong one.
	if _, err := f.grantSession().TokenSource(context.Background()).Token(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.grantSession(func(o *auth.Options) { o.ClientSecret = "wrong" }).TokenSource(context.Background()).Token(); !errors.As(err, &lr) {
		t.Fatalf("a wrong secret, with a token cached: %v", err)
	}
}
