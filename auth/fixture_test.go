package auth_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/internal/testhooks"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

var testScopes = []string{"offline_access", "read:jira-user", "read:jira-work"}

// fixture is a stored login against a running test server.
type fixture struct {
	t      testing.TB
	srv    *authtest.Server
	clock  *authtest.Clock
	dir    string
	keys   *storetest.Memory
	cache  store.TokenCache
	env    map[string]string
	mu     sync.Mutex
	sleeps []time.Duration
}

func newFixture(t testing.TB, opts authtest.Options) *fixture {
	t.Helper()
	return newFixtureAt(t, opts, time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), store.NoTokenCache{})
}

// newFixtureAt is newFixture with its clock at start and the token cache
// cache. (The token cache keeps entries on the real clock: with a clock in
// the past, nothing is cached.)
func newFixtureAt(t testing.TB, opts authtest.Options, start time.Time, cache store.TokenCache) *fixture {
	t.Helper()
	f := &fixture{
		t:     t,
		cache: cache,
		clock: authtest.NewClock(start),
		keys:  storetest.NewMemory(),
		dir:   t.TempDir(),
		env:   map[string]string{},
	}
	opts.ClientID = "client-1"
	opts.ClientSecret = "secret-1"
	opts.Now = f.clock.Now
	f.srv = authtest.NewServer(opts)
	t.Cleanup(f.srv.Close)
	access, refresh := f.srv.IssueTokens(testScopes...)
	m := &store.Metadata{
		ClientID: "client-1", AuthURL: f.srv.URL(), APIURL: f.srv.URL(),
		AccountID: authtest.DefaultAccountID, Name: authtest.DefaultUserName, Email: authtest.DefaultUserEmail,
		Site:   store.Site{ID: authtest.DefaultSiteID, URL: authtest.DefaultSiteURL, Name: authtest.DefaultSiteName},
		Scopes: testScopes, Storage: store.StorageKeychain,
		ExpiresAt: f.clock.Now().Add(time.Hour),
	}
	g := store.Grant{RefreshToken: refresh, AccessToken: access, TokenType: "Bearer", Expiry: f.clock.Now().Add(time.Hour), ClientSecret: "secret-1", AuthURL: f.srv.URL(), APIURL: f.srv.URL()}
	if err := f.login().Save(m, g); err != nil {
		t.Fatal(err)
	}
	return f
}

// options are the Session options of the fixture, as a separate process
// would have them.
func (f *fixture) options() auth.Options {
	f.mu.Lock()
	o := auth.FromEnv(func(k string) string { return f.env[k] })
	f.mu.Unlock()
	o.ConfigDir = f.dir
	o.HTTPClient = &http.Client{Timeout: 2 * time.Second}
	o.Hooks = &testhooks.Hooks{
		Keychain:   f.keys,
		TokenCache: f.cache,
		Now:        f.clock.Now,
		LockWait:   5 * time.Second,
		Retry: testhooks.Retry{Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.sleeps = append(f.sleeps, d)
			return nil
		}},
	}
	return o
}

// session returns a new Session over the fixture's store, as a separate
// process would have, with options changed by each mod.
func (f *fixture) session(mods ...func(*auth.Options)) *auth.Session {
	f.t.Helper()
	o := f.options()
	for _, mod := range mods {
		mod(&o)
	}
	s, err := auth.OpenWith(o)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) setenv(k, v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.env[k] = v
}

// login is the fixture's stored login, read directly.
func (f *fixture) login() *store.Login {
	f.t.Helper()
	l, err := store.New(f.dir, f.keys).WithTokenCache(f.cache).Login("default")
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func (f *fixture) grant() store.Grant {
	f.t.Helper()
	_, g, err := f.login().Load()
	if err != nil {
		f.t.Fatal(err)
	}
	return g
}

func (f *fixture) metadata() *store.Metadata {
	f.t.Helper()
	m, err := f.login().Metadata()
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// token gets a token from a new Session's TokenSource.
func (f *fixture) token() (string, error) {
	tok, err := f.session().TokenSource(context.Background()).Token()
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// assertUntouched fails unless a failed refresh left the stored grant as
// before and did not mark it dead.
func (f *fixture) assertUntouched(before store.Grant) {
	f.t.Helper()
	if f.grant() != before {
		f.t.Fatal("stored grant changed")
	}
	if m := f.metadata(); m.Dead != nil {
		f.t.Fatalf("grant marked dead: %+v", m.Dead)
	}
}

// removeMetadata deletes the login's metadata file, as a user cleaning up
// by hand would.
func (f *fixture) removeMetadata() {
	f.t.Helper()
	if err := os.Remove(filepath.Join(f.dir, "profiles", "default.json")); err != nil {
		f.t.Fatal(err)
	}
}
