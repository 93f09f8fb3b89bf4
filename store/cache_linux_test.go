//go:build linux

package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// kernelKey is a key name of this test's own.
func kernelKey(t *testing.T) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	k := "atl-test:" + hex.EncodeToString(b)
	t.Cleanup(func() { _ = KernelKeyring{}.Delete(k) })
	return k
}

func TestKernelKeyring(t *testing.T) {
	var kr KernelKeyring
	key := kernelKey(t)
	if _, err := kr.Get(key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of nothing = %v (is keyctl refused here? atl would go on without a cache)", err)
	}
	if err := kr.Set(key, []byte("v1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := kr.Set(key, []byte(strings.Repeat("v", 6000)), time.Minute); err != nil { // replaced in place
		t.Fatal(err)
	}
	if got, err := kr.Get(key); err != nil || len(got) != 6000 {
		t.Fatalf("Get = %d bytes, %v", len(got), err)
	}
	// Only the user: possessor and user may do all, group and others nothing.
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "user", key, 0)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
	if err != nil || !strings.HasPrefix(desc, "user;") || !strings.Contains(desc, ";3f3f0000;"+key) {
		t.Fatalf("DESCRIBE = %q, %v; want perm 3f3f0000", desc, err)
	}
	if err := kr.Delete(key); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get(key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
	// An entry goes with its token: a ttl of a whole second is one second
	// (keyctl counts in seconds; a part of one counts as one).
	if err := kr.Set(key, []byte("short"), time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get(key); err != nil {
		t.Fatalf("Get before its timeout = %v", err)
	}
	time.Sleep(1500 * time.Millisecond)
	if _, err := kr.Get(key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after its timeout = %v", err)
	}
}

func TestALoginsTokenInTheKernelKeyring(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "atl"), newFake(nil)).WithTokenCache(KernelKeyring{})
	l := mustLogin(t, s, "default")
	m, g := sampleMetadata(), sampleGrant()
	g.Expiry = time.Now().Add(time.Hour).Truncate(time.Second)
	g.APIURL = m.APIURL
	if err := l.Save(m, g); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.DropCachedToken() })
	c, ok := l.CachedToken(m)
	if !ok || c.AccessToken != g.AccessToken || !c.Expiry.Equal(g.Expiry) || c.APIURL != m.APIURL {
		t.Fatalf("CachedToken = %+v, %v", c, ok)
	}
	if s.TokenCacheName() != "the kernel keyring" {
		t.Fatalf("name %q", s.TokenCacheName())
	}
	other := *m
	other.ClientID = "another-client"
	if _, ok := l.CachedToken(&other); ok {
		t.Fatal("an entry was found for another client")
	}
	if err := l.MarkDead(m, "rejected", time.Now()); err != nil {
		t.Fatal(err)
	}
	m.Dead = nil
	if _, ok := l.CachedToken(m); ok {
		t.Fatal("a dead login's entry survived")
	}
}

func TestWithTokenCacheNilKeepsThePlatforms(t *testing.T) {
	if name := New(t.TempDir(), nil).WithTokenCache(nil).TokenCacheName(); name != "the kernel keyring" {
		t.Fatalf("WithTokenCache(nil): %q", name)
	}
}
