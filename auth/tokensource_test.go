package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"golang.org/x/oauth2"
)

func TestTokenServesStoredTokenWithoutRequest(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	before := f.grant()
	tok, err := f.session().TokenSource(context.Background()).Token()
	if err != nil {
		t.Fatal(err)
	}
	want := oauth2.Token{AccessToken: before.AccessToken, TokenType: "Bearer", Expiry: before.Expiry}
	if *tok != want {
		t.Errorf("Token() = %+v, want %+v", *tok, want)
	}
	if n := f.srv.Count("token"); n != 0 {
		t.Errorf("token requests = %d, want 0", n)
	}
}

func TestTokenMarginIsSixtySeconds(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	stored := f.grant().AccessToken
	// 61 s left: served as it is.
	f.clock.Advance(time.Hour - 61*time.Second)
	if got, err := f.token(); err != nil || got != stored {
		t.Fatalf("with 61 s left: %v (same token: %v)", err, got == stored)
	}
	// 60 s left: refreshed.
	f.clock.Advance(time.Second)
	if got, err := f.token(); err != nil || got == stored {
		t.Fatalf("with 60 s left: %v (same token: %v)", err, got == stored)
	}
	if n := f.srv.Count("token:refresh_token"); n != 1 {
		t.Fatalf("refreshes = %d, want 1", n)
	}
}

func TestTokenRefreshesNearExpiryAndPersistsEveryRotation(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	ts := f.session().TokenSource(context.Background())
	for round := 1; round <= 3; round++ {
		before := f.grant()
		f.clock.Advance(time.Hour - 60*time.Second + time.Second) // inside the margin
		tok, err := ts.Token()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		after := f.grant()
		if after.RefreshToken == before.RefreshToken {
			t.Fatalf("round %d: rotated refresh token not stored", round)
		}
		if tok.AccessToken != after.AccessToken || tok.AccessToken == before.AccessToken {
			t.Fatalf("round %d: served token is not the stored new one", round)
		}
		if want := f.clock.Now().Add(time.Hour); !after.Expiry.Equal(want) || !tok.Expiry.Equal(want) {
			t.Errorf("round %d: expiry %v (served %v), want %v (from expires_in at receipt)", round, after.Expiry, tok.Expiry, want)
		}
		if n := f.srv.Count("token:refresh_token"); n != round {
			t.Fatalf("round %d: refreshes = %d", round, n)
		}
		// Served from memory now.
		if _, err := ts.Token(); err != nil || f.srv.Count("token") != round {
			t.Fatalf("round %d: second call refreshed again (err %v)", round, err)
		}
	}
	if f.srv.GrantRevoked() {
		t.Fatal("a rotated token was reused")
	}
	if m := f.metadata(); !m.ExpiresAt.Equal(f.grant().Expiry) {
		t.Errorf("metadata expires_at %v not updated to %v", m.ExpiresAt, f.grant().Expiry)
	}
}

func TestTokenSourceReusesTheTokenInMemory(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	s := f.session()
	ts := s.TokenSource(context.Background())
	first, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	gets, _ := f.keys.Calls()
	for range 5 {
		tok, err := ts.Token()
		if err != nil || tok.AccessToken != first.AccessToken {
			t.Fatalf("Token() = %v, %v", tok, err)
		}
		tok.AccessToken = "changed by the caller"
	}
	// Another source of the same Session shares the memory.
	if tok, err := s.TokenSource(context.Background()).Token(); err != nil || tok.AccessToken != first.AccessToken {
		t.Fatalf("second source: %v, %v", tok, err)
	}
	if g, _ := f.keys.Calls(); g != gets {
		t.Fatalf("the keychain was read %d more times", g-gets)
	}
	// Inside the margin the memory is not trusted: the store is read, and
	// its token is older still, so one refresh.
	f.clock.Advance(time.Hour - 30*time.Second)
	tok, err := ts.Token()
	if err != nil || tok.AccessToken == first.AccessToken {
		t.Fatalf("inside the margin: %v, same token %v", err, tok != nil && tok.AccessToken == first.AccessToken)
	}
	if n := f.srv.Count("token:refresh_token"); n != 1 {
		t.Fatalf("refreshes = %d, want 1", n)
	}
}

func TestTokenSeesAnotherProcesssRefresh(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	mine := f.session().TokenSource(context.Background())
	if _, err := mine.Token(); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour) // expired
	// Another process refreshes first.
	theirs, err := f.token()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := mine.Token()
	if err != nil || tok.AccessToken != theirs {
		t.Fatalf("Token() = %v, %v; want the other process's token", tok, err)
	}
	if n := f.srv.Count("token:refresh_token"); n != 1 {
		t.Fatalf("refreshes = %d, want 1", n)
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
		wg.Go(func() { tokens[i], errs[i] = f.token() })
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
			if _, err := s.TokenSource(context.Background()).Token(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := f.srv.Count("token:refresh_token"); got != 1 {
		t.Fatalf("refresh requests = %d, want 1", got)
	}
}

func TestLargeTokensUnderPlatformItemLimits(t *testing.T) {
	for _, limit := range []struct {
		name      string
		itemLimit int
		splitAt   int
	}{
		{"windows", 2560, 2048},
		{"darwin", 2900, 2048},
		{"linux", 0, 0},
	} {
		t.Run(limit.name, func(t *testing.T) {
			f := newFixture(t, authtest.Options{TokenBytes: 8 << 10})
			f.keys.ItemLimit = limit.itemLimit
			f.keys.SplitAt = limit.splitAt
			f.clock.Advance(2 * time.Hour)
			tok, err := f.token()
			if err != nil {
				t.Fatal(err)
			}
			if len(tok) != 8<<10 {
				t.Fatalf("token length %d", len(tok))
			}
			if got := f.grant(); got.AccessToken != tok || len(got.RefreshToken) != 8<<10 {
				t.Fatal("stored grant does not match")
			}
		})
	}
}
