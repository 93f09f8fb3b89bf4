package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

// cacheFixture is a login on the real clock with a memory token cache.
func cacheFixture(t *testing.T, opts authtest.Options) (*fixture, *storetest.MemoryCache) {
	t.Helper()
	cache := storetest.NewMemoryCache()
	return newFixtureAt(t, opts, time.Now(), cache), cache
}

// keychainReads counts the keychain reads fn makes.
func keychainReads(f *fixture, fn func()) int {
	before, _ := f.keys.Calls()
	fn()
	after, _ := f.keys.Calls()
	return after - before
}

func TestTheTokenCacheServesWithoutTheKeychain(t *testing.T) {
	f, cache := cacheFixture(t, authtest.Options{})
	if cache.Len() != 1 {
		t.Fatalf("the login's token was not cached (%d entries)", cache.Len())
	}
	want := f.grant().AccessToken
	var got string
	if n := keychainReads(f, func() {
		s := f.session()
		tok, err := s.TokenSource(context.Background()).Token()
		if err != nil {
			t.Fatal(err)
		}
		got = tok.AccessToken
		info, _ := s.Info(context.Background())
		if info.TokenFrom != "the memory cache" {
			t.Errorf("TokenFrom = %q", info.TokenFrom)
		}
	}); n != 0 || got != want {
		t.Fatalf("a cache hit read the keychain %d times (token the stored one: %v)", n, got == want)
	}
	// The API client works from the cache too.
	if n := keychainReads(f, func() {
		resp, err := f.session().Client(context.Background()).Get(f.srv.URL() + "/me")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}); n != 0 {
		t.Fatalf("a call from the cache read the keychain %d times", n)
	}
}

func TestTheTokenCacheFollowsTheLogin(t *testing.T) {
	t.Run("expiry", func(t *testing.T) {
		f, _ := cacheFixture(t, authtest.Options{})
		f.clock.Advance(time.Hour - 30*time.Second) // inside the margin: the cache is not trusted
		tok, err := f.token()
		if err != nil || tok == "" || f.srv.Count("token:refresh_token") != 1 {
			t.Fatalf("inside the margin: %v, %d refreshes", err, f.srv.Count("token:refresh_token"))
		}
	})
	t.Run("rotation", func(t *testing.T) {
		f, cache := cacheFixture(t, authtest.Options{})
		f.srv.ExpireAccessTokens()
		resp, err := f.session().Client(context.Background()).Get(f.srv.URL() + "/me") // a 401: a forced refresh
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		rotated := f.grant().AccessToken
		var got string
		if n := keychainReads(f, func() { got, _ = f.token() }); n != 0 || got != rotated {
			t.Fatalf("after the rotation the cache served %q (keychain reads %d), want the new token", got, n)
		}
		if cache.Len() != 1 {
			t.Fatalf("%d entries", cache.Len())
		}
	})
	t.Run("logout", func(t *testing.T) {
		f, cache := cacheFixture(t, authtest.Options{})
		if _, err := f.session().Logout(context.Background()); err != nil {
			t.Fatal(err)
		}
		if cache.Len() != 0 {
			t.Fatal("the entry outlived the login")
		}
		var lr *auth.LoginRequiredError
		if _, err := f.token(); !errors.As(err, &lr) {
			t.Fatalf("after logout: %v", err)
		}
	})
	t.Run("a new login", func(t *testing.T) {
		f, cache := cacheFixture(t, authtest.Options{})
		access, refresh := f.srv.IssueTokens(testScopes...)
		m := f.metadata()
		g := store.Grant{RefreshToken: refresh, AccessToken: access, TokenType: "Bearer", Expiry: time.Now().Add(time.Hour), AuthURL: f.srv.URL(), APIURL: f.srv.URL()}
		if err := f.login().Save(m, g); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.token(); got != access || cache.Len() != 1 {
			t.Fatalf("after a new login the cache served another token (%d entries)", cache.Len())
		}
	})
	t.Run("a dead grant", func(t *testing.T) {
		f, cache := cacheFixture(t, authtest.Options{})
		f.srv.RevokeGrants()
		f.srv.ExpireAccessTokens()
		resp, err := f.session().Client(context.Background()).Get(f.srv.URL() + "/me")
		if err == nil {
			resp.Body.Close()
		}
		var lr *auth.LoginRequiredError
		if !errors.As(err, &lr) || cache.Len() != 0 {
			t.Fatalf("a dead grant: %v, %d entries left", err, cache.Len())
		}
		if _, err := f.token(); !errors.As(err, &lr) {
			t.Fatalf("after it died the cache served a token: %v", err)
		}
	})
	t.Run("another profile", func(t *testing.T) {
		f, _ := cacheFixture(t, authtest.Options{})
		// The same login copied under another profile name: its entry
		// is its own.
		for _, suffix := range []string{".json"} {
			b, _ := os.ReadFile(filepath.Join(f.dir, "profiles", "default"+suffix))
			_ = os.WriteFile(filepath.Join(f.dir, "profiles", "other"+suffix), b, 0o600)
		}
		s := f.session(func(o *auth.Options) { o.Profile = "other" })
		_, err := s.TokenSource(context.Background()).Token()
		var lr *auth.LoginRequiredError
		if !errors.As(err, &lr) {
			t.Fatalf("profile other was served profile default's cached token: %v", err)
		}
	})
	t.Run("another server or client in the environment", func(t *testing.T) {
		f, _ := cacheFixture(t, authtest.Options{})
		for env, value := range map[string]string{"ATL_AUTH_URL": "https://auth.example.test", "ATL_CLIENT_ID": "another"} {
			f.setenv(env, value)
			var ce *auth.ConfigError
			if _, err := f.token(); !errors.As(err, &ce) {
				t.Fatalf("%s=%s: the cached token was served: %v", env, value, err)
			}
			f.setenv(env, "")
		}
	})
	t.Run("keyctl refused", func(t *testing.T) {
		f, cache := cacheFixture(t, authtest.Options{})
		cache.Fail(syscall.EPERM) // a container's seccomp profile
		want := f.grant().AccessToken
		s := f.session()
		tok, err := s.TokenSource(context.Background()).Token()
		if err != nil || tok.AccessToken != want {
			t.Fatalf("with keyctl refused: %v", err)
		}
		if info, _ := s.Info(context.Background()); info.TokenFrom != "the keychain" {
			t.Fatalf("TokenFrom = %q", info.TokenFrom)
		}
		f.clock.Advance(2 * time.Hour)
		if _, err := f.token(); err != nil {
			t.Fatalf("a refresh with keyctl refused: %v", err)
		}
	})
}

func TestConcurrentSessionsShareTheCacheAndRefreshOnce(t *testing.T) {
	f, cache := cacheFixture(t, authtest.Options{})
	f.clock.Advance(time.Hour) // due for a refresh
	const n = 30
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tok, err := f.token()
			if err != nil {
				t.Error(err)
			}
			tokens[i] = tok
		})
	}
	wg.Wait()
	for i := range n {
		if tokens[i] != tokens[0] {
			t.Fatalf("session %d got another token", i)
		}
	}
	if f.srv.Count("token:refresh_token") != 1 || cache.Len() != 1 {
		t.Fatalf("%d refreshes, %d entries", f.srv.Count("token:refresh_token"), cache.Len())
	}
}

func TestAWaitingSessionTakesTheRefreshedTokenFromTheCache(t *testing.T) {
	f, _ := cacheFixture(t, authtest.Options{})
	f.clock.Advance(time.Hour) // due for a refresh
	// Another process holds the lock, refreshing.
	unlock, err := f.login().Lock(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	keys := &rotatingBehindOurBack{Memory: f.keys}
	s := f.session(func(o *auth.Options) { o.Hooks.Keychain = keys })
	type result struct {
		tok string
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := s.TokenSource(context.Background()).Token()
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{tok: tok.AccessToken}
	}()
	select {
	case r := <-done:
		t.Fatalf("served while the lock was held and nothing new was stored: %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
	// The lock holder stores the rotated grant, which fills the cache.
	f.storeBehindOurBack(time.Hour)()
	r := <-done
	if r.err != nil || r.tok != f.grant().AccessToken {
		t.Fatalf("err %v, the new token: %v", r.err, r.tok == f.grant().AccessToken)
	}
	if keys.reads != 0 || f.srv.Count("token:refresh_token") != 0 {
		t.Fatalf("the waiting session read the keychain %d times and refreshed %d times", keys.reads, f.srv.Count("token:refresh_token"))
	}
	if info, _ := s.Info(context.Background()); info.TokenFrom != "the memory cache" {
		t.Fatalf("TokenFrom %q", info.TokenFrom)
	}
}

func TestARefreshIsOneTokenRequestAndOneKeychainWrite(t *testing.T) {
	f, cache := cacheFixture(t, authtest.Options{})
	f.clock.Advance(time.Hour) // due for a refresh
	f.srv.ResetCounts()
	gets0, sets0 := f.keys.Calls()
	cacheGets0, cacheSets0 := cache.Calls()
	tok, err := f.token()
	if err != nil {
		t.Fatal(err)
	}
	gets, sets := f.keys.Calls()
	cacheGets, cacheSets := cache.Calls()
	// Keychain: the grant read under the lock, the rotated grant written,
	// and read back before its token is served. Cache: the miss, the new
	// entry.
	if n := f.srv.Count("token"); n != 1 || sets-sets0 != 1 || gets-gets0 != 2 {
		t.Fatalf("%d token requests, %d keychain writes, %d keychain reads; want 1, 1, 2", n, sets-sets0, gets-gets0)
	}
	if cacheSets-cacheSets0 != 1 || cacheGets-cacheGets0 != 1 {
		t.Fatalf("cache: %d reads, %d writes; want 1 and 1", cacheGets-cacheGets0, cacheSets-cacheSets0)
	}
	if tok != f.grant().AccessToken {
		t.Fatal("did not serve the stored token")
	}
}

func TestACacheMissFillsTheCache(t *testing.T) {
	f, cache := cacheFixture(t, authtest.Options{})
	if err := f.login().DropCachedToken(); err != nil || cache.Len() != 0 {
		t.Fatalf("drop: %v, %d entries", err, cache.Len())
	}
	want := f.grant().AccessToken
	// The miss reads the keychain once and fills the cache…
	if n := keychainReads(f, func() {
		if tok, err := f.token(); err != nil || tok != want {
			t.Fatalf("miss: %v", err)
		}
	}); n != 1 || cache.Len() != 1 {
		t.Fatalf("a miss read the keychain %d times and left %d entries", n, cache.Len())
	}
	// …so that the next process reads nothing.
	if n := keychainReads(f, func() {
		if tok, err := f.token(); err != nil || tok != want {
			t.Fatalf("hit: %v", err)
		}
	}); n != 0 {
		t.Fatalf("the call after a miss read the keychain %d times", n)
	}
	// While another process holds the lock (a writer at work), a miss
	// leaves the cache to it.
	if err := f.login().DropCachedToken(); err != nil {
		t.Fatal(err)
	}
	unlock, err := f.login().Lock(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if tok, err := f.token(); err != nil || tok != want || cache.Len() != 0 {
		t.Fatalf("a miss under another's lock: %v, %d entries", err, cache.Len())
	}
	if f.srv.Count("token") != 0 {
		t.Fatal("a token request")
	}
}
