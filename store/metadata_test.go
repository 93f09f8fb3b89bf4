package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleMetadata() *Metadata {
	return &Metadata{
		ClientID:  "client-id",
		AuthURL:   "https://auth.atlassian.com",
		APIURL:    "https://api.atlassian.com",
		AccountID: "5b10ac8d82e05b22cc7d4ef5",
		Name:      "Ada Lovelace",
		Email:     "ada@example.com",
		Site:      Site{ID: "1324a887-45db-1bf4-1e99-ef0ff456d421", URL: "https://example.atlassian.net", Name: "example"},
		Scopes:    []string{"read:me", "read:jira-work", "offline_access"},
		ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		Storage:   StorageKeychain,
		LoginAt:   time.Date(2025, 6, 7, 8, 9, 10, 11, time.UTC),
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	minimal := &Metadata{ClientID: "c", Site: Site{ID: "s"}, Storage: StorageFile}
	dead := sampleMetadata()
	dead.Dead = &DeadGrant{At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Reason: "invalid_grant: refresh token revoked"}
	cases := map[string]*Metadata{"full": sampleMetadata(), "minimal": minimal, "dead": dead}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			d := testStore(t)
			if err := d.saveMetadata("default", want); err != nil {
				t.Fatalf("SaveProfile: %v", err)
			}
			got, err := d.loadMetadata("default")
			if err != nil {
				t.Fatalf("LoadProfile: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the profile:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestMetadataOfProfilesIsSeparate(t *testing.T) {
	d := testStore(t)
	a, b := sampleMetadata(), sampleMetadata()
	b.AccountID = "other"
	if err := d.saveMetadata("a", a); err != nil {
		t.Fatal(err)
	}
	if err := d.saveMetadata("b", b); err != nil {
		t.Fatal(err)
	}
	a.Email = "changed@example.com"
	if err := d.saveMetadata("a", a); err != nil {
		t.Fatal(err)
	}
	if got, err := d.loadMetadata("a"); err != nil || got.Email != "changed@example.com" {
		t.Errorf("a = %+v, %v", got, err)
	}
	if got, err := d.loadMetadata("b"); err != nil || got.AccountID != "other" || got.Email != "ada@example.com" {
		t.Errorf("b = %+v, %v", got, err)
	}
}

func TestLoadMetadataMissing(t *testing.T) {
	d := testStore(t)
	if _, err := d.loadMetadata("default"); !errors.Is(err, ErrNoLogin) {
		t.Fatalf("LoadProfile in a missing dir = %v, want ErrNoLogin", err)
	}
	if err := d.saveMetadata("other", sampleMetadata()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.loadMetadata("default"); !errors.Is(err, ErrNoLogin) {
		t.Fatalf("LoadProfile of a missing profile = %v, want ErrNoLogin", err)
	}
	if _, err := os.Stat(d.Dir()); err != nil {
		t.Fatal(err)
	}
}

func TestLoadMetadataCorrupt(t *testing.T) {
	valid, err := json.Marshal(metadataJSON{Version: 1, Metadata: *sampleMetadata()})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":           "",
		"not json":        "hunter2",
		"truncated":       string(valid[:len(valid)/2]),
		"null":            "null",
		"empty object":    "{}",
		"array":           "[]",
		"unknown version": strings.Replace(string(valid), `"version":1`, `"version":2`, 1),
		"no version":      strings.Replace(string(valid), `"version":1,`, ``, 1),
		"no client id":    strings.Replace(string(valid), `"client_id":"client-id"`, `"client_id":""`, 1),
		"no site":         `{"version":1,"client_id":"c","storage":"keychain"}`,
		"no storage":      `{"version":1,"client_id":"c","site":{"id":"s"}}`,
		"unknown storage": `{"version":1,"client_id":"c","site":{"id":"s"},"storage":"cloud"}`,
		"bad time":        `{"version":1,"client_id":"c","site":{"id":"s"},"storage":"file","expires_at":"soon"}`,
		"wrong type":      `{"version":1,"client_id":7,"site":{"id":"s"},"storage":"file"}`,
	}
	// Sanity: the valid encoding loads, so the cases fail for their damage.
	if _, err := DecodeMetadata(valid); err != nil {
		t.Fatalf("valid profile: %v", err)
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			d := testStore(t)
			if err := d.saveMetadata("default", sampleMetadata()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(d.Dir(), "profiles", "default.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			p, err := d.loadMetadata("default")
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("LoadProfile = %+v, %v; want ErrCorrupt", p, err)
			}
			if p != nil {
				t.Errorf("LoadProfile returned %+v along with the error", p)
			}
		})
	}
}

func TestDeleteFiles(t *testing.T) {
	d := testStore(t)
	if err := d.saveMetadata("default", sampleMetadata()); err != nil {
		t.Fatal(err)
	}
	if err := d.saveMetadata("other", sampleMetadata()); err != nil {
		t.Fatal(err)
	}
	fb := testFileBackend(t, d, "default")
	if err := fb.Set("atl", "profile:default", "secret"); err != nil {
		t.Fatal(err)
	}
	tokens := fb.path
	if _, err := os.Stat(tokens); err != nil {
		t.Fatalf("token file not written: %v", err)
	}

	if err := d.deleteFiles("default"); err != nil {
		t.Fatalf("DeleteProfile: %v", err)
	}
	if _, err := d.loadMetadata("default"); !errors.Is(err, ErrNoLogin) {
		t.Errorf("LoadProfile after delete = %v, want ErrNoLogin", err)
	}
	if _, err := os.Stat(tokens); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("token file still there: %v", err)
	}
	if _, err := d.loadMetadata("other"); err != nil {
		t.Errorf("other profile hurt: %v", err)
	}
	if err := d.deleteFiles("default"); err != nil {
		t.Errorf("second DeleteProfile = %v, want nil", err)
	}
	if err := testStore(t).deleteFiles("default"); err != nil {
		t.Errorf("DeleteProfile in a missing dir = %v, want nil", err)
	}
}

func FuzzDecodeMetadata(f *testing.F) {
	valid, err := json.Marshal(metadataJSON{Version: 1, Metadata: *sampleMetadata()})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte(`{"version":1,"client_id":"c","site":{"id":"s"},"storage":"file"}`))
	f.Add([]byte("hunter2"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeMetadata(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("DecodeMetadata error %v is not ErrCorrupt", err)
			}
			if p != nil {
				t.Fatal("profile returned along with an error")
			}
			return
		}
		// What loads must save and load again unchanged: SaveProfile's
		// encoding is a fixed point.
		enc, err := json.Marshal(metadataJSON{Version: metadataVersion, Metadata: *p})
		if err != nil {
			t.Fatalf("a decoded profile does not encode: %v", err)
		}
		p2, err := DecodeMetadata(enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		enc2, err := json.Marshal(metadataJSON{Version: metadataVersion, Metadata: *p2})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("re-encoding changed the profile:\n%s\n%s", enc, enc2)
		}
	})
}
