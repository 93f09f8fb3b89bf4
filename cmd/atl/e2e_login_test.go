package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
)

func TestE2EDeniedConsentStoresNothing(t *testing.T) {
	e := newE2E(t, authtest.Options{Deny: true})
	_, errOut, code := e.run("login", "--insecure-storage")
	if code != 1 || !strings.Contains(errOut, "declined") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if n := e.srv.Count("token"); n != 0 {
		t.Fatalf("token requests = %d", n)
	}
	e.notStored()
}

// urlRE matches the keyed sign-in link atl shows; browserLinkRE the
// link without its key that it opens the browser at (on Linux).
var (
	urlRE         = regexp.MustCompile(`http://127\.0\.0\.1:\d+/start\?k=\S+`)
	browserLinkRE = regexp.MustCompile(`^http://127\.0\.0\.1:\d+/start$`)
)

// startLogin starts `atl login` with a browser that does nothing and
// returns the authorize URL it printed for the user to open by hand.
func (e *e2e) startLogin(args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	e.t.Helper()
	e.env["ATL_BROWSER"] = "true"
	if runtime.GOOS == "windows" {
		e.env["ATL_BROWSER"] = "cmd /c rem"
	}
	cmd := e.command(append([]string{"login", "--insecure-storage"}, args...)...)
	pr, pw := io.Pipe()
	var rest bytes.Buffer
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		sent := false
		for sc.Scan() {
			if m := urlRE.FindString(sc.Text()); m != "" && !sent {
				found <- m
				sent = true
			}
			rest.WriteString(sc.Text() + "\n")
		}
	}()
	e.t.Cleanup(func() { _ = cmd.Process.Kill(); pw.Close() })
	select {
	case u := <-found:
		return cmd, u, &rest
	case <-time.After(20 * time.Second):
		e.t.Fatal("atl login printed no URL")
		return nil, "", nil
	}
}

func TestE2EWrongStateIsRejectedAndLoginContinues(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	cmd, authURL, _ := e.startLogin()
	forged := e.callback + "?code=forged&state=not-the-state"
	resp, err := (&httpClient{}).get(forged)
	if err != nil || resp != 400 {
		t.Fatalf("forged callback: status %d, %v", resp, err)
	}
	forgedErr := e.callback + "?error=access_denied&state=not-the-state"
	if resp, err := (&httpClient{}).get(forgedErr); err != nil || resp != 400 {
		t.Fatalf("forged error callback: status %d, %v", resp, err)
	}
	status, _, err := authtest.Browse(context.Background(), nil, authURL)
	if err != nil || status != 200 {
		t.Fatalf("browse: %d %v", status, err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("login after forged callbacks: %v", err)
	}
	if n := e.srv.Count("token:authorization_code"); n != 1 {
		t.Fatalf("code exchanges = %d, want 1", n)
	}
}

func TestE2ETimeoutStoresNothingAndFreesThePort(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.env["ATL_BROWSER"] = "true"
	start := time.Now()
	_, errOut, code := e.run("login", "--insecure-storage", "--timeout", "1s")
	if code != 1 || !strings.Contains(errOut, "no sign-in within 1s") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("took %v", d)
	}
	e.notStored()
	l, err := net.Listen("tcp", strings.TrimSuffix(strings.TrimPrefix(e.callback, "http://"), "/callback"))
	if err != nil {
		t.Fatalf("port still held: %v", err)
	}
	l.Close()
}

func TestE2EInterruptEndsLoginCleanly(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT on Windows")
	}
	e := newE2E(t, authtest.Options{})
	cmd, _, _ := e.startLogin()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit = %v, want 130", err)
	}
	e.notStored()
}

func TestE2ESeveralSites(t *testing.T) {
	sites := []authtest.Site{
		{ID: "aaaaaaaa-0000-0000-0000-000000000001", URL: "https://alpha.atlassian.net", Name: "alpha"},
		{ID: "bbbbbbbb-0000-0000-0000-000000000002", URL: "https://beta.atlassian.net", Name: "beta"},
	}
	e := newE2E(t, authtest.Options{Sites: sites})
	_, errOut, code := e.run("login", "--insecure-storage")
	if code != 2 || !strings.Contains(errOut, "--site") || !strings.Contains(errOut, "alpha") || !strings.Contains(errOut, "beta") {
		t.Fatalf("no --site on a non-terminal: exit %d, stderr %q", code, errOut)
	}
	e.notStored()
	e.login("--site", "beta.atlassian.net")
	out, _, code := e.run("token", "--json")
	if code != 0 || !strings.Contains(out, sites[1].ID) {
		t.Fatalf("token --json after --site: %s", out)
	}
}

func TestE2ENoClientIDIsAUsageError(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	delete(e.env, "ATL_CLIENT_ID")
	_, errOut, code := e.run("login")
	if code != 2 || !strings.Contains(errOut, "ATL_CLIENT_ID") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestE2EChromiumLogin(t *testing.T) {
	browser := os.Getenv("ATL_TEST_CHROMIUM")
	if browser == "" {
		t.Skip("set ATL_TEST_CHROMIUM to a BROWSER command running headless Chromium (scripts/test does)")
	}
	e := newE2E(t, authtest.Options{})
	delete(e.env, "ATL_BROWSER")
	e.env["BROWSER"] = browser
	e.login("--timeout", "90s")
	out, errOut, code := e.run("whoami")
	if code != 0 || !strings.Contains(out, authtest.DefaultUserEmail) {
		t.Fatalf("whoami after a Chromium login: exit %d %s %s", code, out, errOut)
	}
}

func TestE2ENoKeychainFailsClearlyAndNeverFallsBackToAFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("simulates a Linux machine without a D-Bus session")
	}
	e := newE2E(t, authtest.Options{})
	e.env["DBUS_SESSION_BUS_ADDRESS"] = ""
	e.env["XDG_RUNTIME_DIR"] = t.TempDir()
	start := time.Now()
	_, errOut, code := e.run("login")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errOut)
	}
	line := strings.TrimSpace(errOut)
	if strings.Contains(line, "\n") || !strings.Contains(line, "D-Bus") || !strings.Contains(line, "--insecure-storage") {
		t.Fatalf("want one line naming the cause and the fix, got %q", errOut)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	if n := e.srv.Count("authorize"); n != 0 {
		t.Fatal("the browser was sent to the consent page although nothing could be stored")
	}
	entries, _ := os.ReadDir(filepath.Join(e.dir, "profiles"))
	for _, en := range entries {
		if strings.HasSuffix(en.Name(), ".json") {
			t.Fatalf("a file was written: %s", en.Name())
		}
	}
}

func TestE2EClientSecretFromStdinAndSettingsFromConfigFile(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	// Client id and callback from config.json; the secret from stdin only.
	cfg := fmt.Sprintf(`{"client_id": %q, "callback_url": %q}`, e.env["ATL_CLIENT_ID"], e.callback)
	if err := os.WriteFile(filepath.Join(e.dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := e.env["ATL_CLIENT_SECRET"]
	delete(e.env, "ATL_CLIENT_ID")
	delete(e.env, "ATL_CALLBACK_URL")
	delete(e.env, "ATL_CLIENT_SECRET")
	args := []string{"login", "--client-secret-stdin"}
	if !realKeychain() {
		args = append(args, "--insecure-storage")
	}
	cmd := e.command(args...)
	cmd.Stdin = strings.NewReader(secret + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("login: %v\n%s", err, out)
	}
	if got := e.srv.LastTokenRequest().Get("client_secret"); got != secret {
		t.Fatalf("token request client_secret = %q", got)
	}
	if realKeychain() {
		if e.grant().ClientSecret != secret {
			t.Fatal("secret not kept in the keychain")
		}
		assertNoSecretsInFiles(t, e.dir, secret)
		// A refresh, with no secret in the environment, uses the kept one.
		e.expire()
		if _, errOut, code := e.run("token"); code != 0 {
			t.Fatalf("token: exit %d: %s", code, errOut)
		}
		if got := e.srv.LastTokenRequest().Get("client_secret"); got != secret {
			t.Fatalf("refresh client_secret = %q", got)
		}
	} else {
		assertNoSecretsInFiles(t, e.dir, secret) // never in the insecure file either
	}
}

func TestE2ELoginWithoutAnyIdentityScopeFails(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	_, errOut, code := e.run("login", "--insecure-storage", "--scopes", "offline_access read:jira-work")
	if code != 1 || !strings.Contains(errOut, "read:jira-user") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	e.notStored()
}
