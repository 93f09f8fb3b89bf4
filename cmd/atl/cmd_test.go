package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

// testFactory returns a factory with fake streams, environment and keychain.
func testFactory(t testing.TB, env map[string]string) (*factory, *bytes.Buffer, *bytes.Buffer, *storetest.Memory) {
	t.Helper()
	var out, errOut bytes.Buffer
	keys := storetest.NewMemory()
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["ATL_CONFIG_DIR"]; !ok {
		env["ATL_CONFIG_DIR"] = t.TempDir()
	}
	f := &factory{
		IO:         &ioStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Getenv:     func(k string) string { return env[k] },
		Environ:    func() []string { return nil },
		Now:        time.Now,
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		Keychain:   keys,
		TokenCache: storetest.NewMemoryCache(), // no kernel keyring in tests
		OpenURL:    func(string) error { return errors.New("no browser in tests") },
	}
	return f, &out, &errOut, keys
}

// execute runs atl with args in-process and returns its exit code.
func execute(f *factory, args ...string) int {
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
		f, out, errOut, _ := testFactory(t, nil)
		if code := execute(f, args...); code != 2 {
			t.Errorf("atl %v: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
		if out.Len() != 0 {
			t.Errorf("atl %v wrote to stdout: %q", args, out)
		}
	}
}

func TestLoginHelpNamesTheDefaultCallback(t *testing.T) {
	f, out, _, _ := testFactory(t, nil)
	if code := execute(f, "login", "--help"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), auth.DefaultCallbackURL) {
		t.Fatalf("login --help does not show %s", auth.DefaultCallbackURL)
	}
}

func TestTokenWhenNotLoggedIn(t *testing.T) {
	f, out, errOut, _ := testFactory(t, nil)
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
	f, out, errOut, keys := testFactory(t, env)
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
	f, _, errOut, keys := testFactory(t, map[string]string{"ATL_CLIENT_ID": "cid"})
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

func TestPromptSite(t *testing.T) {
	sites := []auth.Site{
		{ID: "id-1", URL: "https://alpha.atlassian.net", Name: "alpha"},
		{ID: "id-2", URL: "https://beta.atlassian.net", Name: "Beta"},
	}
	for _, tc := range []struct {
		input       string
		interactive bool
		wantID      string
		wantUsage   bool
	}{
		{interactive: true, input: "x\n0\n3\n2\n", wantID: "id-2"},
		{interactive: true, input: "1", wantID: "id-1"},
		{interactive: true, input: "", wantUsage: true},
		{interactive: false, wantUsage: true},
	} {
		var errOut bytes.Buffer
		in := newLoginInput(strings.NewReader(tc.input))
		got, err := promptSite(context.Background(), sites, &ioStreams{ErrOut: &errOut, Interactive: tc.interactive}, in)
		in.close()
		var ue *usageError
		if tc.wantUsage != errors.As(err, &ue) {
			t.Errorf("%+v: err = %v", tc, err)
			continue
		}
		if tc.wantUsage && !tc.interactive && err.Error() != "this login reaches 2 sites (alpha https://alpha.atlassian.net, Beta https://beta.atlassian.net): choose one with --site NAME|URL|ID" {
			t.Errorf("message %q", err)
		}
		if !tc.wantUsage && got.ID != tc.wantID {
			t.Errorf("%+v: got %s", tc, got.ID)
		}
		if tc.interactive && !strings.Contains(errOut.String(), "  2) Beta  https://beta.atlassian.net") {
			t.Errorf("prompt %q", errOut.String())
		}
	}
}

func TestParseScopes(t *testing.T) {
	got, err := parseScopes([]string{"offline_access read:me", "read:me", "read:jira-user"})
	if err != nil || strings.Join(got, " ") != "offline_access read:me read:jira-user" {
		t.Fatalf("got %v %v", got, err)
	}
	if got, err := parseScopes(nil); got != nil || err != nil {
		t.Fatalf("no --scopes = %v, %v; want nil (config.json's or the defaults)", got, err)
	}
	if _, err := parseScopes([]string{" "}); err == nil {
		t.Fatal("empty scopes accepted")
	}
}

func TestBrowserCommandGetsURLLastAndNoSecret(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a shell script")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "browser")
	record := filepath.Join(dir, "record")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > "+record+".tmp\nenv >> "+record+".tmp\nmv "+record+".tmp "+record+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	f, _, _, _ := testFactory(t, map[string]string{"ATL_BROWSER": script + " --new-window"})
	f.Environ = func() []string { return []string{"PATH=/usr/bin:/bin", "ATL_CLIENT_SECRET=s3cret", "HOME=/home/x"} }
	if err := f.openBrowser("http://example.test/authorize?x=1"); err != nil {
		t.Fatal(err)
	}
	var b []byte
	for i := 0; i < 200; i++ {
		if b, _ = os.ReadFile(record); len(b) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 2 || lines[0] != "--new-window" || lines[1] != "http://example.test/authorize?x=1" {
		t.Fatalf("browser args = %q", lines)
	}
	if strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), "HOME=/home/x") {
		t.Fatalf("browser environment wrong:\n%s", b)
	}
}

func TestReadSecret(t *testing.T) {
	if s, err := readSecret(strings.NewReader("  abc \nrest")); err != nil || s != "abc" {
		t.Fatalf("got %q %v", s, err)
	}
	if _, err := readSecret(strings.NewReader("")); err == nil {
		t.Fatal("empty secret accepted")
	}
}

func TestVersionFlag(t *testing.T) {
	f, out, _, _ := testFactory(t, nil)
	if code := execute(f, "--version"); code != 0 || !strings.HasPrefix(out.String(), "atl version ") {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
}

func TestABlankBrowserVariableIsUnset(t *testing.T) {
	for _, env := range []map[string]string{
		{"ATL_BROWSER": " "},
		{"ATL_BROWSER": "\t", "BROWSER": "  "},
		{"BROWSER": " "},
	} {
		f, _, _, _ := testFactory(t, env)
		opened := ""
		f.OpenURL = func(u string) error { opened = u; return nil }
		if err := f.openBrowser("http://127.0.0.1:1/start?k=x"); err != nil || opened != "http://127.0.0.1:1/start?k=x" {
			t.Errorf("%v: err %v, system browser got %q", env, err, opened)
		}
	}
}

func TestTakeEnvironmentRemovesTheSecretsFromTheProcess(t *testing.T) {
	t.Setenv("ATL_CLIENT_SECRET", "upper")
	t.Setenv("Atl_Client_Secret", "mixed") // one variable on Windows, two elsewhere
	t.Setenv("ATL_TOKEN", "token")
	t.Setenv("atl_token", "lower")
	t.Setenv("ATL_CLIENT_ID", "cid")
	env := takeEnvironment()
	if env.get("ATL_CLIENT_ID") != "cid" || env.get("ATL_CLIENT_SECRET") != "upper" || env.get("ATL_TOKEN") != "token" {
		t.Fatalf("the snapshot lost values: %q %q %q", env.get("ATL_CLIENT_ID"), env.get("ATL_CLIENT_SECRET"), env.get("ATL_TOKEN"))
	}
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.EqualFold(name, "ATL_CLIENT_SECRET") || strings.EqualFold(name, "ATL_TOKEN") {
			t.Fatalf("%s is still in the process environment", name)
		}
	}
	if os.Getenv("ATL_CLIENT_ID") != "cid" {
		t.Fatal("other variables were removed")
	}
	got := childEnv([]string{"PATH=/bin", "atl_client_secret=x", "ATL_CLIENT_SECRET=y", "ATL_CLIENT_SECRETS=z", "Atl_Token=t", "ATL_TOKEN=u", "ATL_TOKENS=v"})
	if strings.Join(got, " ") != "PATH=/bin ATL_CLIENT_SECRETS=z ATL_TOKENS=v" {
		t.Fatalf("childEnv = %q", got)
	}
}
