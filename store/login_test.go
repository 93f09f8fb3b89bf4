package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func sampleGrant() Grant {
	return Grant{RefreshToken: "rt-1", AccessToken: "at-1", TokenType: "Bearer", Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), ClientSecret: "cs-1"}
}

// owned is g as Save stores it for m in s: with its owner recorded.
func owned(s *Store, m *Metadata, g Grant) Grant {
	g.ClientID, g.AccountID = m.ClientID, m.AccountID
	g.ConfigDir, _ = s.identity()
	return g
}

func TestLoginSaveAndLoad(t *testing.T) {
	keys := newFake(nil)
	s := newStore(filepath.Join(t.TempDir(), "atl"), keys)
	l := mustLogin(t, s, "work")
	if l.Name() != "work" {
		t.Fatalf("Name = %q", l.Name())
	}
	if _, _, err := l.Load(); !errors.Is(err, ErrNoLogin) {
		t.Fatalf("Load before Save = %v, want ErrNoLogin", err)
	}
	m, g := sampleMetadata(), sampleGrant()
	if err := l.Save(m, g); err != nil {
		t.Fatal(err)
	}
	gotM, gotG, err := mustLogin(t, s, "work").Load()
	if err != nil {
		t.Fatal(err)
	}
	if !sameGrant(gotG, owned(s, m, g)) || gotM.AccountID != m.AccountID || gotM.Storage != StorageKeychain {
		t.Fatalf("Load = %+v, %+v", gotM, gotG)
	}
	loc := l.Location(StorageKeychain)
	id, _ := s.identity()
	sum := sha256.Sum256([]byte(id))
	account := "profile:work@" + hex.EncodeToString(sum[:6])
	if loc != (Location{Storage: StorageKeychain, Service: "atl", Account: account}) ||
		loc.String() != `system keychain (service "atl", account "`+account+`")` {
		t.Fatalf("Location = %+v, %q", loc, loc)
	}
	if raw, ok := keys.raw("atl", account); !ok || !strings.Contains(raw, `"refresh_token":"rt-1"`) || !strings.Contains(raw, `"config_dir":`) {
		t.Fatalf("keychain item atl/%s = %q, %v", account, raw, ok)
	}
	floc := l.Location(StorageFile)
	if want := filepath.Join(s.Dir(), "profiles", "work.tokens.json"); floc.Path != want || floc.String() != "file "+want+" (insecure storage)" {
		t.Fatalf("file Location = %+v, %q", floc, floc)
	}
	b, err := os.ReadFile(filepath.Join(s.Dir(), "profiles", "work.json"))
	if err != nil || strings.Contains(string(b), "rt-1") || strings.Contains(string(b), "cs-1") || strings.Contains(string(b), "at-1") {
		t.Fatalf("metadata file holds a secret or is missing: %v\n%s", err, b)
	}
}

// savedLogin is a login of profile "default" saved with the sample
// metadata and grant in a new store.
func savedLogin(t *testing.T) (*fakeBackend, *Store, *Login, *Metadata, Grant) {
	t.Helper()
	keys := newFake(nil)
	s := newStore(filepath.Join(t.TempDir(), "atl"), keys)
	l := mustLogin(t, s, "default")
	m, g := sampleMetadata(), sampleGrant()
	if err := l.Save(m, g); err != nil {
		t.Fatal(err)
	}
	return keys, s, l, m, g
}

func TestLoginMovesBetweenStorages(t *testing.T) {
	keys, s, l, m, g := savedLogin(t)
	m.Storage = StorageFile
	if err := l.Save(m, g); err != nil {
		t.Fatal(err)
	}
	if len(keys.users()) != 0 {
		t.Fatalf("the keychain still holds %q", keys.users())
	}
	_, got, err := l.Load()
	if err != nil || got.ClientSecret != "" || got.RefreshToken != "rt-1" {
		t.Fatalf("from the file: %+v, %v (the client secret never goes to a file)", got, err)
	}
	b, _ := os.ReadFile(l.Location(StorageFile).Path)
	if strings.Contains(string(b), "cs-1") {
		t.Fatal("the client secret is in the token file")
	}
	m.Storage = StorageKeychain
	if err := l.Save(m, g); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.Location(StorageFile).Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the token file is still there: %v", err)
	}
	if _, got, err := l.Load(); err != nil || !sameGrant(got, owned(s, m, g)) {
		t.Fatalf("back in the keychain: %+v, %v", got, err)
	}
}

func TestLoginSaveRefreshed(t *testing.T) {
	keys, s, l, m, g := savedLogin(t)
	ng := g
	ng.RefreshToken, ng.AccessToken, ng.Expiry = "rt-2", "at-2", g.Expiry.Add(time.Hour)
	if err := l.SaveRefreshed(m, ng); err != nil {
		t.Fatal(err)
	}
	gotM, gotG, err := l.Load()
	if err != nil || !sameGrant(gotG, owned(s, m, ng)) || !gotM.ExpiresAt.Equal(ng.Expiry) || !m.ExpiresAt.Equal(ng.Expiry) {
		t.Fatalf("after SaveRefreshed: %+v %+v %v", gotM, gotG, err)
	}
	// A failed write changes nothing.
	keys.failErr, keys.failSetAt = errors.New("write refused"), keys.sets+1
	bad := ng
	bad.RefreshToken = "rt-3"
	err = l.SaveRefreshed(m, bad)
	if err == nil || !strings.HasPrefix(err.Error(), "saving the refreshed tokens: ") {
		t.Fatalf("SaveRefreshed with a failing keychain = %v", err)
	}
	if _, gotG, _ := l.Load(); gotG.RefreshToken != "rt-2" {
		t.Fatalf("stored refresh token %q after a failed save", gotG.RefreshToken)
	}
}

func TestLoginSaveFailsWhenTheMetadataCannotBeWritten(t *testing.T) {
	s := newStore(filepath.Join(t.TempDir(), "atl"), newFake(nil))
	l := mustLogin(t, s, "default")
	// A directory where the metadata file goes: the rename fails.
	if err := os.MkdirAll(filepath.Join(s.Dir(), "profiles", "default.json", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := l.Save(sampleMetadata(), sampleGrant()); err == nil {
		t.Fatal("Save succeeded without writing the metadata")
	}
	m := sampleMetadata()
	if err := l.SaveRefreshed(m, sampleGrant()); err == nil || !strings.HasPrefix(err.Error(), "saving the login's metadata: ") {
		t.Fatalf("SaveRefreshed = %v", err)
	}
	if err := l.MarkDead(m, "r", time.Now()); err == nil {
		t.Fatal("MarkDead succeeded without writing the metadata")
	}
}

func TestLoginMarkDead(t *testing.T) {
	s := newStore(filepath.Join(t.TempDir(), "atl"), newFake(nil))
	l := mustLogin(t, s, "default")
	m := sampleMetadata()
	if err := l.Save(m, sampleGrant()); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.FixedZone("x", 3600))
	if err := l.MarkDead(m, "Atlassian rejected the stored grant", at); err != nil {
		t.Fatal(err)
	}
	got, err := l.Metadata()
	if err != nil || got.Dead == nil || got.Dead.Reason != "Atlassian rejected the stored grant" || !got.Dead.At.Equal(at) || got.Dead.At.Location() != time.UTC {
		t.Fatalf("Metadata = %+v, %v", got, err)
	}
}

func TestLoginDelete(t *testing.T) {
	t.Run("keychain", func(t *testing.T) {
		keys := newFake(nil)
		s := newStore(filepath.Join(t.TempDir(), "atl"), keys)
		l := mustLogin(t, s, "default")
		other := mustLogin(t, s, "other")
		for _, x := range []*Login{l, other} {
			if err := x.Save(sampleMetadata(), sampleGrant()); err != nil {
				t.Fatal(err)
			}
		}
		if removed, err := l.Delete(); err != nil || !removed {
			t.Fatalf("Delete = %v, %v", removed, err)
		}
		if _, err := l.Metadata(); !errors.Is(err, ErrNoLogin) {
			t.Fatalf("metadata left: %v", err)
		}
		if u := keys.users(); len(u) != 1 || u[0] != other.Location(StorageKeychain).Account {
			t.Fatalf("keychain holds %q", u)
		}
		if removed, err := l.Delete(); err != nil || removed {
			t.Fatalf("second Delete = %v, %v", removed, err)
		}
		if _, _, err := other.Load(); err != nil {
			t.Fatalf("the other profile was hurt: %v", err)
		}
	})
	t.Run("keychain refuses", func(t *testing.T) {
		keys := newFake(nil)
		s := newStore(filepath.Join(t.TempDir(), "atl"), keys)
		l := mustLogin(t, s, "default")
		if err := l.Save(sampleMetadata(), sampleGrant()); err != nil {
			t.Fatal(err)
		}
		keys.failErr, keys.failGetAt = errors.New("keychain gone"), keys.gets+1
		if removed, err := l.Delete(); err == nil || removed {
			t.Fatalf("Delete with a failing keychain = %v, %v; the secrets would stay behind", removed, err)
		}
		if _, err := l.Metadata(); err != nil {
			t.Fatalf("the metadata went without the secrets: %v", err)
		}
	})
	t.Run("stray keychain item", func(t *testing.T) {
		keys := newFake(nil)
		l := mustLogin(t, newStore(filepath.Join(t.TempDir(), "atl"), keys), "default")
		keys.put("atl", l.Location(StorageKeychain).Account, "garbage")
		if removed, err := l.Delete(); err != nil || !removed || len(keys.users()) != 0 {
			t.Fatalf("Delete = %v, %v, left %q", removed, err, keys.users())
		}
	})
	t.Run("file", func(t *testing.T) {
		keys := newFake(nil)
		l := mustLogin(t, newStore(filepath.Join(t.TempDir(), "atl"), keys), "default")
		m := sampleMetadata()
		m.Storage = StorageFile
		if err := l.Save(m, sampleGrant()); err != nil {
			t.Fatal(err)
		}
		if removed, err := l.Delete(); err != nil || !removed {
			t.Fatalf("Delete = %v, %v", removed, err)
		}
		if _, err := os.Stat(l.Location(StorageFile).Path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("token file left: %v", err)
		}
	})
}

func TestLoginGrantErrors(t *testing.T) {
	keys := newFake(nil)
	l := mustLogin(t, newStore(filepath.Join(t.TempDir(), "atl"), keys), "default")
	m := sampleMetadata()
	if _, err := l.Grant(m); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Grant of nothing = %v, want ErrNotFound", err)
	}
	keys.put("atl", l.Location(StorageKeychain).Account, `{"v":1}`)
	if _, err := l.Grant(m); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Grant of a grant without refresh token = %v, want ErrCorrupt", err)
	}
	m.Storage = StorageFile
	if _, err := l.Grant(m); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Grant from a missing file = %v, want ErrNotFound", err)
	}
}

func TestLoginCheckKeychain(t *testing.T) {
	keys := newFake(nil)
	l := mustLogin(t, newStore(filepath.Join(t.TempDir(), "atl"), keys), "default")
	if err := l.CheckKeychain(); err != nil {
		t.Fatalf("empty keychain: %v", err)
	}
	keys.put("atl", l.Location(StorageKeychain).Account, "atl-chunks:v1:broken")
	if err := l.CheckKeychain(); err != nil {
		t.Fatalf("an unreadable item: %v", err)
	}
	ke := &KeychainError{Op: "read", Cause: "locked"}
	keys.failErr, keys.failGetAt = ke, keys.gets+1
	if err := l.CheckKeychain(); !errors.Is(err, ke) {
		t.Fatalf("a failing keychain: %v", err)
	}
}

func TestDefaultConfigDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home)
	osDir, err := os.UserConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	if d, err := DefaultConfigDir(); err != nil || d != filepath.Join(osDir, "atl") {
		t.Fatalf("DefaultConfigDir = %q, %v; want %s", d, err, filepath.Join(osDir, "atl"))
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "")
	if _, err := os.UserConfigDir(); err == nil {
		t.Skip("this platform finds a config dir without HOME")
	}
	if _, err := DefaultConfigDir(); !errors.Is(err, ErrNoConfigDir) {
		t.Fatalf("DefaultConfigDir without HOME = %v, want ErrNoConfigDir", err)
	}
}

func TestCacheIfCurrent(t *testing.T) {
	cache := &mapCache{m: map[string][]byte{}}
	s := newStore(t.TempDir(), newFake(nil)).WithTokenCache(cache)
	l := mustLogin(t, s, "default")
	m := sampleMetadata()
	m.LoginAt = time.Now().Add(-time.Minute)
	// (Save sets m.ExpiresAt to the grant's expiry.)
	m.APIURL = "https://api.example.test"
	g := Grant{RefreshToken: "r", AccessToken: "a1", Expiry: time.Now().Add(time.Hour), AuthURL: m.AuthURL, APIURL: m.APIURL}
	if err := l.Save(m, g); err != nil {
		t.Fatal(err)
	}
	m, g, err := l.Load()
	if err != nil {
		t.Fatal(err)
	}
	read := func() (*Metadata, Grant) { // what a process read, before the cache was emptied
		t.Helper()
		if err := l.DropCachedToken(); err != nil {
			t.Fatal(err)
		}
		return copyOf(m), g
	}

	m1, g1 := read()
	l.CacheIfCurrent(m1, g1)
	if c, ok := l.CachedToken(m1); !ok || c.AccessToken != "a1" || c.APIURL != "https://api.example.test" {
		t.Fatalf("current: cached %+v, %v", c, ok)
	}

	// A refresh since the read: the metadata names another expiry.
	m1, g1 = read()
	g2 := g1
	g2.AccessToken, g2.Expiry = "a2", g1.Expiry.Add(time.Minute)
	if err := l.SaveRefreshed(copyOf(m1), g2); err != nil {
		t.Fatal(err)
	}
	_ = l.DropCachedToken()
	l.CacheIfCurrent(m1, g1)
	if c, ok := l.CachedToken(m1); ok {
		t.Fatalf("an older token was cached after a refresh: %+v", c)
	}

	// A logout since the read.
	m, g, _ = l.Load()
	m1, g1 = read()
	if _, err := l.Delete(); err != nil {
		t.Fatal(err)
	}
	l.CacheIfCurrent(m1, g1)
	if len(cache.m) != 0 {
		t.Fatal("a token was cached after a logout")
	}

	// A new login since the read (same account, other time): its entry is
	// another, and the old read is not cached.
	m.LoginAt = m.LoginAt.Add(time.Second)
	if err := l.Save(copyOf(m), g); err != nil {
		t.Fatal(err)
	}
	_ = l.DropCachedToken()
	l.CacheIfCurrent(m1, g1)
	if len(cache.m) != 0 {
		t.Fatal("a read of the previous login was cached")
	}

	// A dead grant.
	m, g, _ = l.Load()
	m1, g1 = read()
	if err := l.MarkDead(copyOf(m), "rejected", time.Now()); err != nil {
		t.Fatal(err)
	}
	l.CacheIfCurrent(m1, g1)
	if len(cache.m) != 0 {
		t.Fatal("a dead grant's token was cached")
	}
}

func copyOf(m *Metadata) *Metadata { c := *m; return &c }

// mapCache is a TokenCache in a map (storetest's would import store).
type mapCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *mapCache) Get(k string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[k]; ok {
		return v, nil
	}
	return nil, ErrNotFound
}

func (c *mapCache) Set(k string, v []byte, _ time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = v
	return nil
}

func (c *mapCache) Delete(k string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
	return nil
}

func (c *mapCache) Name() string { return "a map" }

// Removing a login removes its token-cache entry, even when its metadata
// cannot be read (a later atl's version, a damaged file): the entry's name
// needs none of it.
func TestDeleteDropsTheCachedTokenWhateverTheMetadataSays(t *testing.T) {
	for name, content := range map[string]string{
		"unknown version": `{"version": 99, "client_id": "c"}`,
		"damaged":         `{"version": 1, "client_id": "c", "si`,
		"no client id":    `{"version": 1, "storage": "keychain", "site": {"id": "s"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			cache := &mapCache{m: map[string][]byte{}}
			s := newStore(filepath.Join(t.TempDir(), "atl"), newFake(nil)).WithTokenCache(cache)
			l := mustLogin(t, s, "default")
			m, g := sampleMetadata(), sampleGrant()
			g.Expiry = time.Now().Add(time.Hour)
			if err := l.Save(m, g); err != nil {
				t.Fatal(err)
			}
			if _, ok := l.CachedToken(m); !ok || len(cache.m) != 1 {
				t.Fatal("the login's token was not cached")
			}
			if err := os.WriteFile(s.profileFile("default", ".json"), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Metadata(); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Metadata = %v, want ErrCorrupt", err)
			}
			if found, err := l.Delete(); err != nil || !found {
				t.Fatalf("Delete = %v, %v", found, err)
			}
			if len(cache.m) != 0 {
				t.Fatal("the cached token outlived the login")
			}
		})
	}
}

// A profile has one entry, whichever login it is for, and it serves only
// the login it was written for: not another client, server, account or
// time of login, nor another profile or config directory.
func TestTheCacheEntryNamesItsLogin(t *testing.T) {
	cache := &mapCache{m: map[string][]byte{}}
	s := newStore(filepath.Join(t.TempDir(), "atl"), newFake(nil)).WithTokenCache(cache)
	l := mustLogin(t, s, "default")
	m, g := sampleMetadata(), sampleGrant()
	g.Expiry = time.Now().Add(time.Hour)
	if err := l.Save(m, g); err != nil {
		t.Fatal(err)
	}
	if c, ok := l.CachedToken(m); !ok || c.AccessToken != g.AccessToken {
		t.Fatalf("CachedToken = %+v, %v", c, ok)
	}
	for what, change := range map[string]func(*Metadata){
		"client":        func(o *Metadata) { o.ClientID += "x" },
		"auth server":   func(o *Metadata) { o.AuthURL += "x" },
		"account":       func(o *Metadata) { o.AccountID += "x" },
		"time of login": func(o *Metadata) { o.LoginAt = o.LoginAt.Add(time.Nanosecond) },
	} {
		other := copyOf(m)
		change(other)
		if _, ok := l.CachedToken(other); ok {
			t.Errorf("the entry served another %s", what)
		}
	}
	// A new login of the profile replaces the entry.
	m2 := copyOf(m)
	m2.LoginAt = m.LoginAt.Add(time.Second)
	g.AccessToken = "at-2"
	if err := l.Save(m2, g); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.CachedToken(m); ok || len(cache.m) != 1 {
		t.Fatalf("after a new login: the old one served %v, %d entries", ok, len(cache.m))
	}
	if c, ok := l.CachedToken(m2); !ok || c.AccessToken != "at-2" {
		t.Fatalf("the new login's entry: %+v, %v", c, ok)
	}
	other := mustLogin(t, s, "other")
	elsewhere := mustLogin(t, newStore(filepath.Join(t.TempDir(), "atl"), newFake(nil)).WithTokenCache(cache), "default")
	if k := l.TokenCacheKey(); k == other.TokenCacheKey() || k == elsewhere.TokenCacheKey() || !strings.HasPrefix(k, "atl:") || len(k) != 36 {
		t.Fatalf("keys %q, %q, %q", k, other.TokenCacheKey(), elsewhere.TokenCacheKey())
	}
	if _, ok := other.CachedToken(m2); ok {
		t.Fatal("another profile's entry served")
	}
}
