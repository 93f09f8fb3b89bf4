package store

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func serviceMetadata() *Metadata {
	m := sampleMetadata()
	m.Kind, m.Scopes = KindServiceAccount, []string{"read:jira-work"}
	return m
}

func serviceGrant() Grant {
	return Grant{AccessToken: "at-1", TokenType: "Bearer", Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), ClientSecret: "cs-1"}
}

func TestAServiceAccountsLoginKeepsItsSecretAndNoRefreshToken(t *testing.T) {
	keys := newFake(nil)
	s := newStore(filepath.Join(t.TempDir(), "atl"), keys)
	l := mustLogin(t, s, "ci")
	m, g := serviceMetadata(), serviceGrant()
	if err := l.Save(m, g); err != nil {
		t.Fatal(err)
	}
	gotM, gotG, err := mustLogin(t, s, "ci").Load()
	if err != nil {
		t.Fatal(err)
	}
	if gotM.Kind != KindServiceAccount || !sameGrant(gotG, owned(s, m, g)) {
		t.Fatalf("Load = %+v, %+v", gotM, gotG)
	}
	// A refresh (a token minted anew) keeps it so.
	g.AccessToken, g.Expiry = "at-2", g.Expiry.Add(time.Hour)
	if err := l.SaveRefreshed(gotM, g); err != nil {
		t.Fatal(err)
	}
	if _, gotG, err = l.Load(); err != nil || gotG.AccessToken != "at-2" || gotG.ClientSecret != "cs-1" {
		t.Fatalf("after SaveRefreshed: %+v %v", gotG, err)
	}
	// Never in a file: its secret would be there.
	m.Storage = StorageFile
	if err := mustLogin(t, s, "ci-file").Save(m, g); err == nil {
		t.Fatal("a service account's login was kept in a file")
	}
}

func TestAGrantMustBeOfItsLoginsKind(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    *Metadata
		g    Grant
	}{
		{"a person's login without a refresh token", sampleMetadata(), serviceGrant()},
		{"a service account's login with a refresh token", serviceMetadata(), sampleGrant()},
		{"a service account's login without its secret", serviceMetadata(), Grant{AccessToken: "at-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := newFake(nil)
			s := newStore(filepath.Join(t.TempDir(), "atl"), keys)
			l := mustLogin(t, s, "default")
			if err := l.store.saveMetadata("default", tc.m); err != nil {
				t.Fatal(err)
			}
			if err := l.setGrant(tc.m, tc.g, true); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Grant(tc.m); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Grant = %v, want ErrCorrupt", err)
			}
		})
	}
	if _, err := DecodeGrant(`{"v":2,"access_token":"at"}`); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a grant with neither a refresh token nor a secret: %v", err)
	}
}

func TestMetadataRecordsTheKindAndTheLoginsLifetime(t *testing.T) {
	m := sampleMetadata()
	m.ConsentedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m.RefreshIssuedAt = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	d := testStore(t)
	for _, want := range []*Metadata{m, serviceMetadata()} {
		if err := d.saveMetadata("default", want); err != nil {
			t.Fatal(err)
		}
		got, err := d.loadMetadata("default")
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip: %+v %v, want %+v", got, err, want)
		}
	}
	b, _ := encodeMetadata(m)
	for _, want := range []string{`"consented_at": "2026-01-02T03:04:05Z"`, `"refresh_issued_at": "2026-02-03T04:05:06Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metadata lacks %s:\n%s", want, b)
		}
	}
	if _, err := DecodeMetadata([]byte(`{"version":1,"client_id":"c","site":{"id":"s"},"storage":"keychain","kind":"robot"}`)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("an unknown kind: %v", err)
	}
}

func TestTheTokenOfClientCredentialsIsCachedByClientAndServer(t *testing.T) {
	cache := &mapCache{m: map[string][]byte{}}
	s := newStore(t.TempDir(), newFake(nil)).WithTokenCache(cache)
	other := newStore(t.TempDir(), newFake(nil)).WithTokenCache(cache) // another config directory
	c := Cached{AccessToken: "at-1", Expiry: time.Now().Add(time.Hour).UTC().Round(time.Second), APIURL: "https://api.atlassian.com"}
	if _, ok := s.ClientToken("cid", "https://auth.atlassian.com", "secret"); ok {
		t.Fatal("a token before any was cached")
	}
	s.CacheClientToken("cid", "https://auth.atlassian.com", "secret", c)
	if got, ok := other.ClientToken("cid", "https://AUTH.atlassian.com/", "secret"); !ok || got != c {
		t.Fatalf("ClientToken = %+v, %v", got, ok)
	}
	for _, miss := range [][3]string{
		{"other", "https://auth.atlassian.com", "secret"},
		{"cid", "https://auth.example.com", "secret"},
		{"cid", "https://auth.atlassian.com", "another secret"},
	} {
		if _, ok := s.ClientToken(miss[0], miss[1], miss[2]); ok {
			t.Errorf("ClientToken%q served the token", miss)
		}
	}
	for k := range cache.m {
		if !strings.HasPrefix(k, "atl:") || strings.Contains(k, "cid") {
			t.Errorf("cache key %q", k)
		}
	}
	if found, err := s.DropClientToken("cid", "https://auth.atlassian.com"); !found || err != nil {
		t.Fatalf("DropClientToken = %v, %v", found, err)
	}
	if found, _ := s.DropClientToken("cid", "https://auth.atlassian.com"); found || len(cache.m) != 0 {
		t.Fatal("the entry outlived DropClientToken")
	}
	c.Expiry = time.Now().Add(-time.Minute) // an expired token is not kept
	s.CacheClientToken("cid", "https://auth.atlassian.com", "secret", c)
	if len(cache.m) != 0 {
		t.Fatal("an expired token was cached")
	}
}
