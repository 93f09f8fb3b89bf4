package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
)

func TestE2ELoginWhoamiTokenLogout(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.login()
	if n := e.srv.Count("token:authorization_code"); n != 1 {
		t.Fatalf("code exchanges = %d, want 1", n)
	}

	out, errOut, code := e.run("whoami")
	if code != 0 {
		t.Fatalf("whoami: exit %d: %s", code, errOut)
	}
	for _, want := range []string{authtest.DefaultUserName, authtest.DefaultUserEmail, authtest.DefaultAccountID, authtest.DefaultSiteURL} {
		if !strings.Contains(strings.SplitN(out, "\n", 2)[0], want) {
			t.Errorf("whoami first line lacks %q:\n%s", want, out)
		}
	}
	out, _, code = e.run("whoami", "--json")
	var who struct {
		AccountID string `json:"account_id"`
		Email     string `json:"email"`
		Name      string `json:"name"`
		Site      struct{ ID, URL, Name string }
		Scopes    []string `json:"scopes"`
		ExpiresAt string   `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(out), &who); err != nil || code != 0 {
		t.Fatalf("whoami --json: %v %q", err, out)
	}
	if who.AccountID != authtest.DefaultAccountID || who.Email != authtest.DefaultUserEmail || who.Site.ID != authtest.DefaultSiteID ||
		who.Site.URL != authtest.DefaultSiteURL || len(who.Scopes) != 4 || who.ExpiresAt == "" {
		t.Fatalf("whoami --json = %+v", who)
	}

	// Cached: no token request, stdout is the token and a newline only.
	e.srv.ResetCounts()
	out, errOut, code = e.run("token")
	if code != 0 || errOut != "" {
		t.Fatalf("token: exit %d, stderr %q", code, errOut)
	}
	g := e.grant()
	if out != g.AccessToken+"\n" {
		t.Fatalf("token stdout = %q, want the stored access token and a newline", out)
	}
	if n := e.srv.Count("token"); n != 0 {
		t.Fatalf("cached token made %d token requests", n)
	}

	// Expired: exactly one refresh, rotated token stored, new token printed.
	for round := 1; round <= 2; round++ {
		before := e.grant()
		e.expire()
		out, errOut, code = e.run("token")
		if code != 0 {
			t.Fatalf("round %d: token: exit %d: %s", round, code, errOut)
		}
		after := e.grant()
		if n := e.srv.Count("token:refresh_token"); n != round {
			t.Fatalf("round %d: refreshes = %d", round, n)
		}
		if after.RefreshToken == before.RefreshToken || out != after.AccessToken+"\n" || after.AccessToken == before.AccessToken {
			t.Fatalf("round %d: rotation not stored or wrong token printed", round)
		}
	}
	if e.srv.GrantRevoked() {
		t.Fatal("a rotated refresh token was reused")
	}

	out, _, code = e.run("token", "--json")
	var tj map[string]any
	if err := json.Unmarshal([]byte(out), &tj); err != nil || code != 0 {
		t.Fatalf("token --json: %v %q", err, out)
	}
	for _, k := range []string{"access_token", "expires_at", "token_type", "cloud_id", "site_url", "scopes"} {
		if _, ok := tj[k]; !ok {
			t.Errorf("token --json lacks %q", k)
		}
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(tj["expires_at"])); err != nil {
		t.Errorf("expires_at not RFC 3339: %v", tj["expires_at"])
	}

	if realKeychain() {
		assertNoSecretsInFiles(t, e.dir, g.AccessToken, e.grant().RefreshToken, e.grant().AccessToken, "e2e-client-secret-value")
	}
	assertPrivate(t, e.dir)

	_, errOut, code = e.run("logout")
	if code != 0 || !strings.Contains(errOut, "id.atlassian.com") {
		t.Fatalf("logout: exit %d: %s", code, errOut)
	}
	out, errOut, code = e.run("token")
	if code != 4 || out != "" || !strings.Contains(errOut, "atl login") {
		t.Fatalf("token after logout: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if realKeychain() {
		loc := e.stored().Location(store.StorageKeychain)
		if _, err := (store.Keyring{}).Get(loc.Service, loc.Account); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("keychain item left after logout: %v", err)
		}
	}
}

// assertNoSecretsInFiles fails if any file under dir holds a secret.
func assertNoSecretsInFiles(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if s != "" && bytes.Contains(b, []byte(s)) {
				t.Errorf("%s contains a secret", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// assertPrivate checks the config tree is 0700 dirs and 0600 files.
func assertPrivate(t *testing.T, dir string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		fi, _ := d.Info()
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", path, fi.Mode().Perm(), want)
		}
		return nil
	})
}

func TestE2EDeadGrantExits4WithoutAskingAgain(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.login()
	e.srv.RevokeGrants()
	e.expire()
	e.srv.ResetCounts()
	for i := 0; i < 2; i++ {
		out, errOut, code := e.run("token")
		if code != 4 || out != "" || !strings.Contains(errOut, "atl login") {
			t.Fatalf("try %d: exit %d, stdout %q, stderr %q", i, code, out, errOut)
		}
	}
	if n := e.srv.Count("token"); n != 1 {
		t.Fatalf("token requests = %d, want 1", n)
	}
}

func TestE2EConcurrentTokenProcessesRefreshOnce(t *testing.T) {
	for _, n := range []int{20, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := newE2E(t, authtest.Options{})
			e.login()
			e.expire()
			e.srv.ResetCounts()
			t0 := time.Now()
			outs, errs, codes := e.runAtOnce(n, "token")
			wall := time.Since(t0)
			for i := range n {
				if codes[i] != 0 {
					t.Fatalf("process %d: exit %d: %s", i, codes[i], errs[i])
				}
				if outs[i] != outs[0] {
					t.Fatalf("process %d printed a different token", i)
				}
			}
			if got := e.srv.Count("token:refresh_token"); got != 1 {
				t.Fatalf("refresh requests = %d, want exactly 1", got)
			}
			if outs[0] != e.grant().AccessToken+"\n" {
				t.Fatal("printed token is not the stored one")
			}
			if e.srv.GrantRevoked() {
				t.Fatal("grant revoked: a rotated refresh token was reused")
			}
			t.Logf("%d concurrent `atl token` (keychain=%v): 1 refresh, identical tokens, wall %v", n, realKeychain(), wall.Round(time.Millisecond))
		})
	}
}

func TestE2EDebugTraceRedactsEverySecret(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	args := []string{"login", "--debug"}
	if !realKeychain() {
		args = append(args, "--insecure-storage")
	}
	_, loginTrace, code := e.run(args...)
	if code != 0 {
		t.Fatalf("login: exit %d: %s", code, loginTrace)
	}
	exchange := e.srv.LastTokenRequest()
	first := e.grant()
	e.expire()
	e.env["ATL_DEBUG"] = "1"
	out, refreshTrace, code := e.run("token")
	if code != 0 {
		t.Fatalf("token: exit %d: %s", code, refreshTrace)
	}
	second := e.grant()
	trace := loginTrace + refreshTrace
	for _, want := range []string{"> POST " + e.srv.URL() + "/oauth/token", "< 200 OK", "> GET " + e.srv.URL() + "/oauth/token/accessible-resources", "[REDACTED]"} {
		if !strings.Contains(trace, want) {
			t.Errorf("trace lacks %q", want)
		}
	}
	secrets := map[string]string{
		"code":                 exchange.Get("code"),
		"code_verifier":        exchange.Get("code_verifier"),
		"client_secret":        "e2e-client-secret-value",
		"first access token":   first.AccessToken,
		"first refresh token":  first.RefreshToken,
		"second access token":  second.AccessToken,
		"second refresh token": second.RefreshToken,
		"printed access token": strings.TrimSpace(out),
	}
	for name, s := range secrets {
		if s == "" {
			t.Fatalf("test setup: %s is empty", name)
		}
		if strings.Contains(trace, s) {
			t.Errorf("the debug trace shows the %s", name)
		}
	}
}

func TestE2EWhoamiRefreshesOnceWhenTheAPIRefusesAValidToken(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.login()
	e.srv.ExpireAccessTokens() // the API now refuses the cached, unexpired token
	e.srv.ResetCounts()
	out, errOut, code := e.run("whoami")
	if code != 0 || !strings.Contains(out, authtest.DefaultUserName) {
		t.Fatalf("whoami: exit %d: %s %s", code, out, errOut)
	}
	if n := e.srv.Count("token:refresh_token"); n != 1 {
		t.Fatalf("refreshes = %d, want 1", n)
	}
	if n := e.srv.Count("myself"); n != 2 {
		t.Fatalf("myself calls = %d, want 2 (refused, then retried)", n)
	}
}

func TestE2EIdentityFromMeWithoutJiraScopes(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.login("--scopes", "offline_access read:me")
	out, errOut, code := e.run("whoami", "--json")
	if code != 0 || !strings.Contains(out, authtest.DefaultUserEmail) || !strings.Contains(out, authtest.DefaultAccountID) {
		t.Fatalf("whoami: exit %d: %s %s", code, out, errOut)
	}
	if e.srv.Count("me") < 2 {
		t.Fatalf("/me calls = %d", e.srv.Count("me"))
	}
}

func TestE2ECorruptStoredLoginExits4(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(e *e2e)
	}{
		{"profile not JSON", func(e *e2e) {
			_ = os.WriteFile(filepath.Join(e.dir, "profiles", e.profile+".json"), []byte("{truncated"), 0o600)
		}},
		{"profile from the future", func(e *e2e) {
			_ = os.WriteFile(filepath.Join(e.dir, "profiles", e.profile+".json"), []byte(`{"version": 99}`), 0o600)
		}},
		{"tokens garbage", func(e *e2e) { e.breakSecrets("garbage") }},
		{"tokens empty", func(e *e2e) { e.breakSecrets("") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newE2E(t, authtest.Options{})
			e.login()
			tc.break_(e)
			out, errOut, code := e.run("token")
			if code != 4 || out != "" || !strings.Contains(errOut, "atl login") || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			// A new login repairs it.
			e.login()
			if _, errOut, code := e.run("token"); code != 0 {
				t.Fatalf("token after re-login: exit %d: %s", code, errOut)
			}
		})
	}
}
