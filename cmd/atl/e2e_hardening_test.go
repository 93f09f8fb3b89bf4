package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/creack/pty"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// loginInBackground starts `atl login` with a browser that does nothing and
// returns it, its stderr, and the sign-in link it printed.
func (e *e2e) loginInBackground(args ...string) (*exec.Cmd, *lockedBuffer, string) {
	e.t.Helper()
	e.env["ATL_BROWSER"] = "true"
	cmd := e.command(append([]string{"login", "--insecure-storage"}, args...)...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for range 200 {
		if m := urlRE.FindString(stderr.String()); m != "" {
			return cmd, stderr, m
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("atl login printed no sign-in link: %q", stderr)
	return nil, nil, ""
}

func exitCodeOf(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestE2ETheDefaultBrowserOpenerSeesNoSecretAndNoAuthorizeURL(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("replaces xdg-open with a shell script")
	}
	e := newE2E(t, authtest.Options{})
	delete(e.env, "ATL_BROWSER")
	bin := t.TempDir()
	record := filepath.Join(bin, "record")
	// A stand-in xdg-open, found first on PATH by pkg/browser: it records
	// what it was given, then plays the browser.
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" > %s.args\nenv > %s.env\n(%s browse \"$1\" >/dev/null 2>&1 &)\nexit 0\n", record, record, sandboxBin)
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	e.env["PATH"] = bin + string(os.PathListSeparator) + os.Getenv("PATH")
	e.env["atl_client_secret"] = "lower-case-secret" // Windows matches names without case
	e.login()
	args, err := os.ReadFile(record + ".args")
	if err != nil {
		t.Fatalf("xdg-open was not run: %v", err)
	}
	env, _ := os.ReadFile(record + ".env")
	if m := urlRE.FindString(string(args)); m == "" || strings.TrimSpace(string(args)) != m {
		t.Fatalf("xdg-open's arguments %q: want the one-time sign-in link alone", args)
	}
	for _, leak := range []string{"state=", "code_challenge", "/authorize"} {
		if strings.Contains(string(args), leak) {
			t.Errorf("xdg-open's command line holds %q", leak)
		}
	}
	for _, leak := range []string{"e2e-client-secret-value", "lower-case-secret"} {
		if strings.Contains(string(env), leak) {
			t.Errorf("xdg-open's environment holds the client secret %q", leak)
		}
	}
	if strings.Contains(strings.ToUpper(string(env)), "ATL_CLIENT_SECRET") {
		t.Error("xdg-open's environment names ATL_CLIENT_SECRET")
	}
	if !strings.Contains(string(env), "ATL_CLIENT_ID=e2e-client") {
		t.Error("the environment was not passed on at all")
	}
}

func TestE2EASecondFetchOfTheSignInLinkEndsTheLogin(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	cmd, stderr, link := e.loginInBackground()
	noRedirect := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, want := range []int{http.StatusFound, http.StatusConflict} {
		resp, err := noRedirect.Get(link)
		if err != nil {
			t.Fatalf("fetch %d: %v; atl said %q", i+1, err, stderr.String())
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("fetch %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	if code := exitCodeOf(cmd.Wait()); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "atl: the sign-in link was opened twice") || !strings.Contains(last, "run `atl login --profile "+e.profile+"` again") {
		t.Fatalf("last line %q", last)
	}
	e.notStored()
	if e.srv.Count("token") != 0 {
		t.Fatal("a code was exchanged")
	}
}

func TestE2EPlainHTTPServersAreRefused(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.env["ATL_AUTH_URL"] = "http://auth.example.test"
	_, errOut, code := e.run("login")
	if code != 2 || !strings.Contains(errOut, `auth URL "http://auth.example.test" must use https`) || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("login: exit %d, stderr %q", code, errOut)
	}
	e.env["ATL_AUTH_URL"] = e.srv.URL()
	e.login()
	e.env["ATL_API_URL"] = "http://api.example.test"
	out, errOut, code := e.run("whoami")
	if code != 2 || out != "" || !strings.Contains(errOut, "ATL_API_URL") || !strings.Contains(errOut, "must use https") {
		t.Fatalf("whoami: exit %d, stderr %q", code, errOut)
	}
}

func TestE2EAnEditedMetadataFileSendsNoSecretAnywhere(t *testing.T) {
	collector := authtest.NewServer(authtest.Options{ClientID: "e2e-client"})
	defer collector.Close()
	e := newE2E(t, authtest.Options{})
	e.login()
	e.expire()
	e.srv.ResetCounts()
	path := filepath.Join(e.dir, "profiles", e.profile+".json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.ReplaceAll(string(b), e.srv.URL(), collector.URL())
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"token", "whoami"} {
		out, errOut, code := e.run(cmd)
		if code != 4 || out != "" || !strings.Contains(errOut, "belong") || strings.Count(errOut, "\n") != 1 {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", cmd, code, out, errOut)
		}
	}
	for _, c := range []string{"token", "me", "myself", "accessible-resources"} {
		if collector.Count(c) != 0 || e.srv.Count(c) != 0 {
			t.Fatalf("%s requests were made", c)
		}
	}
}

func TestE2EAConfigDirectoryPlantedByAnotherUserIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() != 0 {
		t.Skip("needs root on Unix to plant files as another user (CI runs the tests as root)")
	}
	collector := authtest.NewServer(authtest.Options{ClientID: "e2e-client"})
	defer collector.Close()
	e := newE2E(t, authtest.Options{})
	// Another user (uid 4242) made the config directory and planted a
	// login pointing at their server.
	profiles := filepath.Join(e.dir, "profiles")
	planted := fmt.Sprintf(`{"version":1,"client_id":"e2e-client","auth_url":%q,"api_url":%q,"account_id":"x","site":{"id":"11111111-2222-3333-4444-555555555555"},"scopes":[],"storage":"file"}`, collector.URL(), collector.URL())
	if err := os.MkdirAll(profiles, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(profiles, e.profile+".json"), []byte(planted), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(profiles, e.profile+".tokens.json"), []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{e.dir, profiles, filepath.Join(profiles, e.profile+".json"), filepath.Join(profiles, e.profile+".tokens.json")} {
		if err := os.Chown(p, 4242, 4242); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshotTree(t, e.dir)
	for _, args := range [][]string{{"token"}, {"whoami"}, {"logout"}, {"login", "--insecure-storage"}} {
		out, errOut, code := e.run(args...)
		want := "atl: refusing to use " + e.dir + ": it is owned by uid 4242, not by you (uid 0); atl changes nothing there"
		if code != 1 || out != "" || !strings.HasPrefix(errOut, want) || strings.Count(errOut, "\n") != 1 {
			t.Fatalf("atl %v: exit %d, stdout %q, stderr %q; want 1 and %q…", args, code, out, errOut, want)
		}
	}
	if after := snapshotTree(t, e.dir); after != before {
		t.Fatalf("the planted directory was changed:\n%s\n%s", before, after)
	}
	if collector.Count("token")+collector.Count("me")+collector.Count("myself") != 0 || e.srv.Count("authorize") != 0 {
		t.Fatal("a request was made")
	}
}

// snapshotTree describes every path under root: name, mode, owner.
func snapshotTree(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	_ = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		st, _ := fi.Sys().(*syscall.Stat_t)
		fmt.Fprintf(&b, "%s %s %d\n", p, fi.Mode(), st.Uid)
		return nil
	})
	return b.String()
}

func TestE2EAnInterruptDuringARefreshKeepsTheRotation(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT on Windows")
	}
	e := newE2E(t, authtest.Options{}) // strict: a reused refresh token revokes the grant
	e.login()
	e.expire()
	before := e.grant()
	e.srv.ResetCounts()
	e.srv.InjectTokenFaults(authtest.Fault{PassThrough: true, Delay: 1500 * time.Millisecond})
	cmd := e.command("token")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; e.srv.Count("token") == 0; i++ {
		if i > 200 {
			t.Fatal("atl token sent no token request")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := exitCodeOf(cmd.Wait()); code != 130 || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 130 and nothing printed", code, out.String(), errOut.String())
	}
	after := e.grant()
	if after.RefreshToken == before.RefreshToken {
		t.Fatal("the rotated refresh token was lost")
	}
	stdout, errs, code := e.run("token")
	if code != 0 || stdout != after.AccessToken+"\n" {
		t.Fatalf("token after the interrupt: exit %d, %s", code, errs)
	}
	if e.srv.GrantRevoked() || e.srv.Count("token:refresh_token") != 1 {
		t.Fatalf("revoked %v, %d refreshes", e.srv.GrantRevoked(), e.srv.Count("token:refresh_token"))
	}
}

func TestE2EAClientSecretTypedOnATerminalIsNotEchoed(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a Unix pseudo-terminal")
	}
	e := newE2E(t, authtest.Options{})
	const secret = "e2e-client-secret-value"
	delete(e.env, "ATL_CLIENT_SECRET")
	args := []string{"login", "--client-secret-stdin", "--timeout", "60s"}
	if !realKeychain() {
		args = append(args, "--insecure-storage")
	}
	cmd := e.command(args...)
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	screen := &lockedBuffer{}
	go func() { _, _ = io.Copy(screen, tty) }()
	for i := 0; !strings.Contains(screen.String(), "Client secret (not shown): "); i++ {
		if i > 200 {
			t.Fatalf("no prompt: %q", screen.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := tty.Write([]byte(secret + "\r")); err != nil {
		t.Fatal(err)
	}
	if code := exitCodeOf(cmd.Wait()); code != 0 {
		t.Fatalf("login: exit %d: %s", code, screen.String())
	}
	time.Sleep(100 * time.Millisecond) // let the last output arrive
	if strings.Contains(screen.String(), secret) {
		t.Fatalf("the secret was echoed:\n%s", screen.String())
	}
	if got := e.srv.LastTokenRequest().Get("client_secret"); got != secret {
		t.Fatalf("the login used client_secret %q", got)
	}
}

func TestE2EHostileServerTextNeverReachesTheTerminal(t *testing.T) {
	hostile := authtest.Options{
		User:  authtest.User{AccountID: authtest.DefaultAccountID, Name: "Ada\x1b]0;pwned\x07 Lovelace", Email: "ada\x1b[31m@example.com"},
		Sites: []authtest.Site{{ID: authtest.DefaultSiteID, URL: "https://ex\x1b[2Jample.atlassian.net", Name: "ex\x07ample\x1bc"}},
	}
	e := newE2E(t, hostile)
	_, loginErr, code := e.run("login", "--insecure-storage", "--debug")
	if code != 0 {
		t.Fatalf("login: exit %d: %q", code, loginErr)
	}
	all := loginErr
	for _, args := range [][]string{{"whoami"}, {"whoami", "--json"}, {"token", "--json"}, {"whoami", "--debug"}} {
		out, errOut, code := e.run(args...)
		if code != 0 {
			t.Fatalf("atl %v: exit %d: %q", args, code, errOut)
		}
		all += out + errOut
	}
	if i := strings.IndexAny(all, "\x1b\x07\u009b\u009d"); i >= 0 {
		t.Fatalf("a control character from the server reached the terminal: %q", all[max(0, i-40):min(len(all), i+40)])
	}
	if !strings.Contains(all, "Ada Lovelace") {
		t.Fatalf("the name is not shown at all:\n%s", all)
	}
	_ = context.Background
}
