//go:build !windows

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/creack/pty"
)

func TestE2EAConfigDirectoryPlantedByAnotherUserIsRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to plant files as another user (CI runs the tests as root)")
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

// terminal is atl running on a pseudo-terminal, with what it has shown.
type terminal struct {
	t      *testing.T
	cmd    *exec.Cmd
	tty    *os.File
	screen *clitest.LockedBuffer
	copied chan struct{} // closed once the terminal's output is all read
}

// onTerminal starts atl with args on a pseudo-terminal.
func (e *e2e) onTerminal(args ...string) *terminal {
	e.t.Helper()
	cmd := e.command(args...)
	tty, err := pty.Start(cmd)
	if err != nil {
		e.t.Fatal(err)
	}
	term := &terminal{t: e.t, cmd: cmd, tty: tty, screen: &clitest.LockedBuffer{}, copied: make(chan struct{})}
	e.t.Cleanup(func() { tty.Close() })
	go func() { _, _ = io.Copy(term.screen, tty); close(term.copied) }()
	return term
}

// waitFor waits until the screen shows what.
func (term *terminal) waitFor(what string) {
	term.t.Helper()
	for i := 0; !strings.Contains(term.screen.String(), what); i++ {
		if i > 500 {
			term.t.Fatalf("the screen never showed %q:\n%s", what, term.screen.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// typeLine types line and Enter.
func (term *terminal) typeLine(line string) {
	term.t.Helper()
	if _, err := term.tty.Write([]byte(line + "\r")); err != nil {
		term.t.Fatal(err)
	}
}

// wait waits for atl to exit and for its output, and returns its exit code.
func (term *terminal) wait() int {
	code := exitCodeOf(term.cmd.Wait())
	select {
	case <-term.copied:
	case <-time.After(2 * time.Second): // the terminal stays open while a child holds it
	}
	return code
}

func TestE2EAClientSecretTypedOnATerminalIsNotEchoed(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	const secret = "e2e-client-secret-value"
	delete(e.env, "ATL_CLIENT_SECRET")
	args := []string{"login", "--client-secret-stdin", "--timeout", "60s"}
	if !realKeychain() {
		args = append(args, "--insecure-storage")
	}
	term := e.onTerminal(args...)
	term.waitFor("Client secret (not shown): ")
	term.typeLine(secret)
	if code := term.wait(); code != 0 {
		t.Fatalf("login: exit %d: %s", code, term.screen.String())
	}
	if strings.Contains(term.screen.String(), secret) {
		t.Fatalf("the secret was echoed:\n%s", term.screen.String())
	}
	if got := e.srv.LastTokenRequest().Get("client_secret"); got != secret {
		t.Fatalf("the login used client_secret %q", got)
	}
}

var authorizeRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/authorize\?\S+`)

func TestE2ELoginWithoutABrowserByPastingTheAddress(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	opened := filepath.Join(t.TempDir(), "opened")
	e.env["ATL_BROWSER"] = "touch " + opened // must not run
	args := []string{"login", "--no-browser", "--timeout", "20s"}
	if !realKeychain() {
		args = append(args, "--insecure-storage")
	}
	term := e.onTerminal(args...)
	landed := e.approveElsewhere(term)
	forged := regexp.MustCompile(`state=[^&]+`).ReplaceAllString(landed, "state=forged")
	term.typeLine(forged)
	term.waitFor("that address cannot complete this sign-in: it belongs to another sign-in")
	// A pasted line over 4 KiB, longer than a terminal's canonical line,
	// with the code and state at its end.
	base, query, _ := strings.Cut(landed, "?")
	long := base + "?padding=" + strings.Repeat("x", 5000) + "&" + query
	term.typeLine(long)
	if code := term.wait(); code != 0 {
		t.Fatalf("login: exit %d:\n%s", code, term.screen.String())
	}
	if n := e.srv.Count("token:authorization_code"); n != 1 {
		t.Fatalf("code exchanges = %d", n)
	}
	if _, err := os.Stat(opened); err == nil {
		t.Fatal("a browser was opened")
	}
	if _, errOut, code := e.run("whoami"); code != 0 {
		t.Fatalf("whoami after the pasted login: exit %d: %s", code, errOut)
	}
}

// approveElsewhere plays a browser on another machine for a login
// without a browser on term: it opens the consent page shown, approves,
// and returns the address it is then sent to (and cannot load).
func (e *e2e) approveElsewhere(term *terminal) string {
	e.t.Helper()
	term.waitFor("paste it here, then press Enter")
	authURL := authorizeRE.FindString(term.screen.String())
	if authURL == "" {
		e.t.Fatalf("no consent page address on the screen:\n%s", term.screen.String())
	}
	var landed string
	port := strings.TrimPrefix(strings.TrimSuffix(e.callback, "/callback"), "http://127.0.0.1:")
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Port() == port {
			landed = req.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}}
	if _, _, err := authtest.Browse(context.Background(), client, authURL); err != nil || landed == "" {
		e.t.Fatalf("consent: %v, landed %q", err, landed)
	}
	return landed
}

// twoSites are the sites of a login that reaches several.
var twoSites = []authtest.Site{
	{ID: "aaaaaaaa-0000-0000-0000-000000000001", URL: "https://alpha.atlassian.net", Name: "alpha"},
	{ID: "bbbbbbbb-0000-0000-0000-000000000002", URL: "https://beta.atlassian.net", Name: "beta"},
}

// pasteToSitePrompt starts a login without a browser on a terminal, pastes
// the address the browser lands on, and waits for the site prompt.
func (e *e2e) pasteToSitePrompt() *terminal {
	e.t.Helper()
	args := []string{"login", "--no-browser", "--timeout", "60s"}
	if !realKeychain() {
		args = append(args, "--insecure-storage")
	}
	term := e.onTerminal(args...)
	term.typeLine(e.approveElsewhere(term))
	term.waitFor("Choose a site [1-2]: ")
	return term
}

// waitAfter types keys and waits for atl to exit; atl still waiting for
// input after a minute is killed and fails the test (a hang caught, not a
// timing measured).
func (term *terminal) waitAfter(keys, hang string) int {
	term.t.Helper()
	if _, err := term.tty.Write([]byte(keys)); err != nil {
		term.t.Fatal(err)
	}
	stop := time.AfterFunc(time.Minute, func() { _ = term.cmd.Process.Kill() })
	code := term.wait()
	if !stop.Stop() {
		term.t.Fatalf("%s:\n%q", hang, term.screen.String())
	}
	return code
}

func TestE2EAfterAPastedAddressTheFirstAnswerPicksTheSite(t *testing.T) {
	e := newE2E(t, authtest.Options{Sites: twoSites})
	term := e.pasteToSitePrompt()
	// Enter as a line feed (Ctrl-J, or a terminal that sends it), which a
	// terminal left reading byte by byte echoes as "^J".
	code := term.waitAfter("2\n", "the first answer to the site prompt was not taken")
	screen := term.screen.String()
	if code != 0 {
		t.Fatalf("login: exit %d:\n%q", code, screen)
	}
	if n := strings.Count(screen, "Choose a site"); n != 1 {
		t.Errorf("the site prompt was shown %d times:\n%q", n, screen)
	}
	if strings.Contains(screen, "^J") || strings.Contains(screen, "^M") {
		t.Errorf("Enter echoed as a control character:\n%q", screen)
	}
	if !strings.Contains(screen, "Choose a site [1-2]: 2\r\n") {
		t.Errorf("the answer was not echoed as a line:\n%q", screen)
	}
	if out, _, code := e.run("token", "--json"); code != 0 || !strings.Contains(out, twoSites[1].ID) {
		t.Fatalf("token --json: exit %d, %s; want site 2 (%s)", code, out, twoSites[1].ID)
	}
}

func TestE2EAnInterruptAtTheSitePromptEndsTheLogin(t *testing.T) {
	e := newE2E(t, authtest.Options{Sites: twoSites})
	term := e.pasteToSitePrompt()
	if code := term.waitAfter("\x03", "Ctrl-C at the site prompt did not end the login"); code != cli.ExitInterrupted {
		t.Fatalf("exit %d, want %d:\n%q", code, cli.ExitInterrupted, term.screen.String())
	}
	if !strings.Contains(term.screen.String(), "login interrupted") {
		t.Errorf("screen:\n%q", term.screen.String())
	}
	e.notStored()
}

func TestE2EUnderWSLWithoutALinuxBrowserWindowsOpensIt(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("WSL is Linux")
	}
	e := newE2E(t, authtest.Options{})
	delete(e.env, "ATL_BROWSER")
	bin := t.TempDir()
	record := filepath.Join(bin, "record")
	// No xdg-open, x-www-browser or www-browser on PATH: only wslview
	// (which finds env by its full path).
	envBin, err := exec.LookPath("env")
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" > %s.args\n%s > %s.env\n(%s browse \"$1\" >/dev/null 2>&1 &)\nexit 0\n", record, envBin, record, sandboxBin)
	if err := os.WriteFile(filepath.Join(bin, "wslview"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	e.env["PATH"] = bin
	e.env["WSL_DISTRO_NAME"] = "Debian"
	e.env["ATL_TOKEN"] = "wsl-env-token-value"
	e.login()
	args, err := os.ReadFile(record + ".args")
	if err != nil {
		t.Fatalf("wslview was not run: %v", err)
	}
	if !browserLinkRE.MatchString(strings.TrimSpace(string(args))) {
		t.Fatalf("wslview's arguments %q: want the sign-in link alone, without its key", args)
	}
	env, _ := os.ReadFile(record + ".env")
	if !strings.Contains(string(env), "ATL_CLIENT_ID=e2e-client") {
		t.Fatalf("wslview's environment was not recorded: %q", env)
	}
	for _, secret := range []string{"e2e-client-secret-value", "wsl-env-token-value"} {
		if strings.Contains(string(env), secret) {
			t.Errorf("wslview's environment holds the secret %q", secret)
		}
	}
}

func TestE2EAPIOnATerminalIndentsAndColours(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.login()
	for _, noColor := range []bool{false, true} {
		if noColor {
			e.env["NO_COLOR"] = "1"
		}
		term := e.onTerminal("api", "rest/api/3/myself")
		if code := term.wait(); code != 0 {
			t.Fatalf("exit %d: %s", code, term.screen.String())
		}
		out := strings.ReplaceAll(term.screen.String(), "\r\n", "\n")
		colored := strings.Contains(out, "\x1b[34;1m\"accountId\"\x1b[0m")
		if colored == noColor || !strings.Contains(out, "\n  ") {
			t.Fatalf("NO_COLOR=%v: colour %v, output %q", noColor, colored, out)
		}
	}
}
