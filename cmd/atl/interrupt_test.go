package main

import (
	"context"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

func TestInterruptContextDoneStartsListening(t *testing.T) {
	ctx := newInterruptContext(context.Background())
	defer ctx.Stop()
	_ = ctx.Done()
	if !ctx.Listening() {
		t.Fatal("Done did not start listening")
	}
	ctx.Stop()
	ctx.Stop() // harmless twice
}

// atl token's cache hit and miss never listen for interrupts (a tenth of
// a start-up; they change nothing but the cache); a refresh listens before
// it takes the lock.
func TestATokenCacheHitDoesNotListenForInterrupts(t *testing.T) {
	e := newRunEnv(t)
	e.f.Now = time.Now // the token cache keeps real time
	cache := storetest.NewMemoryCache()
	e.f.TokenCache = cache
	l, err := store.New(e.dir, e.keys).WithTokenCache(cache).Login("default")
	if err != nil {
		t.Fatal(err)
	}
	issued, refresh := e.srv.IssueTokens("offline_access", "read:jira-user")
	m := &store.Metadata{ClientID: "cid", AuthURL: e.srv.URL(), APIURL: e.srv.URL(), AccountID: authtest.DefaultAccountID,
		Site: store.Site{ID: authtest.DefaultSiteID}, Storage: store.StorageKeychain, LoginAt: time.Now()}
	g := store.Grant{RefreshToken: refresh, AccessToken: issued, Expiry: time.Now().Add(time.Hour), ClientSecret: "csecret", AuthURL: e.srv.URL(), APIURL: e.srv.URL()}
	if err := l.Save(m, g); err != nil {
		t.Fatal(err)
	}
	if err := l.DropCachedToken(); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name   string
		listen bool
	}{{"a miss", false}, {"a hit", false}, {"another hit", false}} {
		ctx := newInterruptContext(context.Background())
		e.out.Reset()
		if err := runToken(ctx, &tokenOptions{f: e.f, g: e.g}); err != nil || e.out.String() != issued+"\n" {
			t.Fatalf("%s: %v", step.name, err)
		}
		if ctx.Listening() != step.listen {
			t.Fatalf("%s: listening %v, want %v", step.name, ctx.Listening(), step.listen)
		}
		ctx.Stop()
	}
	g.Expiry = time.Now().Add(-time.Minute)
	if err := l.SaveRefreshed(m, g); err != nil {
		t.Fatal(err)
	}
	ctx := newInterruptContext(context.Background())
	defer ctx.Stop()
	e.out.Reset()
	if err := runToken(ctx, &tokenOptions{f: e.f, g: e.g}); err != nil || e.out.String() == issued+"\n" {
		t.Fatalf("refresh: %v, %q, %d token requests", err, e.out, e.srv.Count("token"))
	}
	if !ctx.Listening() {
		t.Fatal("a refresh did not listen for interrupts")
	}
}
