package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

// The command layer's share of a process's start-up, in-process: what
// atl does between main and exit, with the keychain and the token cache in
// memory. scripts/bench measures whole processes.

func BenchmarkRunHelp(b *testing.B) {
	f, _, _, _ := clitest.NewFactory(b, nil)
	f.IO.Out, f.IO.ErrOut = io.Discard, io.Discard
	b.ReportAllocs()
	for b.Loop() {
		if code := run(context.Background(), f, []string{"--help"}); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

func BenchmarkRunTokenCacheHit(b *testing.B) {
	srv := authtest.NewServer(authtest.Options{ClientID: "cid", ClientSecret: "cs"})
	b.Cleanup(srv.Close)
	f, _, _, keys := clitest.NewFactory(b, nil)
	cache := storetest.NewMemoryCache()
	f.TokenCache = cache
	var out strings.Builder
	f.IO.Out, f.IO.ErrOut = &out, io.Discard
	l, err := store.New(f.Getenv("ATL_CONFIG_DIR"), keys).WithTokenCache(cache).Login("default")
	if err != nil {
		b.Fatal(err)
	}
	access, refresh := srv.IssueTokens("offline_access")
	m := &store.Metadata{ClientID: "cid", AuthURL: srv.URL(), APIURL: srv.URL(), AccountID: authtest.DefaultAccountID,
		Site: store.Site{ID: authtest.DefaultSiteID}, Storage: store.StorageKeychain, LoginAt: time.Now()}
	if err := l.Save(m, store.Grant{RefreshToken: refresh, AccessToken: access, Expiry: time.Now().Add(time.Hour), AuthURL: srv.URL(), APIURL: srv.URL()}); err != nil {
		b.Fatal(err)
	}
	gets, _ := keys.Calls()
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if code := run(context.Background(), f, []string{"token"}); code != 0 || out.String() != access+"\n" {
			b.Fatalf("exit %d", code)
		}
	}
	if g, _ := keys.Calls(); g != gets {
		b.Fatal("a cache hit read the keychain")
	}
}
