package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
)

// loginInBackground starts `atl login` with a browser that does nothing and
// returns it, its stderr, and the sign-in link it printed.
func (e *e2e) loginInBackground(args ...string) (*exec.Cmd, *clitest.LockedBuffer, string) {
	e.t.Helper()
	e.env["ATL_BROWSER"] = "true"
	cmd := e.command(append([]string{"login", "--insecure-storage"}, args...)...)
	stderr := &clitest.LockedBuffer{}
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

// runAtOnce starts n atl processes with args, released together, and
// returns each one's stdout, stderr and exit code once all have ended.
func (e *e2e) runAtOnce(n int, args ...string) (outs, errs []string, codes []int) {
	outs, errs, codes = make([]string, n), make([]string, n), make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			cmd := e.command(args...)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			<-start
			codes[i] = exitCodeOf(cmd.Run())
			outs[i], errs[i] = out.String(), errOut.String()
		})
	}
	close(start)
	wg.Wait()
	return outs, errs, codes
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
	if !browserLinkRE.MatchString(strings.TrimSpace(string(args))) {
		t.Fatalf("xdg-open's arguments %q: want the sign-in link alone, without its key", args)
	}
	for _, leak := range []string{"k=", "state=", "code_challenge", "/authorize"} {
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

// recordingBrowser writes an executable dir/name that records its
// environment in dir/name.env and then plays the browser; it returns the
// record's path.
func recordingBrowser(t *testing.T, dir, name string) string {
	t.Helper()
	record := filepath.Join(dir, name+".env")
	script := fmt.Sprintf("#!/bin/sh\nenv > %s\n(%s browse \"$1\" >/dev/null 2>&1 &)\nexit 0\n", record, sandboxBin)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return record
}

func TestE2ENoChildSeesATLTokenAndAtlStillUsesIt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("replaces the browser with a shell script")
	}
	e := newE2E(t, authtest.Options{})
	const envToken = "environment-access-token-value"
	e.env["ATL_TOKEN"] = envToken
	e.env["atl_token"] = "lower-case-token-value" // Windows matches names without case
	bin := t.TempDir()
	// Both ways atl starts a browser: the command ATL_BROWSER names, and
	// the system's opener (pkg/browser runs xdg-open, found first on PATH).
	viaATLBrowser := recordingBrowser(t, bin, "atl-browser")
	viaSystem := recordingBrowser(t, bin, "xdg-open")
	e.env["PATH"] = bin + string(os.PathListSeparator) + os.Getenv("PATH")
	e.env["ATL_BROWSER"] = filepath.Join(bin, "atl-browser")
	e.login()
	delete(e.env, "ATL_BROWSER")
	e.login()
	for _, record := range []string{viaATLBrowser, viaSystem} {
		env, err := os.ReadFile(record)
		if err != nil {
			t.Fatalf("the browser was not run: %v", err)
		}
		for _, leak := range []string{envToken, "lower-case-token-value"} {
			if strings.Contains(string(env), leak) {
				t.Errorf("%s: the browser's environment holds the token %q", filepath.Base(record), leak)
			}
		}
		if strings.Contains(strings.ToUpper(string(env)), "ATL_TOKEN") {
			t.Errorf("%s: the browser's environment names ATL_TOKEN", filepath.Base(record))
		}
		if !strings.Contains(string(env), "ATL_CLIENT_ID=e2e-client") {
			t.Errorf("%s: the environment was not passed on at all", filepath.Base(record))
		}
	}
	// atl read the token before taking it out of its environment.
	if out, errOut, code := e.run("token"); code != 0 || out != envToken+"\n" {
		t.Fatalf("token: exit %d, stdout %q, stderr %q; want ATL_TOKEN's", code, out, errOut)
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
