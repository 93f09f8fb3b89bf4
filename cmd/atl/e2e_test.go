package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
	"sync"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
)

// These tests run the real atl binary against authtest. With
// ATL_TEST_KEYRING=1 (as scripts/test sets inside a private D-Bus session
// with gnome-keyring) tokens go to the real keychain; without it they use
// the insecure file storage, so the flow is still covered on a laptop.

var (
	atlBin     string
	sandboxBin string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "atl-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	atlBin = filepath.Join(dir, "atl"+exe)
	sandboxBin = filepath.Join(dir, "atl-sandbox"+exe)
	for bin, pkg := range map[string]string{atlBin: ".", sandboxBin: "../atl-sandbox"} {
		out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			return 1
		}
	}
	return m.Run()
}

func realKeychain() bool { return os.Getenv("ATL_TEST_KEYRING") == "1" }

type e2e struct {
	t        *testing.T
	srv      *authtest.Server
	dir      string
	profile  string
	callback string
	env      map[string]string
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func newE2E(t *testing.T, opts authtest.Options) *e2e {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	e := &e2e{t: t, dir: t.TempDir(), profile: "e2e-" + hex.EncodeToString(b)}
	e.callback = fmt.Sprintf("http://127.0.0.1:%d/callback", freePort(t))
	opts.ClientID = "e2e-client"
	opts.ClientSecret = "e2e-client-secret-value"
	if opts.RedirectURI == "" {
		opts.RedirectURI = e.callback
	}
	e.callback = opts.RedirectURI
	e.srv = authtest.NewServer(opts)
	t.Cleanup(e.srv.Close)
	e.env = map[string]string{
		"ATL_CONFIG_DIR":    e.dir,
		"ATL_PROFILE":       e.profile,
		"ATL_CLIENT_ID":     opts.ClientID,
		"ATL_CLIENT_SECRET": opts.ClientSecret,
		"ATL_CALLBACK_URL":  e.callback,
		"ATL_AUTH_URL":      e.srv.URL(),
		"ATL_API_URL":       e.srv.URL(),
		"ATL_BROWSER":       sandboxBin + " browse",
	}
	t.Cleanup(func() {
		// Leave nothing in the real keychain. (t.Context is done by now.)
		cmd := exec.Command(atlBin, "logout")
		cmd.Env = e.environ()
		_ = cmd.Run()
	})
	return e
}

func (e *e2e) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ATL_") || strings.HasPrefix(kv, "BROWSER=") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range e.env {
		env = append(env, k+"="+v)
	}
	return env
}

// command returns atl with args, killed when the test ends so that a hung
// process can never outlive (or hang) the suite.
func (e *e2e) command(args ...string) *exec.Cmd {
	cmd := exec.CommandContext(e.t.Context(), atlBin, args...)
	cmd.Env = e.environ()
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// run runs atl and returns its stdout, stderr and exit code.
func (e *e2e) run(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	cmd := e.command(args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		e.t.Fatalf("running atl %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

func (e *e2e) login(args ...string) {
	e.t.Helper()
	args = append([]string{"login", "--timeout", "60s"}, args...)
	if !realKeychain() {
		args = append(args, "--insecure-storage")
	}
	out, errOut, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("atl login: exit %d\n%s", code, errOut)
	}
	if out != "" {
		e.t.Fatalf("atl login wrote to stdout: %q", out)
	}
}

// stored is the test's login as the atl binary stores it: through the
// same store package, in the real keychain (or the insecure file).
func (e *e2e) stored() *store.Login {
	e.t.Helper()
	l, err := store.New(e.dir, store.Keyring{}).Login(e.profile)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// notStored fails the test if a login was stored.
func (e *e2e) notStored() {
	e.t.Helper()
	if _, err := e.stored().Metadata(); !errors.Is(err, store.ErrNoLogin) {
		e.t.Fatalf("something was stored: %v", err)
	}
}

func (e *e2e) grant() store.Grant {
	e.t.Helper()
	_, g, err := e.stored().Load()
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

// expire makes the stored access token look expired, as an hour passing
// would.
func (e *e2e) expire() {
	e.t.Helper()
	m, g, err := e.stored().Load()
	if err != nil {
		e.t.Fatal(err)
	}
	g.Expiry = time.Now().Add(-time.Minute)
	if err := e.stored().SaveRefreshed(m, g); err != nil {
		e.t.Fatal(err)
	}
}

// breakSecrets replaces the stored secrets with raw, as a damaged keychain
// item or token file would hold.
func (e *e2e) breakSecrets(raw string) {
	e.t.Helper()
	m, err := e.stored().Metadata()
	if err != nil {
		e.t.Fatal(err)
	}
	loc := e.stored().Location(m.Storage)
	if loc.Storage == store.StorageFile {
		err = os.WriteFile(loc.Path, []byte(raw), 0o600)
	} else {
		err = store.Keyring{}.Set(loc.Service, loc.Account, raw)
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

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

var urlRE = regexp.MustCompile(`https?://\S+/authorize\?\S+`)

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

func TestE2ENoClientIDIsAUsageError(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	delete(e.env, "ATL_CLIENT_ID")
	_, errOut, code := e.run("login")
	if code != 2 || !strings.Contains(errOut, "ATL_CLIENT_ID") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestE2EConcurrentTokenProcessesRefreshOnce(t *testing.T) {
	for _, n := range []int{20, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := newE2E(t, authtest.Options{})
			e.login()
			e.expire()
			e.srv.ResetCounts()
			outs := make([]string, n)
			errs := make([]string, n)
			codes := make([]int, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					cmd := e.command("token")
					var out, errOut bytes.Buffer
					cmd.Stdout, cmd.Stderr = &out, &errOut
					<-start
					err := cmd.Run()
					var ee *exec.ExitError
					if errors.As(err, &ee) {
						codes[i] = ee.ExitCode()
					} else if err != nil {
						codes[i] = -1
					}
					outs[i], errs[i] = out.String(), errOut.String()
				})
			}
			t0 := time.Now()
			close(start)
			wg.Wait()
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

func TestE2ELoginWithoutAnyIdentityScopeFails(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	_, errOut, code := e.run("login", "--insecure-storage", "--scopes", "offline_access read:jira-work")
	if code != 1 || !strings.Contains(errOut, "read:jira-user") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	e.notStored()
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
