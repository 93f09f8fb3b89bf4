package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

const day = 24 * time.Hour

// stamp records in the fixture's metadata the times a login records: its
// consent and the last issue of its refresh token.
func (f *fixture) stamp(consented, refreshIssued time.Time) {
	f.t.Helper()
	if err := f.login().Update(func(m *store.Metadata) error {
		m.ConsentedAt, m.RefreshIssuedAt = consented, refreshIssued
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
}

func TestALoginRecordsItsConsentAndSaysWhenItEnds(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{})
	before := time.Now()
	info, err := e.login()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := e.stored()
	if m.ConsentedAt.Before(before.Truncate(time.Second)) || m.ConsentedAt.After(time.Now()) || !m.RefreshIssuedAt.Equal(m.ConsentedAt) {
		t.Fatalf("consented %v, refresh token issued %v", m.ConsentedAt, m.RefreshIssuedAt)
	}
	// Right after a login: 90 days from now (the sooner of the two limits).
	if !info.ConsentedAt.Equal(m.ConsentedAt) || !info.LoginExpiresAt.Equal(m.ConsentedAt.Add(90*day)) || info.ServiceAccount {
		t.Fatalf("Info: consented %v, ends %v", info.ConsentedAt, info.LoginExpiresAt)
	}
}

func TestARefreshMovesTheEndOfTheLogin(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	start := f.clock.Now()
	f.stamp(start, start)
	info, err := f.session().Info(context.Background())
	if err != nil || !info.ConsentedAt.Equal(start) || !info.LoginExpiresAt.Equal(start.Add(90*day)) {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	// 80 days on, a refresh issues a new refresh token: 90 days from it,
	// but never past 365 days after the consent.
	for i, want := range []time.Time{start.Add(170 * day), start.Add(250 * day), start.Add(330 * day), start.Add(365 * day)} {
		f.clock.Advance(80 * day)
		s := f.session()
		if _, err := s.TokenSource(context.Background()).Token(); err != nil {
			t.Fatalf("refresh %d: %v", i+1, err)
		}
		if got := f.metadata().RefreshIssuedAt; !got.Equal(f.clock.Now()) {
			t.Fatalf("refresh %d: refresh token issued %v, want %v", i+1, got, f.clock.Now())
		}
		// The Session describes the login as the refresh left it,
		// without reading it again: even with its metadata moved away.
		path := filepath.Join(f.dir, "profiles", "default.json")
		if err := os.Rename(path, path+".away"); err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(context.Background())
		if err != nil || !info.LoginExpiresAt.Equal(want) || !info.ConsentedAt.Equal(start) {
			t.Fatalf("refresh %d: Info = %+v, %v; want the end %v", i+1, info, err, want)
		}
		if err := os.Rename(path+".away", path); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMetadataFromBeforeTheLifetimeWasRecorded(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	info, err := f.session().Info(context.Background())
	if err != nil || !info.ConsentedAt.IsZero() || !info.LoginExpiresAt.IsZero() {
		t.Fatalf("no times known: Info = %+v, %v", info, err)
	}
	// The time of the login is its consent (atl's logins always ask for
	// it); when the refresh token was last issued is known from the next
	// refresh.
	loginAt := f.clock.Now().Add(-10 * day)
	if err := f.login().Update(func(m *store.Metadata) error { m.LoginAt = loginAt; return nil }); err != nil {
		t.Fatal(err)
	}
	if info, _ = f.session().Info(context.Background()); !info.ConsentedAt.Equal(loginAt) || !info.LoginExpiresAt.IsZero() {
		t.Fatalf("LoginAt only: Info = %+v", info)
	}
	f.clock.Advance(2 * time.Hour)
	if _, err := f.token(); err != nil {
		t.Fatal(err)
	}
	if info, _ = f.session().Info(context.Background()); !info.LoginExpiresAt.Equal(f.clock.Now().Add(90 * day)) {
		t.Fatalf("after a refresh: Info = %+v", info)
	}
}

func TestARefusedRefreshSaysWhichLimitEndedTheLogin(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(f *fixture)
		ended string
	}{
		{"unused for 90 days", func(f *fixture) {
			f.stamp(f.clock.Now(), f.clock.Now())
			f.clock.Advance(91 * day) // the server refuses the idle refresh token itself
		}, "unused"},
		{"365 days after consent", func(f *fixture) {
			f.stamp(f.clock.Now(), f.clock.Now())
			for range 4 {
				f.clock.Advance(89 * day)
				if _, err := f.token(); err != nil {
					f.t.Fatal(err)
				}
			}
			f.clock.Advance(10 * day)
		}, "consent"},
		{"revoked", func(f *fixture) {
			f.stamp(f.clock.Now(), f.clock.Now())
			f.srv.RevokeGrants()
			f.clock.Advance(2 * time.Hour)
		}, "revoked"},
		{"times not known", func(f *fixture) {
			f.srv.RevokeGrants()
			f.clock.Advance(2 * time.Hour)
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, authtest.Options{})
			tc.setup(f)
			f.srv.ResetCounts()
			for try := 1; try <= 2; try++ { // the second from the login marked dead
				_, err := f.token()
				var lr *auth.LoginRequiredError
				if !errors.As(err, &lr) || lr.Ended != tc.ended || lr.ServiceAccount != "" {
					t.Fatalf("try %d: err = %#v, want Ended %q", try, err, tc.ended)
				}
			}
			if n := f.srv.Count("token"); n != 1 {
				t.Fatalf("token requests = %d, want 1", n)
			}
		})
	}
}

// A token served from the token cache (the hot path) leaves the login's
// metadata with the Session: Info describes it without reading it again.
func TestInfoAfterACachedTokenReadsNothingMore(t *testing.T) {
	f := newFixtureAt(t, authtest.Options{}, time.Now().UTC().Truncate(time.Second), storetest.NewMemoryCache())
	start := f.clock.Now()
	f.stamp(start, start)
	if _, err := f.token(); err != nil { // fills the cache
		t.Fatal(err)
	}
	s := f.session()
	tok, err := s.TokenSource(context.Background()).Token()
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := s.Info(context.Background()); info.TokenFrom != "the memory cache" {
		t.Fatalf("the token came from %q, not the cache", info.TokenFrom)
	}
	path := filepath.Join(f.dir, "profiles", "default.json")
	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil || !info.LoginExpiresAt.Equal(start.Add(90*day)) || !info.Expiry.Equal(tok.Expiry) {
		t.Fatalf("Info = %+v, %v", info, err)
	}
}
