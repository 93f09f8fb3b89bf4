package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/atl-cli/atl/store"
)

// execute runs atl with args in-process and returns its exit code.
func execute(f *cli.Factory, args ...string) int {
	return run(context.Background(), f, args)
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"},
		{"token", "--bogus"},
		{"token", "extra"},
		{"login", "--timeout", "soon"},
		{"--profile", "../etc", "token"},
	} {
		f, out, errOut, _ := clitest.NewFactory(t, nil)
		if code := execute(f, args...); code != 2 {
			t.Errorf("atl %v: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
		if out.Len() != 0 {
			t.Errorf("atl %v wrote to stdout: %q", args, out)
		}
	}
}

func TestLoginHelpNamesTheDefaultCallback(t *testing.T) {
	f, out, _, _ := clitest.NewFactory(t, nil)
	if code := execute(f, "login", "--help"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), auth.DefaultCallbackURL) {
		t.Fatalf("login --help does not show %s", auth.DefaultCallbackURL)
	}
}

func TestTokenWhenNotLoggedIn(t *testing.T) {
	f, out, errOut, _ := clitest.NewFactory(t, nil)
	if code := execute(f, "token"); code != 4 {
		t.Fatalf("exit %d", code)
	}
	if out.Len() != 0 || !strings.Contains(errOut.String(), "atl login") {
		t.Fatalf("stdout %q, stderr %q", out, errOut)
	}
}

func TestInProcessLoginStoresSecretsOnlyInKeychain(t *testing.T) {
	port := authtest.FreePort(t)
	callback := fmt.Sprintf("http://127.0.0.1:%d/callback", port)
	srv := authtest.NewServer(authtest.Options{ClientID: "cid", ClientSecret: "csecret", RedirectURI: callback})
	defer srv.Close()
	env := map[string]string{
		"ATL_CLIENT_ID": "cid", "ATL_CLIENT_SECRET": "csecret", "ATL_CALLBACK_URL": callback,
		"ATL_AUTH_URL": srv.URL(), "ATL_API_URL": srv.URL(),
	}
	f, out, errOut, keys := clitest.NewFactory(t, env)
	browsed := make(chan error, 1)
	f.OpenURL = func(u string) error {
		go func() {
			_, _, err := authtest.Browse(context.Background(), nil, u)
			browsed <- err
		}()
		return nil
	}
	if code := execute(f, "login"); code != 0 {
		t.Fatalf("login: exit %d: %s", code, errOut)
	}
	if err := <-browsed; err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("login wrote to stdout: %q", out)
	}
	login, err := store.New(env["ATL_CONFIG_DIR"], keys).WithTokenCache(f.TokenCache).Login("default")
	if err != nil {
		t.Fatal(err)
	}
	m, g, err := login.Load()
	if err != nil || g.ClientSecret != "csecret" || g.RefreshToken == "" {
		t.Fatalf("grant = %+v, %v", g, err)
	}
	if m.Storage != store.StorageKeychain {
		t.Fatalf("stored in %q", m.Storage)
	}
	assertNoSecretsInFiles(t, env["ATL_CONFIG_DIR"], "csecret", g.RefreshToken, g.AccessToken)

	// A later refresh works without the secret in the environment.
	delete(env, "ATL_CLIENT_SECRET")
	g.Expiry = time.Now().Add(-time.Minute)
	if err := login.SaveRefreshed(m, g); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := execute(f, "token"); code != 0 {
		t.Fatalf("token: exit %d: %s", code, errOut)
	}
	if srv.Count("token:refresh_token") != 1 || srv.LastTokenRequest().Get("client_secret") != "csecret" {
		t.Fatalf("refresh did not use the stored secret")
	}
}

func TestKeychainFailureFailsLoginBeforeTheBrowser(t *testing.T) {
	f, _, errOut, keys := clitest.NewFactory(t, map[string]string{"ATL_CLIENT_ID": "cid"})
	keys.Fail(&store.KeychainError{Op: "read", Cause: "the keyring is locked"})
	opened := false
	f.OpenURL = func(string) error { opened = true; return nil }
	if code := execute(f, "login", "--callback-url", fmt.Sprintf("http://127.0.0.1:%d/callback", authtest.FreePort(t))); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if opened {
		t.Fatal("the browser was opened although the login could not be stored")
	}
	if !strings.Contains(errOut.String(), "locked") {
		t.Fatalf("stderr %q", errOut)
	}
}

func TestVersionFlag(t *testing.T) {
	f, out, _, _ := clitest.NewFactory(t, nil)
	if code := execute(f, "--version"); code != 0 || out.String() != "atl "+version()+"\n" {
		t.Fatalf("exit %d, stdout %q, want %q", code, out, "atl "+version()+"\n")
	}
}
