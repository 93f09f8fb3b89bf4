package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

var testScopes = []string{"offline_access", "read:jira-user", "read:jira-work"}

// fixture is a stored login against a running test server.
type fixture struct {
	t      testing.TB
	srv    *authtest.Server
	clock  *authtest.Clock
	dir    *store.Dir
	keys   *storetest.Memory
	sleeps []time.Duration
	mu     sync.Mutex
}

func newFixture(t testing.TB, opts authtest.Options) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: authtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)), keys: storetest.NewMemory(), dir: store.NewDir(t.TempDir())}
	opts.ClientID = "client-1"
	opts.ClientSecret = "secret-1"
	opts.Now = f.clock.Now
	f.srv = authtest.NewServer(opts)
	t.Cleanup(f.srv.Close)
	access, refresh := f.srv.IssueTokens(testScopes...)
	p := &store.Profile{
		ClientID: "client-1", AuthURL: f.srv.URL(), APIURL: f.srv.URL(),
		AccountID: authtest.DefaultAccountID,
		Site:      store.Site{ID: authtest.DefaultSiteID, URL: authtest.DefaultSiteURL, Name: authtest.DefaultSiteName},
		Scopes:    testScopes, Storage: store.StorageKeychain,
	}
	g := store.Grant{RefreshToken: refresh, AccessToken: access, TokenType: "Bearer", Expiry: f.clock.Now().Add(time.Hour), ClientSecret: "secret-1"}
	if _, err := f.session().Save(context.Background(), p, g); err != nil {
		t.Fatal(err)
	}
	return f
}

// session returns a new Session over the fixture's store, as a separate
// process would have.
func (f *fixture) session() *auth.Session {
	return &auth.Session{
		Dir: f.dir, Keychain: f.keys, HTTPClient: &http.Client{Timeout: 2 * time.Second},
		Now: f.clock.Now, LockWait: 5 * time.Second,
		Retry: auth.RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.sleeps = append(f.sleeps, d)
			return nil
		}},
	}
}

func (f *fixture) grant() store.Grant {
	f.t.Helper()
	raw, err := store.NewVault(f.keys, auth.KeychainService, 0).Get("profile:default")
	if err != nil {
		f.t.Fatal(err)
	}
	g, err := store.DecodeGrant(raw)
	if err != nil {
		f.t.Fatal(err)
	}
	return g
}

// assertUntouched fails unless a failed refresh left the stored grant as
// before and did not mark it dead.
func (f *fixture) assertUntouched(before store.Grant) {
	f.t.Helper()
	if f.grant() != before {
		f.t.Fatal("stored grant changed")
	}
	if p, err := f.dir.LoadProfile("default"); err != nil || p.Dead != nil {
		f.t.Fatalf("grant marked dead (or profile unreadable: %v)", err)
	}
}

func TestCurrentServesCachedTokenWithoutRequest(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	before := f.grant()
	c, err := f.session().Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Token.AccessToken != before.AccessToken {
		t.Errorf("got a different token than the cached one")
	}
	if n := f.srv.Count("token"); n != 0 {
		t.Errorf("token requests = %d, want 0", n)
	}
}

func TestCurrentRefreshesNearExpiryAndPersistsEveryRotation(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	s := f.session()
	for round := 1; round <= 3; round++ {
		before := f.grant()
		f.clock.Advance(time.Hour - auth.ExpiryMargin + time.Second) // inside the margin
		c, err := s.Current(context.Background())
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		after := f.grant()
		if after.RefreshToken == before.RefreshToken {
			t.Fatalf("round %d: rotated refresh token not stored", round)
		}
		if c.Token.AccessToken != after.AccessToken || c.Token.AccessToken == before.AccessToken {
			t.Fatalf("round %d: served token is not the stored new one", round)
		}
		if want := f.clock.Now().Add(time.Hour); !after.Expiry.Equal(want) {
			t.Errorf("round %d: expiry %v, want %v (from expires_in at receipt)", round, after.Expiry, want)
		}
		if n := f.srv.Count("token:refresh_token"); n != round {
			t.Fatalf("round %d: refreshes = %d", round, n)
		}
		// Served from cache now.
		if _, err := s.Current(context.Background()); err != nil || f.srv.Count("token") != round {
			t.Fatalf("round %d: second call refreshed again (err %v)", round, err)
		}
	}
	if f.srv.GrantRevoked() {
		t.Fatal("a rotated token was reused")
	}
	p, err := f.dir.LoadProfile("default")
	if err != nil || !p.ExpiresAt.Equal(f.grant().Expiry) {
		t.Errorf("profile expires_at not updated: %v %v", p, err)
	}
}

func TestConcurrentSessionsRefreshOnce(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	f.clock.Advance(2 * time.Hour)
	const n = 20
	tokens := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := f.session().Current(context.Background())
			errs[i] = err
			if err == nil {
				tokens[i] = c.Token.AccessToken
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("session %d: %v", i, errs[i])
		}
		if tokens[i] != tokens[0] {
			t.Fatalf("session %d got a different token", i)
		}
	}
	if got := f.srv.Count("token:refresh_token"); got != 1 {
		t.Fatalf("refresh requests = %d, want 1", got)
	}
	if tokens[0] != f.grant().AccessToken {
		t.Fatal("served token is not the stored one")
	}
}

func TestOneSessionSharedByGoroutinesRefreshesOnce(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	f.clock.Advance(2 * time.Hour)
	s := f.session()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := s.Token(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := f.srv.Count("token:refresh_token"); got != 1 {
		t.Fatalf("refresh requests = %d, want 1", got)
	}
}

func TestDeadGrantIsMarkedAndNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault *authtest.Fault
	}{
		{"revoked 403 invalid_grant", nil},
		{"400 invalid_grant", &authtest.Fault{Status: 400, Body: `{"error":"invalid_grant"}`}},
		{"403 unauthorized_client", &authtest.Fault{Status: 403, Body: `{"error":"unauthorized_client"}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, authtest.Options{})
			if tc.fault != nil {
				f.srv.InjectTokenFaults(*tc.fault)
			} else {
				f.srv.RevokeGrants()
			}
			f.clock.Advance(2 * time.Hour)
			_, err := f.session().Current(context.Background())
			var lr *auth.LoginRequiredError
			if !errors.As(err, &lr) || !strings.Contains(err.Error(), "atl login") {
				t.Fatalf("err = %v, want LoginRequiredError", err)
			}
			if n := f.srv.Count("token"); n != 1 {
				t.Fatalf("token requests = %d, want 1", n)
			}
			_, err = f.session().Current(context.Background())
			if !errors.As(err, &lr) {
				t.Fatalf("second call: %v", err)
			}
			if n := f.srv.Count("token"); n != 1 {
				t.Fatalf("second call asked the server again (%d requests)", n)
			}
			if p, err := f.dir.LoadProfile("default"); err != nil || p.Dead == nil {
				t.Fatalf("grant not marked dead: %+v %v", p, err)
			}
		})
	}
}

func TestInvalidClientIsAConfigErrorWithoutRetry(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	before := f.grant()
	f.srv.InjectTokenFaults(authtest.Fault{Status: 401, Body: `{"error":"invalid_client","error_description":"SECRET-MARKER"}`})
	f.clock.Advance(2 * time.Hour)
	_, err := f.session().Current(context.Background())
	var ce *auth.ClientError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "ATL_CLIENT_ID") {
		t.Fatalf("err = %v, want ClientError naming ATL_CLIENT_ID", err)
	}
	if strings.Contains(err.Error(), "SECRET-MARKER") {
		t.Fatal("error echoes the response body")
	}
	if n := f.srv.Count("token"); n != 1 {
		t.Fatalf("token requests = %d, want 1", n)
	}
	f.assertUntouched(before) // a client error must not mark the grant dead
}

func TestTransientFailuresAreRetriedWithinBounds(t *testing.T) {
	for _, tc := range []struct {
		name      string
		faults    []authtest.Fault
		ok        bool
		requests  int
		wantSleep time.Duration // first sleep, when exact
	}{
		{"429 honours Retry-After", []authtest.Fault{{Status: 429, Header: map[string]string{"Retry-After": "7"}}}, true, 2, 7 * time.Second},
		{"503 then success", []authtest.Fault{{Status: 503}}, true, 2, 0},
		{"connection reset then success", []authtest.Fault{{Reset: true}}, true, 2, 0},
		{"500 four times gives up", []authtest.Fault{{Status: 500}, {Status: 500}, {Status: 500}, {Status: 500}}, false, 4, 0},
		{"Retry-After too long gives up", []authtest.Fault{{Status: 429, Header: map[string]string{"Retry-After": "3600"}}}, false, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, authtest.Options{})
			before := f.grant()
			f.srv.InjectTokenFaults(tc.faults...)
			f.clock.Advance(2 * time.Hour)
			_, err := f.session().Current(context.Background())
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if n := f.srv.Count("token"); n != tc.requests {
				t.Fatalf("token requests = %d, want %d", n, tc.requests)
			}
			if !tc.ok {
				f.assertUntouched(before)
			}
			if tc.ok && f.grant().RefreshToken == before.RefreshToken {
				t.Fatal("rotation not stored")
			}
			if tc.wantSleep != 0 && (len(f.sleeps) == 0 || f.sleeps[0] != tc.wantSleep) {
				t.Fatalf("sleeps = %v, want first %v", f.sleeps, tc.wantSleep)
			}
			var total time.Duration
			for _, d := range f.sleeps {
				total += d
			}
			if total > 2*time.Minute {
				t.Fatalf("backoff total %v leaves Atlassian's 10-minute leeway at risk", total)
			}
		})
	}
}

func TestMalformedTokenResponsesChangeNothing(t *testing.T) {
	big := `{"access_token":"` + strings.Repeat("A", 2<<20) + `","expires_in":3600}`
	for _, tc := range []struct {
		name string
		f    authtest.Fault
	}{
		{"malformed JSON", authtest.Fault{Status: 200, Body: `{"access_token": SECRET-MARKER`}},
		{"HTML error page", authtest.Fault{Status: 502, ContentType: "text/html", Body: "<html>SECRET-MARKER</html>"}},
		{"HTML with 200", authtest.Fault{Status: 200, ContentType: "text/html", Body: "<html>SECRET-MARKER</html>"}},
		{"200 with error field", authtest.Fault{Status: 200, Body: `{"error":"server_error","error_description":"SECRET-MARKER"}`}},
		{"missing access_token", authtest.Fault{Status: 200, Body: `{"refresh_token":"SECRET-MARKER","expires_in":3600}`}},
		{"missing expires_in", authtest.Fault{Status: 200, Body: `{"access_token":"SECRET-MARKER","refresh_token":"r"}`}},
		{"negative expires_in", authtest.Fault{Status: 200, Body: `{"access_token":"SECRET-MARKER","refresh_token":"r","expires_in":-5}`}},
		{"body over 1 MiB", authtest.Fault{Status: 200, Body: big}},
		{"not bearer", authtest.Fault{Status: 200, Body: `{"access_token":"SECRET-MARKER","token_type":"mac","expires_in":3600}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, authtest.Options{})
			before := f.grant()
			// The 502 is retried; give every try the same answer.
			f.srv.InjectTokenFaults(tc.f, tc.f, tc.f, tc.f)
			f.clock.Advance(2 * time.Hour)
			_, err := f.session().Current(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "SECRET-MARKER") || strings.Contains(err.Error(), "AAAA") {
				t.Fatalf("error echoes the body: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			f.assertUntouched(before)
		})
	}
}

func TestTricklingResponseTimesOut(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	before := f.grant()
	f.srv.InjectTokenFaults(authtest.Fault{Status: 200, Trickle: true, Body: strings.Repeat(" ", 100) + `{}`})
	f.clock.Advance(2 * time.Hour)
	s := f.session()
	s.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond}
	s.Retry.Attempts = 1
	start := time.Now()
	_, err := s.Current(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	f.assertUntouched(before)
}

func TestUnreachableServerServesStillValidToken(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	before := f.grant()
	f.clock.Advance(time.Hour - 30*time.Second) // 30 s left: inside the margin, still valid
	f.srv.Close()
	c, err := f.session().Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Token.AccessToken != before.AccessToken {
		t.Fatal("did not serve the cached token")
	}
	f.clock.Advance(time.Minute) // now expired: must fail
	if _, err := f.session().Current(context.Background()); err == nil {
		t.Fatal("served an expired token")
	}
}

func TestFailedSaveKeepsOldTokenAndRecovers(t *testing.T) {
	// Atlassian lets a rotated refresh token be used again for 10 minutes:
	// a crash (here, a keychain failure) between the token response and the
	// save must leave the old one in place so the next run recovers.
	f := newFixture(t, authtest.Options{ReuseInterval: 10 * time.Minute})
	before := f.grant()
	f.clock.Advance(2 * time.Hour)
	failing := f.session()
	failing.Keychain = &failAfterReads{Memory: f.keys}
	if _, err := failing.Current(context.Background()); err == nil {
		t.Fatal("no error when the save failed")
	}
	f.assertUntouched(before)
	c, err := f.session().Current(context.Background())
	if err != nil {
		t.Fatalf("next run did not recover: %v", err)
	}
	if c.Token.AccessToken != f.grant().AccessToken || f.srv.GrantRevoked() {
		t.Fatal("recovery did not store a good grant")
	}
}

// failAfterReads lets reads through and fails every write.
type failAfterReads struct{ *storetest.Memory }

func (f *failAfterReads) Set(service, user, value string) error {
	return errors.New("simulated crash before the save")
}

func TestLostResponseIsRecoveredWithinLeeway(t *testing.T) {
	f := newFixture(t, authtest.Options{ReuseInterval: 10 * time.Minute})
	f.srv.InjectTokenFaults(authtest.Fault{PassThrough: true, Reset: true})
	f.clock.Advance(2 * time.Hour)
	if _, err := f.session().Current(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.Count("token"); n != 2 {
		t.Fatalf("token requests = %d, want 2", n)
	}
}

func TestRefreshAfterAPIRefusal(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	s := f.session()
	c, err := s.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stale := c.Token.AccessToken
	c2, err := s.Refresh(context.Background(), stale)
	if err != nil || c2.Token.AccessToken == stale {
		t.Fatalf("forced refresh: %v", err)
	}
	// Another process asking with the same stale token gets the new one
	// without a second request.
	c3, err := f.session().Refresh(context.Background(), stale)
	if err != nil || c3.Token.AccessToken != c2.Token.AccessToken {
		t.Fatalf("second forced refresh: %v", err)
	}
	if n := f.srv.Count("token:refresh_token"); n != 1 {
		t.Fatalf("refreshes = %d, want 1", n)
	}
}

func TestLockHeldTooLongIsAClearError(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	unlock, err := f.dir.Lock(context.Background(), "default", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	f.clock.Advance(2 * time.Hour)
	s := f.session()
	s.LockWait = 200 * time.Millisecond
	_, err = s.Current(context.Background())
	var lt *store.LockTimeoutError
	if !errors.As(err, &lt) || !strings.Contains(err.Error(), "default.lock") {
		t.Fatalf("err = %v, want LockTimeoutError naming the lock file", err)
	}
	if n := f.srv.Count("token"); n != 0 {
		t.Fatalf("refreshed without the lock")
	}
}

func TestUnreadableStoredDataNeedsLogin(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(f *fixture)
	}{
		{"garbage grant", func(f *fixture) { _ = f.keys.Set(auth.KeychainService, "profile:default", "hunter2") }},
		{"empty grant", func(f *fixture) { _ = f.keys.Set(auth.KeychainService, "profile:default", "") }},
		{"future version", func(f *fixture) {
			_ = f.keys.Set(auth.KeychainService, "profile:default", `{"v":99,"refresh_token":"x"}`)
		}},
		{"truncated chunks", func(f *fixture) {
			_ = f.keys.Set(auth.KeychainService, "profile:default", "atl-chunks:v1:abcd:3:0123456789abcdef")
		}},
		{"missing grant", func(f *fixture) { _ = f.keys.Delete(auth.KeychainService, "profile:default") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, authtest.Options{})
			tc.break_(f)
			_, err := f.session().Current(context.Background())
			var lr *auth.LoginRequiredError
			if !errors.As(err, &lr) {
				t.Fatalf("err = %v, want LoginRequiredError", err)
			}
		})
	}
}

func TestLargeTokensUnderPlatformItemLimits(t *testing.T) {
	for _, limit := range []struct {
		name      string
		itemLimit int
		itemSize  int
	}{
		{"windows", 2560, 2048},
		{"darwin", 2900, 2048},
		{"linux", 0, 0},
	} {
		t.Run(limit.name, func(t *testing.T) {
			f := newFixture(t, authtest.Options{TokenBytes: 8 << 10})
			f.keys.ItemLimit = limit.itemLimit
			s := f.session()
			s.ItemSize = limit.itemSize
			f.clock.Advance(2 * time.Hour)
			c, err := s.Current(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Token.AccessToken) != 8<<10 {
				t.Fatalf("token length %d", len(c.Token.AccessToken))
			}
			if got := f.grant(); got.AccessToken != c.Token.AccessToken || len(got.RefreshToken) != 8<<10 {
				t.Fatal("stored grant does not match")
			}
		})
	}
}

func ExampleSession_TokenSource() {
	s := &auth.Session{Dir: store.NewDir("/home/me/.config/atl"), Keychain: store.Keyring{}, ItemSize: store.PlatformItemSize}
	ts := s.TokenSource(context.Background())
	_ = ts // oauth2.NewClient(ctx, oauth2.ReuseTokenSource(nil, ts))
	fmt.Println("ok")
	// Output: ok
}

// rotatingBehindOurBack is a keychain where, on one read, a writer that does
// not take atl's lock (an older atl, a user's script) has just stored a
// newer grant.
type rotatingBehindOurBack struct {
	*storetest.Memory
	mu     sync.Mutex
	reads  int
	onRead int
	write  func()
}

func (r *rotatingBehindOurBack) Get(service, user string) (string, error) {
	r.mu.Lock()
	r.reads++
	if r.reads == r.onRead {
		r.write()
	}
	r.mu.Unlock()
	return r.Memory.Get(service, user)
}

func TestInvalidGrantRereadsTheStoreBeforeGivingUp(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	f.srv.InjectTokenFaults(authtest.Fault{Status: 403, Body: authtest.InvalidRefreshTokenBody})
	f.clock.Advance(2 * time.Hour)
	access, refresh := f.srv.IssueTokens(testScopes...)
	s := f.session()
	// Reads: 1 Current's load, 2 refresh's load under the lock, 3 the
	// re-read after invalid_grant: the newer grant appears just before it.
	s.Keychain = &rotatingBehindOurBack{Memory: f.keys, onRead: 3, write: func() {
		g := store.Grant{RefreshToken: refresh, AccessToken: access, TokenType: "Bearer", Expiry: f.clock.Now().Add(time.Hour)}
		enc, _ := store.EncodeGrant(g)
		_ = store.NewVault(f.keys, auth.KeychainService, 0).Set("profile:default", enc)
	}}
	c, err := s.Current(context.Background())
	if err != nil {
		t.Fatalf("gave up although a newer grant was stored: %v", err)
	}
	if c.Token.AccessToken != access {
		t.Fatal("did not serve the newer grant's token")
	}
	if p, _ := f.dir.LoadProfile("default"); p.Dead != nil {
		t.Fatal("marked dead")
	}
}

func TestLogoutRemovesEverythingOnce(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	s := f.session()
	removed, err := s.Logout(context.Background())
	if err != nil || !removed {
		t.Fatalf("Logout = %v, %v", removed, err)
	}
	if f.keys.Len() != 0 {
		t.Fatalf("%d keychain items left", f.keys.Len())
	}
	if _, err := f.dir.LoadProfile("default"); !errors.Is(err, store.ErrNoProfile) {
		t.Fatalf("profile left: %v", err)
	}
	if removed, err := s.Logout(context.Background()); err != nil || removed {
		t.Fatalf("second Logout = %v, %v", removed, err)
	}
	var lr *auth.LoginRequiredError
	if _, err := s.Current(context.Background()); !errors.As(err, &lr) {
		t.Fatalf("Current after logout: %v", err)
	}
}

func TestLogoutOfInsecureStorageRemovesTheFile(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	s := f.session()
	p, _ := f.dir.LoadProfile("default")
	p.Storage = store.StorageFile
	if _, err := s.Save(context.Background(), p, f.grant()); err != nil {
		t.Fatal(err)
	}
	if f.keys.Len() != 0 {
		t.Fatal("moving to file storage left the keychain item")
	}
	path, _ := f.dir.TokenFile("default")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("token file missing: %v", err)
	}
	if removed, err := s.Logout(context.Background()); err != nil || !removed {
		t.Fatalf("Logout = %v, %v", removed, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("token file left: %v", err)
	}
}

func TestLogoutWithoutProfileCleansAStrayKeychainItem(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	if err := f.dir.DeleteProfile("default"); err != nil {
		t.Fatal(err)
	}
	removed, err := f.session().Logout(context.Background())
	if err != nil || !removed || f.keys.Len() != 0 {
		t.Fatalf("Logout = %v, %v, %d items left", removed, err, f.keys.Len())
	}
	// With no keychain reachable and nothing stored, logout still succeeds.
	f.keys.Fail(errors.New("no keychain"))
	if removed, err := f.session().Logout(context.Background()); err != nil || removed {
		t.Fatalf("Logout without keychain = %v, %v", removed, err)
	}
}
