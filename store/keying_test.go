package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// home makes a fresh home directory the OS's user config directory comes
// from, and returns atl's default config directory in it.
func home(t *testing.T) string {
	t.Helper()
	h := t.TempDir()
	t.Setenv("HOME", h)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(h, ".config"))
	d, err := DefaultConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestItemsAreKeyedByConfigDirectory(t *testing.T) {
	def := home(t)
	keys := newFake(nil)
	a := mustLogin(t, newStore(def, keys), "work")
	b := mustLogin(t, newStore(filepath.Join(t.TempDir(), "other"), keys), "work")
	c := mustLogin(t, newStore(filepath.Join(t.TempDir(), "third"), keys), "work")
	if got := a.Location(StorageKeychain).Account; got != "profile:work" {
		t.Fatalf("the default directory's account = %q, want profile:work (as before)", got)
	}
	accounts := map[string]bool{}
	for _, l := range []*Login{a, b, c} {
		accounts[l.Location(StorageKeychain).Account] = true
	}
	if len(accounts) != 3 {
		t.Fatalf("accounts %v are not one per config directory", accounts)
	}
	for i, l := range []*Login{a, b, c} {
		g := sampleGrant()
		g.RefreshToken = strings.Repeat("r", i+1)
		if err := l.Save(sampleMetadata(), g); err != nil {
			t.Fatal(err)
		}
	}
	for i, l := range []*Login{a, b, c} {
		if _, g, err := l.Load(); err != nil || g.RefreshToken != strings.Repeat("r", i+1) {
			t.Fatalf("login %d reads %+v, %v: another directory's save replaced it", i, g, err)
		}
	}
	// The same directory by another path is the same directory.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(filepath.Dir(b.store.Dir()), link); err != nil {
		t.Fatal(err)
	}
	b2 := mustLogin(t, newStore(filepath.Join(link, "other"), keys), "work")
	if b2.Location(StorageKeychain).Account != b.Location(StorageKeychain).Account {
		t.Fatal("a path through a symbolic link names another item")
	}
}

func TestAGrantOfAnotherLoginIsRefused(t *testing.T) {
	keys := newFake(nil)
	s := newStore(filepath.Join(t.TempDir(), "atl"), keys)
	l := mustLogin(t, s, "default")
	m, g := sampleMetadata(), sampleGrant()
	g.AuthURL, g.APIURL = m.AuthURL, m.APIURL
	if err := l.Save(m, g); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Load(); err != nil {
		t.Fatalf("its own grant: %v", err)
	}
	for _, tc := range []struct {
		what string
		edit func(m *Metadata)
	}{
		{"client id", func(m *Metadata) { m.ClientID = "another-client" }},
		{"account", func(m *Metadata) { m.AccountID = "another-account" }},
		{"auth server", func(m *Metadata) { m.AuthURL = "https://attacker.example" }},
		{"API server", func(m *Metadata) { m.APIURL = "https://attacker.example" }},
	} {
		edited := *m
		tc.edit(&edited)
		_, err := l.Grant(&edited)
		if !errors.Is(err, ErrForeignGrant) || !strings.Contains(err.Error(), tc.what) {
			t.Errorf("%s edited in the metadata: %v, want ErrForeignGrant naming it", tc.what, err)
		}
	}
	// A grant copied from another config directory.
	other := mustLogin(t, newStore(filepath.Join(t.TempDir(), "atl"), keys), "default")
	raw, _ := keys.raw("atl", l.Location(StorageKeychain).Account)
	keys.put("atl", other.Location(StorageKeychain).Account, raw)
	if _, err := other.Grant(m); !errors.Is(err, ErrForeignGrant) || !strings.Contains(err.Error(), "config directory") {
		t.Fatalf("a grant copied from another directory: %v", err)
	}
}

func TestLegacyItemsMoveToTheDirectorysOwn(t *testing.T) {
	def := home(t)
	v1 := `{"v":1,"refresh_token":"legacy-rt","access_token":"legacy-at","client_secret":"cs"}`
	for _, tc := range []struct {
		name       string
		legacy     string
		defaultHas bool // the default directory has a login of the same name
		used       bool
	}{
		{"v1, no login in the default dir", v1, false, true},
		{"v1, the default dir has the login", v1, true, false},
		{"v2 made for this dir", "", false, true},
		{"v2 made for another dir", `{"v":2,"refresh_token":"legacy-rt","config_dir":"/elsewhere"}`, false, false},
		{"unreadable", "garbage", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := newFake(nil)
			if tc.defaultHas {
				if err := mustLogin(t, newStore(def, keys), "default").Save(sampleMetadata(), Grant{RefreshToken: "default-rt"}); err != nil {
					t.Fatal(err)
				}
			}
			s := newStore(filepath.Join(t.TempDir(), "atl"), keys)
			l := mustLogin(t, s, "default")
			m := sampleMetadata()
			if err := s.saveMetadata("default", m); err != nil {
				t.Fatal(err)
			}
			legacy := tc.legacy
			if legacy == "" {
				id, _ := s.identity()
				legacy, _ = EncodeGrant(Grant{RefreshToken: "legacy-rt", ConfigDir: id})
			}
			keys.put("atl", "profile:default", legacy)
			g, err := l.Grant(m)
			if !tc.used {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("Grant = %+v, %v; want ErrNotFound", g, err)
				}
				return
			}
			if err != nil || g.RefreshToken != "legacy-rt" {
				t.Fatalf("Grant = %+v, %v; want the legacy grant", g, err)
			}
			g.RefreshToken = "rotated"
			if err := l.SaveRefreshed(m, g); err != nil {
				t.Fatal(err)
			}
			if _, ok := keys.raw("atl", "profile:default"); ok {
				t.Fatal("the legacy item is still there after the move")
			}
			if _, g, err := l.Load(); err != nil || g.RefreshToken != "rotated" {
				t.Fatalf("after the move: %+v, %v", g, err)
			}
		})
	}
}

func TestDeleteRemovesTheLegacyItem(t *testing.T) {
	home(t)
	keys := newFake(nil)
	s := newStore(filepath.Join(t.TempDir(), "atl"), keys) // not the default directory
	l := mustLogin(t, s, "default")
	if err := s.saveMetadata("default", sampleMetadata()); err != nil {
		t.Fatal(err)
	}
	id, _ := s.identity()
	legacy, _ := EncodeGrant(Grant{RefreshToken: "legacy-rt", ConfigDir: id})
	keys.put("atl", "profile:default", legacy)
	if found, err := l.Delete(); err != nil || !found {
		t.Fatalf("Delete = %v, %v", found, err)
	}
	if _, ok := keys.raw("atl", "profile:default"); ok {
		t.Fatal("the legacy item outlived the logout")
	}
}
