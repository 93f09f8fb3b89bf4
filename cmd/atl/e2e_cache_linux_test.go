//go:build linux

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/internal/keyringtest"
)

// The kernel keyring caches the access token of atl token: a cache hit
// needs neither the keychain (no D-Bus) nor the token file, nor the
// network; logout and a refresh keep it true.
func TestE2ETheKernelKeyringServesAtlToken(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.login()
	tok, errOut, code := e.run("token")
	if code != 0 {
		t.Fatalf("token: exit %d: %s", code, errOut)
	}
	out, errOut, code := e.run("whoami", "--json")
	var who struct {
		TokenFrom string `json:"token_from"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &who) != nil || who.TokenFrom != "the kernel keyring" {
		t.Fatalf("whoami: exit %d, token_from %q: %s", code, who.TokenFrom, errOut)
	}

	// The keychain out of reach, and the token file moved away: the
	// cache still serves, without a request.
	e.srv.ResetCounts()
	e.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/bus"
	tokens := filepath.Join(e.dir, "profiles", e.profile+".tokens.json")
	hidden := tokens + ".hidden"
	if err := os.Rename(tokens, hidden); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	} else if err == nil {
		defer os.Rename(hidden, tokens)
	}
	if out, errOut, code := e.run("token"); code != 0 || out != tok {
		t.Fatalf("a cache hit without the keychain: exit %d, same token %v: %s", code, out == tok, errOut)
	}
	if n := e.srv.Count("token"); n != 0 {
		t.Fatalf("a cache hit made %d token requests", n)
	}

	// At expiry the refresh replaces the entry; after logout there is
	// none, even with the keychain out of reach.
	_ = os.Rename(hidden, tokens)
	delete(e.env, "DBUS_SESSION_BUS_ADDRESS")
	e.expire()
	fresh, errOut, code := e.run("token")
	if code != 0 || fresh == tok || fresh != e.grant().AccessToken+"\n" {
		t.Fatalf("refresh: exit %d, new token %v: %s", code, fresh != tok, errOut)
	}
	if m, err := e.stored().Metadata(); err != nil {
		t.Fatal(err)
	} else if c, ok := e.stored().CachedToken(m); !ok || c.AccessToken+"\n" != fresh {
		t.Fatal("the refreshed token is not what the cache holds")
	}
	m, err := e.stored().Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := e.run("logout"); code != 0 {
		t.Fatalf("logout: exit %d: %s", code, errOut)
	}
	if _, ok := e.stored().CachedToken(m); ok {
		t.Fatal("the cache entry outlived the logout")
	}
	e.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/bus"
	if out, errOut, code := e.run("token"); code != 4 || out != "" || !strings.Contains(errOut, "atl login") {
		t.Fatalf("token after logout: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// atl logout removes the login's entry from the kernel keyring even when
// the login's metadata cannot be read (a later atl's version, a damaged
// file), which names nothing the entry's name needs.
func TestE2ELogoutDropsTheCachedTokenOfUnreadableMetadata(t *testing.T) {
	for name, damage := range map[string]func(string) string{
		"unknown version": func(s string) string { return strings.Replace(s, `"version": 1`, `"version": 99`, 1) },
		"damaged":         func(s string) string { return s[:len(s)/2] },
	} {
		t.Run(name, func(t *testing.T) {
			e := newE2E(t, authtest.Options{})
			e.login()
			m, err := e.stored().Metadata()
			if err != nil {
				t.Fatal(err)
			}
			key := e.stored().TokenCacheKey()
			if _, ok := e.stored().CachedToken(m); !ok {
				t.Fatal("the login's token is not in the kernel keyring")
			}
			path := filepath.Join(e.dir, "profiles", e.profile+".json")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(damage(string(b))), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, errOut, code := e.run("logout"); code != 0 {
				t.Fatalf("logout: exit %d: %s", code, errOut)
			}
			if _, ok := e.stored().CachedToken(m); ok {
				t.Fatal("the cached token outlived the logout")
			}
			if n, err := keyringtest.Count(key); n != 0 || err != nil {
				t.Fatalf("%d keys named %s in the user keyring (%v)", n, key, err)
			}
		})
	}
}

// atl doctor, where the kernel keyring cannot be written (add_key finds
// the key quota full; keyctl refused, as strace makes them), warns of the
// token cache with the reason, and exits 0: atl works without it.
func TestE2EDoctorWarnsOfAKernelKeyringThatCannotBeWritten(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("needs strace (apt-get install strace; scripts/test installs it)")
	}
	e := newE2E(t, authtest.Options{})
	e.login()
	for inject, want := range map[string]string{
		"add_key:error=EDQUOT": "warn  token cache: the kernel keyring is full: the kernel's key quota for your user is used up",
		"keyctl:error=EACCES":  "warn  token cache: the kernel keyring is refused here (permission denied)",
	} {
		syscall, _, _ := strings.Cut(inject, ":")
		cmd := exec.CommandContext(t.Context(), strace, "-f", "-o", os.DevNull, "-e", "trace="+syscall, "-e", "inject="+inject, atlBin, "doctor")
		cmd.Env = e.environ()
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil || !strings.Contains(out.String(), want) || strings.Contains(out.String(), "FAIL") {
			t.Fatalf("doctor with %s: %v\n%s%s", inject, err, out.String(), errOut.String())
		}
	}
	out, errOut, code := e.run("doctor")
	if code != 0 || !strings.Contains(out, "ok    token cache: the kernel keyring keeps access tokens") {
		t.Fatalf("doctor: exit %d\n%s%s", code, out, errOut)
	}
}
