package store

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestSettings(t *testing.T) {
	d := testStore(t)
	s, err := d.Settings()
	if err != nil || s != (Settings{}) {
		t.Fatalf("Settings without config.json = %+v, %v; want zero, nil", s, err)
	}
	if err := os.MkdirAll(d.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(d.Dir(), "config.json")
	write := func(content string, perm fs.FileMode) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(content), perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(cfg, perm); err != nil {
			t.Fatal(err)
		}
	}

	write(`{"client_id":"cid","callback_url":"http://localhost:8123/cb","unknown":true}`, 0o600)
	s, err = d.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if want := (Settings{ClientID: "cid", CallbackURL: "http://localhost:8123/cb"}); s != want {
		t.Errorf("Settings = %+v, want %+v", s, want)
	}

	write(`{}`, 0o600)
	if s, err := d.Settings(); err != nil || s != (Settings{}) {
		t.Errorf("Settings of {} = %+v, %v", s, err)
	}

	for _, bad := range []string{`{"client_id":`, `hunter2`, ``, `{"client_id":5}`} {
		write(bad, 0o600)
		_, err := d.Settings()
		if err == nil {
			t.Errorf("Settings of %q succeeded", bad)
			continue
		}
		if !strings.Contains(err.Error(), cfg) {
			t.Errorf("error %q does not name %s", err, cfg)
		}
	}

	if runtime.GOOS != "windows" {
		var warn bytes.Buffer
		d.Warn = &warn
		write(`{}`, 0o644)
		if _, err := d.Settings(); err != nil {
			t.Fatal(err)
		}
		if got := mode(t, cfg); got != 0o600 {
			t.Errorf("config.json mode %04o after read, want 0600", got)
		}
		if !strings.Contains(warn.String(), cfg) {
			t.Errorf("no warning about %s: %q", cfg, warn.String())
		}
	}
}
