package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/internal/testhooks"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

// loginEnv is a Session.Login against a test server, with a browser that
// consents.
type loginEnv struct {
	t        *testing.T
	srv      *authtest.Server
	dir      string
	keys     *storetest.Memory
	cache    *storetest.MemoryCache // no kernel keyring in tests
	env      map[string]string
	callback string
	browsed  atomic.Int32
}

func newLoginEnv(t *testing.T, opts authtest.Options) *loginEnv {
	t.Helper()
	e := &loginEnv{t: t, dir: t.TempDir(), keys: storetest.NewMemory(), cache: storetest.NewMemoryCache()}
	e.callback = fmt.Sprintf("http://127.0.0.1:%d/callback", authtest.FreePort(t))
	opts.ClientID = "app-1"
	opts.ClientSecret = "app-1-secret"
	opts.RedirectURI = e.callback
	e.srv = authtest.NewServer(opts)
	t.Cleanup(e.srv.Close)
	e.env = map[string]string{
		"ATL_CLIENT_ID": "app-1", "ATL_CLIENT_SECRET": "app-1-secret", "ATL_CALLBACK_URL": e.callback,
		"ATL_AUTH_URL": e.srv.URL(), "ATL_API_URL": e.srv.URL(),
	}
	return e
}

func (e *loginEnv) session() *auth.Session {
	e.t.Helper()
	o := auth.FromEnv(func(k string) string { return e.env[k] })
	o.ConfigDir = e.dir
	o.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	o.Hooks = &testhooks.Hooks{Keychain: e.keys, TokenCache: e.cache}
	s, err := auth.OpenWith(o)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// options are LoginOptions whose browser consents at once.
func (e *loginEnv) options() auth.LoginOptions {
	return auth.LoginOptions{
		Timeout: 10 * time.Second,
		OpenBrowser: func(u string) error {
			e.browsed.Add(1)
			go func() { _, _, _ = authtest.Browse(context.Background(), nil, u) }()
			return nil
		},
	}
}

func (e *loginEnv) login(mods ...func(*auth.LoginOptions)) (*auth.Info, error) {
	o := e.options()
	for _, mod := range mods {
		mod(&o)
	}
	return e.session().Login(context.Background(), o)
}

func (e *loginEnv) stored() (*store.Metadata, store.Grant) {
	e.t.Helper()
	l, _ := store.New(e.dir, e.keys).Login("default")
	m, g, err := l.Load()
	if err != nil {
		e.t.Fatal(err)
	}
	return m, g
}

func TestLoginStoresTheLogin(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{})
	info, err := e.login(func(o *auth.LoginOptions) { o.Scopes = []string{"offline_access", "read:jira-user", "read:me"} })
	if err != nil {
		t.Fatal(err)
	}
	m, g := e.stored()
	if m.ClientID != "app-1" || m.AuthURL != e.srv.URL() || m.APIURL != e.srv.URL() || m.CallbackURL != e.callback ||
		m.AccountID != authtest.DefaultAccountID || m.Name != authtest.DefaultUserName || m.Email != authtest.DefaultUserEmail ||
		m.Site.ID != authtest.DefaultSiteID || m.Site.URL != authtest.DefaultSiteURL || m.Site.Name != authtest.DefaultSiteName ||
		strings.Join(m.Scopes, " ") != "offline_access read:jira-user read:me" || m.Storage != store.StorageKeychain || m.Dead != nil {
		t.Fatalf("metadata = %+v", m)
	}
	if g.ClientSecret != "app-1-secret" || g.RefreshToken == "" || g.AccessToken == "" || !g.Expiry.Equal(m.ExpiresAt) {
		t.Fatalf("grant = %+v", g)
	}
	if d := time.Until(g.Expiry); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("expiry in %v, want an hour", d)
	}
	l, _ := store.New(e.dir, e.keys).Login("default")
	if info.Site.ID != m.Site.ID || info.User.Email != authtest.DefaultUserEmail || info.Storage != l.Location(store.StorageKeychain).String() || info.InsecureStorage ||
		!strings.HasPrefix(info.Storage, `system keychain (service "atl", account "profile:default@`) {
		t.Fatalf("Info = %+v", info)
	}
	if e.srv.Count("token:authorization_code") != 1 || e.srv.Count("myself") != 1 || e.srv.Count("me") != 1 {
		t.Fatalf("requests: code %d, myself %d, me %d", e.srv.Count("token:authorization_code"), e.srv.Count("myself"), e.srv.Count("me"))
	}
	// The token the login stored is served without a request.
	tok, err := e.session().TokenSource(context.Background()).Token()
	if err != nil || tok.AccessToken != g.AccessToken || e.srv.Count("token") != 1 {
		t.Fatalf("token after login: %v", err)
	}
}

func TestLoginStoresTheScopesGranted(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{GrantScopes: func(asked []string) []string {
		return slices.DeleteFunc(asked, func(s string) bool { return s == "write:jira-work" })
	}})
	info, err := e.login()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(info.Scopes, " "); got != "offline_access read:jira-user read:jira-work" {
		t.Fatalf("scopes = %q, want those granted", got)
	}
	if q := e.srv.LastAuthorizeQuery().Get("scope"); q != "offline_access read:jira-user read:jira-work write:jira-work" {
		t.Fatalf("asked for %q, want the default scopes", q)
	}
}

func TestLoginAgainNeedsNoEnvironment(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{})
	if _, err := e.login(); err != nil {
		t.Fatal(err)
	}
	// The stored login supplies client id, secret, servers and callback.
	e.env = map[string]string{}
	if _, err := e.login(); err != nil {
		t.Fatalf("second login: %v", err)
	}
	if got := e.srv.LastTokenRequest(); got.Get("client_id") != "app-1" || got.Get("client_secret") != "app-1-secret" || got.Get("redirect_uri") != e.callback {
		t.Fatalf("second login's token request: %v", got)
	}
	// Another client: the stored secret is not sent with it.
	e.env["ATL_CLIENT_ID"] = "app-2"
	_, err := e.login(func(o *auth.LoginOptions) { o.Timeout = 2 * time.Second })
	if err == nil {
		t.Fatal("a login with an unknown client succeeded")
	}
	if q := e.srv.LastAuthorizeQuery(); q.Get("client_id") != "app-2" {
		t.Fatalf("authorize query %v", q)
	}
}

func TestLoginSettingsPrecedence(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{})
	fileCallback := fmt.Sprintf("http://127.0.0.1:%d/file", authtest.FreePort(t))
	cfg := `{"client_id": "from-file", "callback_url": "` + fileCallback + `"}`
	if err := os.WriteFile(filepath.Join(e.dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// Flags beat the environment, which beats config.json.
	e.env["ATL_CLIENT_ID"] = "from-env"
	_, err := e.login(func(o *auth.LoginOptions) { o.ClientID = "app-1" })
	if err != nil {
		t.Fatal(err)
	}
	if q := e.srv.LastAuthorizeQuery(); q.Get("client_id") != "app-1" || q.Get("redirect_uri") != e.callback {
		t.Fatalf("authorize query %v", q)
	}
	// Without flag and environment, the stored login beats config.json.
	delete(e.env, "ATL_CLIENT_ID")
	delete(e.env, "ATL_CALLBACK_URL")
	if _, err := e.login(); err != nil {
		t.Fatal(err)
	}
	if q := e.srv.LastAuthorizeQuery(); q.Get("client_id") != "app-1" || q.Get("redirect_uri") != e.callback {
		t.Fatalf("authorize query %v", q)
	}
	// Without a stored login, config.json.
	if _, err := e.session().Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	var location string
	_, err = e.login(func(o *auth.LoginOptions) {
		o.OpenBrowser = nil
		o.ShowURL = func(u string) {
			// The start link's redirect is the authorize URL.
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			if resp, err := c.Get(u); err == nil {
				location = resp.Header.Get("Location")
				resp.Body.Close()
			}
		}
		o.Timeout = 100 * time.Millisecond
	})
	u, _ := url.Parse(location)
	if !errors.Is(err, auth.ErrSignInTimeout) || u == nil || u.Query().Get("client_id") != "from-file" || u.Query().Get("redirect_uri") != fileCallback {
		t.Fatalf("config.json's settings: %v, authorize URL %q", err, location)
	}
}

func TestLoginWithoutClientIDIsAConfigError(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{})
	delete(e.env, "ATL_CLIENT_ID")
	_, err := e.login()
	var ce *auth.ConfigError
	if !errors.As(err, &ce) || ce.Setting != "client id" || err.Error() != "no client id is set" {
		t.Fatalf("err = %v", err)
	}
	if e.browsed.Load() != 0 || e.keys.Len() != 0 {
		t.Fatal("a login without a client id went on")
	}
}

func TestLoginWithABadCallbackIsAConfigError(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{})
	_, err := e.login(func(o *auth.LoginOptions) { o.CallbackURL = "https://example.com/cb" })
	var ce *auth.ConfigError
	if !errors.As(err, &ce) || ce.Setting != "callback URL" || ce.Value != "https://example.com/cb" || !strings.Contains(err.Error(), "http://") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoginFailsBeforeTheBrowserWithoutAKeychain(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{})
	e.keys.Fail(&store.KeychainError{Op: "read", Cause: "the keyring is locked"})
	_, err := e.login()
	var ke *store.KeychainError
	if !errors.As(err, &ke) || e.browsed.Load() != 0 || e.srv.Count("authorize") != 0 {
		t.Fatalf("err = %v, browser opened %d times", err, e.browsed.Load())
	}
	// Insecure storage needs no keychain.
	info, err := e.login(func(o *auth.LoginOptions) { o.InsecureStorage = true })
	if err != nil || !strings.HasPrefix(info.Storage, "file ") || !info.InsecureStorage {
		t.Fatalf("insecure login: %+v, %v", info, err)
	}
	if later, err := e.session().Info(context.Background()); err != nil || !later.InsecureStorage {
		t.Fatalf("Info of an insecure login: %+v, %v", later, err)
	}
	m, g := e.stored()
	if m.Storage != store.StorageFile || g.ClientSecret != "" {
		t.Fatalf("insecure storage: %+v %+v", m, g)
	}
}

func TestLoginChoosesTheSite(t *testing.T) {
	sites := []authtest.Site{
		{ID: "aaaaaaaa-0000-0000-0000-000000000001", URL: "https://alpha.atlassian.net", Name: "alpha"},
		{ID: "bbbbbbbb-0000-0000-0000-000000000002", URL: "https://beta.atlassian.net", Name: "beta"},
	}
	e := newLoginEnv(t, authtest.Options{Sites: sites})
	if _, err := e.login(); err == nil || !strings.Contains(err.Error(), "reaches 2 sites") {
		t.Fatalf("no chooser: %v", err)
	}
	var offered []auth.Site
	info, err := e.login(func(o *auth.LoginOptions) {
		o.ChooseSite = func(s []auth.Site) (auth.Site, error) { offered = s; return s[1], nil }
	})
	if err != nil || info.Site.ID != sites[1].ID || len(offered) != 2 || offered[0].Name != "alpha" {
		t.Fatalf("Login = %+v, %v (offered %+v)", info, err, offered)
	}
	_, err = e.login(func(o *auth.LoginOptions) {
		o.ChooseSite = func(s []auth.Site) (auth.Site, error) { return auth.Site{ID: "elsewhere"}, nil }
	})
	if err == nil || !strings.Contains(err.Error(), "elsewhere") {
		t.Fatalf("a site the login does not reach: %v", err)
	}
	wantErr := errors.New("no choice")
	if _, err := e.login(func(o *auth.LoginOptions) {
		o.ChooseSite = func([]auth.Site) (auth.Site, error) { return auth.Site{}, wantErr }
	}); !errors.Is(err, wantErr) {
		t.Fatalf("chooser error: %v", err)
	}
	if m, _ := e.stored(); m.Site.ID != sites[1].ID {
		t.Fatal("a failed login replaced the stored one")
	}
}

// The sign-in link fetched a second time after the callback came, while
// the login is not yet stored (here: while the site is chosen), means the
// callback may be someone else's: nothing is stored.
func TestALoginWhoseLinkWasFetchedTwiceIsNeverStored(t *testing.T) {
	sites := []authtest.Site{
		{ID: "aaaaaaaa-0000-0000-0000-000000000001", URL: "https://alpha.atlassian.net", Name: "alpha"},
		{ID: "bbbbbbbb-0000-0000-0000-000000000002", URL: "https://beta.atlassian.net", Name: "beta"},
	}
	e := newLoginEnv(t, authtest.Options{Sites: sites})
	var shown string
	_, err := e.login(func(o *auth.LoginOptions) {
		o.ShowURL = func(u string) { shown = u }
		o.ChooseSite = func(s []auth.Site) (auth.Site, error) {
			resp, err := http.Get(shown)
			if err != nil {
				return auth.Site{}, err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusConflict {
				t.Errorf("the second fetch: %d, want 409", resp.StatusCode)
			}
			return s[0], nil
		}
	})
	if !errors.Is(err, auth.ErrLinkReused) {
		t.Fatalf("Login = %v, want ErrLinkReused", err)
	}
	l, _ := store.New(e.dir, e.keys).Login("default")
	if _, err := l.Metadata(); !errors.Is(err, store.ErrNoLogin) {
		t.Fatalf("something was stored: %v", err)
	}
}

func TestLoginTimeout(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{})
	start := time.Now()
	_, err := e.login(func(o *auth.LoginOptions) { o.OpenBrowser = nil; o.Timeout = 200 * time.Millisecond })
	if !errors.Is(err, auth.ErrSignInTimeout) || err.Error() != "no sign-in within 200ms" {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.session().Login(ctx, e.options()); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	if e.keys.Len() != 0 {
		t.Fatal("something was stored")
	}
}

func TestLoginWithoutATimeout(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{})
	// Timeout zero: no limit of its own; the browser consents and it works.
	if _, err := e.login(func(o *auth.LoginOptions) { o.Timeout = 0 }); err != nil {
		t.Fatalf("no timeout: %v", err)
	}
	// The caller's deadline is the caller's: reported as it is, not as a
	// sign-in timeout of atl's.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	o := e.options()
	o.OpenBrowser, o.Timeout = nil, 0
	_, err := e.session().Login(ctx, o)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, auth.ErrSignInTimeout) {
		t.Fatalf("the caller's deadline: %v", err)
	}
}

func TestLoginIdentifiesTheUserWithReadMeAlone(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{})
	info, err := e.login(func(o *auth.LoginOptions) { o.Scopes = []string{"offline_access", "read:me"} })
	if err != nil {
		t.Fatal(err)
	}
	// Jira's myself refuses (no read:jira-user): /me names the user.
	if info.User.AccountID != authtest.DefaultAccountID || info.User.Name != authtest.DefaultUserName || info.User.Email != authtest.DefaultUserEmail {
		t.Fatalf("user %+v", info.User)
	}
	if e.srv.Count("myself") != 1 || e.srv.Count("me") != 1 {
		t.Fatalf("myself %d, me %d", e.srv.Count("myself"), e.srv.Count("me"))
	}
}
