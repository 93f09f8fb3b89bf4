package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
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
	e := clitest.New(t)
	e.F.Now = time.Now // the token cache keeps real time
	cache := storetest.NewMemoryCache()
	e.F.TokenCache = cache
	l, err := store.New(e.Dir, e.Keys).WithTokenCache(cache).Login("default")
	if err != nil {
		t.Fatal(err)
	}
	issued, refresh := e.Srv.IssueTokens("offline_access", "read:jira-user")
	m := &store.Metadata{ClientID: "cid", AuthURL: e.Srv.URL(), APIURL: e.Srv.URL(), AccountID: authtest.DefaultAccountID,
		Site: store.Site{ID: authtest.DefaultSiteID}, Storage: store.StorageKeychain, LoginAt: time.Now()}
	g := store.Grant{RefreshToken: refresh, AccessToken: issued, Expiry: time.Now().Add(time.Hour), ClientSecret: "csecret", AuthURL: e.Srv.URL(), APIURL: e.Srv.URL()}
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
		e.Out.Reset()
		if err := runErr(run(ctx, e.F, []string{"token"})); err != nil || e.Out.String() != issued+"\n" {
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
	e.Out.Reset()
	if err := runErr(run(ctx, e.F, []string{"token"})); err != nil || e.Out.String() == issued+"\n" {
		t.Fatalf("refresh: %v, %q, %d token requests", err, e.Out, e.Srv.Count("token"))
	}
	if !ctx.Listening() {
		t.Fatal("a refresh did not listen for interrupts")
	}
}

// runErr is nil for exit code 0, else an error naming the code.
func runErr(code int) error {
	if code != 0 {
		return fmt.Errorf("exit %d", code)
	}
	return nil
}
