package auth_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

func TestDeadGrantIsMarkedAndNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  *authtest.Fault
		status int
		code   string
	}{
		{"revoked 403 invalid_grant", nil, 403, "invalid_grant"},
		{"400 invalid_grant", &authtest.Fault{Status: 400, Body: `{"error":"invalid_grant"}`}, 400, "invalid_grant"},
		{"403 unauthorized_client", &authtest.Fault{Status: 403, Body: `{"error":"unauthorized_client"}`}, 403, "unauthorized_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, authtest.Options{})
			if tc.fault != nil {
				f.srv.InjectTokenFaults(*tc.fault)
			} else {
				f.srv.RevokeGrants()
			}
			f.clock.Advance(2 * time.Hour)
			_, err := f.token()
			var lr *auth.LoginRequiredError
			if !errors.As(err, &lr) || lr.Profile != "default" {
				t.Fatalf("err = %v, want LoginRequiredError", err)
			}
			var te *auth.TokenError
			if !errors.As(err, &te) || te.Status != tc.status || te.Code != tc.code || !te.DeadGrant() {
				t.Fatalf("err = %v, want it to wrap the TokenError", err)
			}
			if n := f.srv.Count("token"); n != 1 {
				t.Fatalf("token requests = %d, want 1", n)
			}
			_, err = f.token()
			if !errors.As(err, &lr) || !strings.HasPrefix(err.Error(), "the stored login stopped working on 2026-11-29T14:00:00Z") {
				t.Fatalf("second call: %v", err)
			}
			if n := f.srv.Count("token"); n != 1 {
				t.Fatalf("second call asked the server again (%d requests)", n)
			}
			m := f.metadata()
			if m.Dead == nil || !m.Dead.At.Equal(f.clock.Now()) || m.Dead.Reason != "Atlassian rejected the stored grant (HTTP "+strconv.Itoa(tc.status)+" "+tc.code+")" {
				t.Fatalf("grant not marked dead as expected: %+v", m.Dead)
			}
		})
	}
}

func TestInvalidClientIsAConfigErrorWithoutRetry(t *testing.T) {
	for _, fault := range []authtest.Fault{
		{Status: 401, Body: `{"error":"invalid_client","error_description":"SECRET-MARKER"}`},
		{Status: 400, Body: `{"error":"invalid_client"}`},
		{Status: 401, Body: `{}`},
	} {
		f := newFixture(t, authtest.Options{})
		before := f.grant()
		f.srv.InjectTokenFaults(fault)
		f.clock.Advance(2 * time.Hour)
		_, err := f.token()
		var te *auth.TokenError
		if !errors.As(err, &te) || !te.BadClient() || te.Retryable() || te.DeadGrant() {
			t.Fatalf("%+v: err = %v, want a bad-client TokenError", fault, err)
		}
		if strings.Contains(err.Error(), "SECRET-MARKER") {
			t.Fatal("error echoes the response body")
		}
		if n := f.srv.Count("token"); n != 1 {
			t.Fatalf("token requests = %d, want 1", n)
		}
		f.assertUntouched(before) // a client error must not mark the grant dead
	}
}

func TestTransientFailuresAreRetriedWithinBounds(t *testing.T) {
	for _, tc := range []struct {
		name     string
		faults   []authtest.Fault
		ok       bool
		requests int
		sleeps   []time.Duration // exact sleeps, when Retry-After sets them
		msg      string          // the error, when the refresh fails
	}{
		{"429 honours Retry-After", []authtest.Fault{{Status: 429, Header: map[string]string{"Retry-After": "7"}}}, true, 2, []time.Duration{7 * time.Second}, ""},
		{"Retry-After equal to the cap", []authtest.Fault{{Status: 429, Header: map[string]string{"Retry-After": "30"}}}, true, 2, []time.Duration{30 * time.Second}, ""},
		{"Retry-After over the cap", []authtest.Fault{{Status: 429, Header: map[string]string{"Retry-After": "31"}}}, false, 1, nil,
			"token request failed: rate limited by Atlassian: Atlassian asks to wait 31s (HTTP 429)"},
		{"Retry-After as an HTTP date", []authtest.Fault{{Status: 503, Header: map[string]string{"Retry-After": "Sun, 29 Nov 2026 14:00:12 GMT"}}}, true, 2, nil, ""},
		{"503 then success", []authtest.Fault{{Status: 503}}, true, 2, nil, ""},
		{"connection reset then success", []authtest.Fault{{Reset: true}}, true, 2, nil, ""},
		{"500 four times gives up", []authtest.Fault{{Status: 500}, {Status: 500}, {Status: 500}, {Status: 500}}, false, 4, nil,
			"token request failed: Atlassian's token endpoint failed (gave up after 4 tries) (HTTP 500)"},
		{"Retry-After an hour gives up", []authtest.Fault{{Status: 429, Header: map[string]string{"Retry-After": "3600"}}}, false, 1, nil,
			"token request failed: rate limited by Atlassian: Atlassian asks to wait 1h0m0s (HTTP 429)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, authtest.Options{})
			before := f.grant()
			f.srv.InjectTokenFaults(tc.faults...)
			f.clock.Advance(2 * time.Hour)
			_, err := f.token()
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if n := f.srv.Count("token"); n != tc.requests {
				t.Fatalf("token requests = %d, want %d", n, tc.requests)
			}
			if !tc.ok {
				f.assertUntouched(before)
				var te *auth.TokenError
				if !errors.As(err, &te) || !te.Retryable() || err.Error() != tc.msg {
					t.Fatalf("err = %q, want the retryable %q", err, tc.msg)
				}
			}
			if tc.ok && f.grant().RefreshToken == before.RefreshToken {
				t.Fatal("rotation not stored")
			}
			if tc.sleeps != nil && !equalDurations(f.sleeps, tc.sleeps) {
				t.Fatalf("sleeps = %v, want %v", f.sleeps, tc.sleeps)
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

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetryAfterAsAnHTTPDateIsWaited(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	f.srv.InjectTokenFaults(authtest.Fault{Status: 503, Header: map[string]string{"Retry-After": time.Now().UTC().Add(20 * time.Second).Format(http.TimeFormat)}})
	f.clock.Advance(2 * time.Hour)
	if _, err := f.token(); err != nil {
		t.Fatal(err)
	}
	if len(f.sleeps) != 1 || f.sleeps[0] < 15*time.Second || f.sleeps[0] > 20*time.Second {
		t.Fatalf("sleeps = %v, want one of about 20s", f.sleeps)
	}
}

func TestBackoffDoublesFromHalfASecondWithJitter(t *testing.T) {
	// Without Retry-After: tries 2, 3 and 4 wait a random time in the
	// upper half of 0.5s, 1s and 2s.
	for range 20 {
		f := newFixture(t, authtest.Options{})
		f.srv.InjectTokenFaults(authtest.Fault{Status: 502}, authtest.Fault{Status: 502}, authtest.Fault{Status: 502})
		f.clock.Advance(2 * time.Hour)
		if _, err := f.token(); err != nil {
			t.Fatal(err)
		}
		if len(f.sleeps) != 3 {
			t.Fatalf("sleeps = %v, want 3", f.sleeps)
		}
		for i, max := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second} {
			if d := f.sleeps[i]; d < max/2 || d > max {
				t.Fatalf("sleep %d = %v, want within [%v, %v]", i+1, d, max/2, max)
			}
		}
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
			_, err := f.token()
			var te *auth.TokenError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a TokenError", err)
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
	s := f.session(func(o *auth.Options) {
		o.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond}
		o.Hooks.Retry.Attempts = 1
	})
	start := time.Now()
	_, err := s.TokenSource(context.Background()).Token()
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
	tok, err := f.token()
	if err != nil {
		t.Fatal(err)
	}
	if tok != before.AccessToken {
		t.Fatal("did not serve the stored token")
	}
	f.clock.Advance(time.Minute) // now expired: must fail
	if _, err := f.token(); err == nil {
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
	failing := f.session(func(o *auth.Options) { o.Hooks.Keychain = &failWrites{Memory: f.keys} })
	_, err := failing.TokenSource(context.Background()).Token()
	if err == nil || !strings.HasPrefix(err.Error(), "saving the refreshed tokens: ") {
		t.Fatalf("err = %v, want a failed save", err)
	}
	f.assertUntouched(before)
	tok, err := f.token()
	if err != nil {
		t.Fatalf("next run did not recover: %v", err)
	}
	if tok != f.grant().AccessToken || f.srv.GrantRevoked() {
		t.Fatal("recovery did not store a good grant")
	}
}

// failWrites lets reads through and fails every write.
type failWrites struct{ *storetest.Memory }

func (f *failWrites) Set(service, user, value string) error {
	return errors.New("simulated crash before the save")
}

func TestFailedMetadataSaveAfterARefreshIsAnError(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	f.clock.Advance(2 * time.Hour)
	// The rotated grant is stored; then the metadata file cannot be
	// replaced (a directory stands in its place).
	meta := filepath.Join(f.dir, "profiles", "default.json")
	s := f.session(func(o *auth.Options) {
		o.Hooks.Keychain = &afterWrite{Memory: f.keys, hook: func() {
			_ = os.Remove(meta)
			_ = os.MkdirAll(filepath.Join(meta, "x"), 0o700)
		}}
	})
	_, err := s.TokenSource(context.Background()).Token()
	if err == nil || !strings.HasPrefix(err.Error(), "saving the login's metadata: ") {
		t.Fatalf("err = %v, want a failed metadata save", err)
	}
	loc := f.login().Location(store.StorageKeychain)
	raw, _ := f.keys.Get(loc.Service, loc.Account)
	if g, err := store.DecodeGrant(raw); err != nil || f.srv.Count("token:refresh_token") != 1 || !g.Expiry.Equal(f.clock.Now().Add(time.Hour)) {
		t.Fatalf("the rotation was not stored before the metadata: %v", err)
	}
}

// afterWrite runs hook after each successful write.
type afterWrite struct {
	*storetest.Memory
	hook func()
}

func (a *afterWrite) Set(service, user, value string) error {
	err := a.Memory.Set(service, user, value)
	if err == nil {
		a.hook()
	}
	return err
}

func TestLostResponseIsRecoveredWithinLeeway(t *testing.T) {
	f := newFixture(t, authtest.Options{ReuseInterval: 10 * time.Minute})
	f.srv.InjectTokenFaults(authtest.Fault{PassThrough: true, Reset: true})
	f.clock.Advance(2 * time.Hour)
	if _, err := f.token(); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.Count("token"); n != 2 {
		t.Fatalf("token requests = %d, want 2", n)
	}
}

func TestLockHeldTooLongIsAClearError(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	unlock, err := f.login().Lock(context.Background(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	f.clock.Advance(2 * time.Hour)
	s := f.session(func(o *auth.Options) { o.Hooks.LockWait = 200 * time.Millisecond })
	_, err = s.TokenSource(context.Background()).Token()
	var lt *store.LockTimeoutError
	if !errors.As(err, &lt) || !strings.Contains(err.Error(), "default.lock") || lt.Wait != 200*time.Millisecond {
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
		reason string
	}{
		{"garbage grant", func(f *fixture) { f.setRaw("hunter2") }, "the stored tokens are unreadable"},
		{"empty grant", func(f *fixture) { f.setRaw("") }, "the stored tokens are unreadable"},
		{"future version", func(f *fixture) { f.setRaw(`{"v":99,"refresh_token":"x"}`) }, "the stored tokens are unreadable"},
		{"truncated chunks", func(f *fixture) { f.setRaw("atl-chunks:v1:abcd:3:0123456789abcdef") }, "the stored tokens are unreadable"},
		{"missing grant", func(f *fixture) {
			loc := f.login().Location(store.StorageKeychain)
			_ = f.keys.Delete(loc.Service, loc.Account)
		}, "no tokens are stored for this login"},
		{"missing metadata", func(f *fixture) { f.removeMetadata() }, "not logged in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, authtest.Options{})
			tc.break_(f)
			_, err := f.token()
			var lr *auth.LoginRequiredError
			if !errors.As(err, &lr) || err.Error() != tc.reason {
				t.Fatalf("err = %v, want LoginRequiredError %q", err, tc.reason)
			}
		})
	}
}

// setRaw replaces the stored secrets with raw.
func (f *fixture) setRaw(raw string) {
	f.t.Helper()
	loc := f.login().Location(store.StorageKeychain)
	if err := f.keys.Set(loc.Service, loc.Account, raw); err != nil {
		f.t.Fatal(err)
	}
}

// rotatingBehindOurBack is a keychain where, on one read, a writer that does
// not take atl's lock (an older atl, a user's script) has just stored a
// newer grant.
type rotatingBehindOurBack struct {
	*storetest.Memory
	mu     sync.Mutex
	reads  int
	onRead map[int]func()
}

func (r *rotatingBehindOurBack) Get(service, user string) (string, error) {
	r.mu.Lock()
	r.reads++
	if w := r.onRead[r.reads]; w != nil {
		w()
	}
	r.mu.Unlock()
	return r.Memory.Get(service, user)
}

// storeBehindOurBack stores a new grant of the server's, bypassing atl's
// lock, with an access token that expires after ttl.
func (f *fixture) storeBehindOurBack(ttl time.Duration) func() {
	return func() {
		access, refresh := f.srv.IssueTokens(testScopes...)
		m := f.metadata()
		g := store.Grant{RefreshToken: refresh, AccessToken: access, TokenType: "Bearer", Expiry: f.clock.Now().Add(ttl), ClientSecret: "secret-1", AuthURL: f.srv.URL(), APIURL: f.srv.URL()}
		if err := f.login().SaveRefreshed(m, g); err != nil {
			f.t.Error(err)
		}
	}
}

func TestInvalidGrantRereadsTheStoreBeforeGivingUp(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	f.srv.InjectTokenFaults(authtest.Fault{Status: 403, Body: authtest.InvalidRefreshTokenBody})
	f.clock.Advance(2 * time.Hour)
	// Reads (a refresh is due, so none before the lock): 1 refresh's load
	// under the lock, 2 the re-read after invalid_grant: the newer grant
	// appears just before it.
	s := f.session(func(o *auth.Options) {
		o.Hooks.Keychain = &rotatingBehindOurBack{Memory: f.keys, onRead: map[int]func(){2: f.storeBehindOurBack(time.Hour)}}
	})
	tok, err := s.TokenSource(context.Background()).Token()
	if err != nil {
		t.Fatalf("gave up although a newer grant was stored: %v", err)
	}
	if tok.AccessToken != f.grant().AccessToken {
		t.Fatal("did not serve the newer grant's token")
	}
	if f.metadata().Dead != nil {
		t.Fatal("marked dead")
	}
}

func TestInvalidGrantRereadsAtMostThreeTimes(t *testing.T) {
	// Every refresh is refused; each re-read finds a newer grant whose
	// access token has expired, so atl spends it too, until a re-read
	// finds a fresh one. Three re-reads are acted on, not a fourth.
	for _, tc := range []struct {
		expired int // newer expired grants before a fresh one appears
		ok      bool
	}{{2, true}, {3, false}} {
		f := newFixture(t, authtest.Options{})
		f.clock.Advance(2 * time.Hour)
		for range tc.expired + 1 {
			f.srv.InjectTokenFaults(authtest.Fault{Status: 403, Body: authtest.InvalidRefreshTokenBody})
		}
		// Reads: 1 refresh's load under the lock, 2… the re-reads after
		// each refusal.
		onRead := map[int]func(){}
		for i := range tc.expired {
			onRead[2+i] = f.storeBehindOurBack(-time.Minute)
		}
		onRead[2+tc.expired] = f.storeBehindOurBack(time.Hour)
		s := f.session(func(o *auth.Options) { o.Hooks.Keychain = &rotatingBehindOurBack{Memory: f.keys, onRead: onRead} })
		_, err := s.TokenSource(context.Background()).Token()
		var lr *auth.LoginRequiredError
		if tc.ok != (err == nil) || (!tc.ok && !errors.As(err, &lr)) {
			t.Fatalf("%d newer expired grants: err = %v, want ok=%v", tc.expired, err, tc.ok)
		}
		if n := f.srv.Count("token"); n != tc.expired+1 {
			t.Fatalf("%d newer expired grants: %d token requests, want %d", tc.expired, n, tc.expired+1)
		}
	}
}
