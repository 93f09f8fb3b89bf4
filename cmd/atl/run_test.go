package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/internal/loopback"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// itemID is the part of a keychain account that names a config directory
// (a temp dir in tests).
var itemID = regexp.MustCompile(`(profile:[A-Za-z0-9._-]+)@[0-9a-f]{12}\b`)

// golden compares got with testdata/name, or rewrites it with -update.
// The config directory's id in keychain accounts is written as @ID.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = itemID.ReplaceAllString(got, "$1@ID")
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

var fixedNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// runEnv is a factory with fake streams, a memory keychain and a fixed
// clock, over a test server; commands run in-process through runX.
type runEnv struct {
	t      *testing.T
	srv    *authtest.Server
	clock  *authtest.Clock
	f      *factory
	g      *globalOptions
	out    *bytes.Buffer
	errOut *bytes.Buffer
	keys   *storetest.Memory
	dir    string
	env    map[string]string
}

func newRunEnv(t *testing.T) *runEnv {
	t.Helper()
	e := &runEnv{t: t, clock: authtest.NewClock(fixedNow), keys: storetest.NewMemory(), dir: t.TempDir(), out: &bytes.Buffer{}, errOut: &bytes.Buffer{}}
	e.srv = authtest.NewServer(authtest.Options{ClientID: "cid", ClientSecret: "csecret", Now: e.clock.Now})
	t.Cleanup(e.srv.Close)
	if err := os.Chmod(e.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	e.env = map[string]string{"ATL_CONFIG_DIR": e.dir}
	e.f = &factory{
		IO:         &ioStreams{In: strings.NewReader(""), Out: e.out, ErrOut: e.errOut},
		Getenv:     func(k string) string { return e.env[k] },
		Environ:    func() []string { return nil },
		Now:        e.clock.Now,
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		Keychain:   e.keys,
		TokenCache: storetest.NewMemoryCache(), // no kernel keyring in tests
		OpenURL:    func(string) error { return errors.New("no browser in tests") },
		Location:   time.UTC,
	}
	e.g = &globalOptions{Profile: "default"}
	return e
}

// store saves a login for profile whose access token is access (a fresh
// one from the server when empty), valid for another hour.
func (e *runEnv) store(profile, access string) {
	e.t.Helper()
	issued, refresh := e.srv.IssueTokens("offline_access", "read:jira-user", "read:jira-work")
	if access == "" {
		access = issued
	}
	l, err := store.New(e.dir, e.keys).WithTokenCache(store.NoTokenCache{}).Login(profile)
	if err != nil {
		e.t.Fatal(err)
	}
	m := &store.Metadata{
		ClientID: "cid", AuthURL: e.srv.URL(), APIURL: e.srv.URL(),
		AccountID: authtest.DefaultAccountID, Name: authtest.DefaultUserName, Email: authtest.DefaultUserEmail,
		Site:   store.Site{ID: authtest.DefaultSiteID, URL: authtest.DefaultSiteURL, Name: authtest.DefaultSiteName},
		Scopes: []string{"offline_access", "read:jira-user", "read:jira-work"}, Storage: store.StorageKeychain,
		ExpiresAt: fixedNow.Add(time.Hour), LoginAt: fixedNow.Add(-time.Hour),
	}
	g := store.Grant{RefreshToken: refresh, AccessToken: access, TokenType: "Bearer", Expiry: fixedNow.Add(time.Hour), ClientSecret: "csecret", AuthURL: e.srv.URL(), APIURL: e.srv.URL()}
	if err := l.Save(m, g); err != nil {
		e.t.Fatal(err)
	}
}

// report runs report on err as main would, and returns the exit code.
func (e *runEnv) report(err error, command string) int {
	return report(err, e.errOut, invocation{command: command, profile: e.g.Profile})
}

func TestRunToken(t *testing.T) {
	for _, tc := range []struct {
		name     string
		stored   bool
		json     bool
		profile  string
		advance  time.Duration
		code     int
		stdout   string // exact, or a golden file's name
		stderr   string
		requests int
	}{
		{name: "cached", stored: true, stdout: "stored-access-token\n"},
		{name: "json", stored: true, json: true, stdout: "golden:token.json"},
		{name: "not logged in", code: 4, stderr: "atl: not logged in; run `atl login`\n"},
		{name: "not logged in, another profile", profile: "work", code: 4,
			stderr: "atl: not logged in (profile \"work\"); run `atl login --profile work`\n"},
		{name: "refreshed", stored: true, advance: time.Hour, stdout: "<refreshed>", requests: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newRunEnv(t)
			if tc.stored {
				e.store("default", "stored-access-token")
			}
			if tc.profile != "" {
				e.g.Profile = tc.profile
			}
			e.clock.Advance(tc.advance)
			code := e.report(runToken(context.Background(), &tokenOptions{f: e.f, g: e.g, JSON: tc.json}), "token")
			if code != tc.code || e.errOut.String() != tc.stderr {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, e.errOut, tc.code, tc.stderr)
			}
			switch {
			case strings.HasPrefix(tc.stdout, "golden:"):
				golden(t, strings.TrimPrefix(tc.stdout, "golden:"), e.out.String())
			case tc.stdout == "<refreshed>":
				l, _ := store.New(e.dir, e.keys).WithTokenCache(store.NoTokenCache{}).Login("default")
				_, g, _ := l.Load()
				if e.out.String() != g.AccessToken+"\n" || g.AccessToken == "stored-access-token" {
					t.Fatalf("stdout %q, want the refreshed token", e.out)
				}
			default:
				if e.out.String() != tc.stdout {
					t.Fatalf("stdout %q, want %q", e.out, tc.stdout)
				}
			}
			if n := e.srv.Count("token"); n != tc.requests {
				t.Fatalf("token requests = %d, want %d", n, tc.requests)
			}
		})
	}
}

func TestRunWhoami(t *testing.T) {
	for _, tc := range []struct {
		json   bool
		golden string
	}{{false, "whoami.txt"}, {true, "whoami.json"}} {
		e := newRunEnv(t)
		e.store("default", "")
		if code := e.report(runWhoami(context.Background(), &whoamiOptions{f: e.f, g: e.g, JSON: tc.json}), "whoami"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		if e.errOut.Len() != 0 {
			t.Fatalf("stderr %q", e.errOut)
		}
		golden(t, tc.golden, strings.ReplaceAll(e.out.String(), e.srv.URL(), "http://SERVER"))
	}
}

func TestRunWhoamiDeadLogin(t *testing.T) {
	e := newRunEnv(t)
	e.store("default", "")
	e.srv.RevokeGrants()
	e.clock.Advance(2 * time.Hour)
	code := e.report(runWhoami(context.Background(), &whoamiOptions{f: e.f, g: e.g}), "whoami")
	want := "atl: Atlassian rejected the stored grant (HTTP 403 invalid_grant); run `atl login`\n"
	if code != 4 || e.errOut.String() != want || e.out.Len() != 0 {
		t.Fatalf("exit %d, stderr %q, stdout %q; want 4, %q", code, e.errOut, e.out, want)
	}
}

func TestRunLogout(t *testing.T) {
	for _, tc := range []struct {
		stored  bool
		profile string
		stderr  string
	}{
		{true, "default", "Logged out: removed the stored tokens and metadata of profile \"default\".\nTo revoke atl's access to your account, remove the app at https://id.atlassian.com/manage-profile/apps\n"},
		{false, "default", "Not logged in (profile \"default\"); nothing to remove.\n"},
		{true, "work", "Logged out: removed the stored tokens and metadata of profile \"work\".\nTo revoke atl's access to your account, remove the app at https://id.atlassian.com/manage-profile/apps\n"},
	} {
		e := newRunEnv(t)
		e.g.Profile = tc.profile
		if tc.stored {
			e.store(tc.profile, "")
		}
		if code := e.report(runLogout(context.Background(), &logoutOptions{f: e.f, g: e.g}), "logout"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		if e.errOut.String() != tc.stderr || e.out.Len() != 0 || e.keys.Len() != 0 {
			t.Fatalf("stderr %q, stdout %q, %d items left; want %q", e.errOut, e.out, e.keys.Len(), tc.stderr)
		}
	}
}

var startURLRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/start\?k=\S+`)

func TestRunLogin(t *testing.T) {
	port := authtest.FreePort(t)
	callback := "http://127.0.0.1:" + strconv.Itoa(port) + "/callback"
	for _, tc := range []struct {
		name     string
		opts     func(o *loginOptions)
		env      map[string]string
		code     int
		stderr   string
		browse   bool
		insecure bool
	}{
		{
			name: "keychain", browse: true,
			stderr: "Opening your browser to sign in. If it does not open, visit:\n\n  <URL>\n\nWaiting for the sign-in (up to 1m0s)…\n" +
				"Logged in to https://example.atlassian.net as Ada Lovelace <ada@example.com>. Tokens are in the system keychain (service \"atl\", account \"profile:default@ID\").\n",
		},
		{
			name: "insecure storage", browse: true, insecure: true,
			opts: func(o *loginOptions) { o.InsecureStorage = true },
			stderr: "Opening your browser to sign in. If it does not open, visit:\n\n  <URL>\n\nWaiting for the sign-in (up to 1m0s)…\n" +
				"Logged in to https://example.atlassian.net as Ada Lovelace <ada@example.com>. Tokens are in the file <DIR>/profiles/default.tokens.json (insecure storage).\n" +
				"warning: with --insecure-storage the tokens are in a plain file: anyone who can read it can act as you\n",
		},
		{
			name: "no client id", env: map[string]string{"ATL_CLIENT_ID": ""}, code: 2,
			stderr: "atl: no client id is set; set ATL_CLIENT_ID (or pass --client-id) to your app's client id from the Atlassian developer console\n",
		},
		{
			name: "bad timeout", opts: func(o *loginOptions) { o.Timeout = 0 }, code: 2,
			stderr: "atl: --timeout must be positive\n",
		},
		{
			name: "no browser, timeout", opts: func(o *loginOptions) { o.Timeout = 100 * time.Millisecond }, code: 1,
			stderr: "Opening your browser to sign in. If it does not open, visit:\n\n  <URL>\n\nWaiting for the sign-in (up to 100ms)…\n" +
				"Could not open a browser (no browser in tests): open the address above by hand.\n" +
				"atl: no sign-in within 100ms; run `atl login` again (with a longer --timeout if you need more time)\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newRunEnv(t)
			e.f.Now = time.Now // the server's codes expire on the real clock
			srv := authtest.NewServer(authtest.Options{ClientID: "cid", ClientSecret: "csecret", RedirectURI: callback})
			t.Cleanup(srv.Close)
			for k, v := range map[string]string{"ATL_CLIENT_ID": "cid", "ATL_CLIENT_SECRET": "csecret", "ATL_CALLBACK_URL": callback, "ATL_AUTH_URL": srv.URL(), "ATL_API_URL": srv.URL()} {
				e.env[k] = v
			}
			for k, v := range tc.env {
				e.env[k] = v
			}
			if tc.browse {
				e.f.OpenURL = func(u string) error {
					go func() { _, _, _ = authtest.Browse(context.Background(), nil, u) }()
					return nil
				}
			}
			opts := &loginOptions{f: e.f, g: e.g, Timeout: time.Minute}
			if tc.opts != nil {
				tc.opts(opts)
			}
			code := e.report(runLogin(context.Background(), opts), "login")
			got := startURLRE.ReplaceAllString(e.errOut.String(), "<URL>")
			got = itemID.ReplaceAllString(got, "$1@ID")
			got = strings.ReplaceAll(got, e.dir, "<DIR>")
			if code != tc.code || got != tc.stderr {
				t.Fatalf("exit %d, stderr:\n%s\nwant %d:\n%s", code, got, tc.code, tc.stderr)
			}
			if e.out.Len() != 0 {
				t.Fatalf("stdout %q", e.out)
			}
			l, _ := store.New(e.dir, e.keys).WithTokenCache(store.NoTokenCache{}).Login("default")
			m, err := l.Metadata()
			if (tc.code == 0) != (err == nil) || (err == nil && (m.Storage == store.StorageFile) != tc.insecure) {
				t.Fatalf("stored metadata %+v, %v", m, err)
			}
		})
	}
}

func TestReport(t *testing.T) {
	kerr := &store.KeychainError{Op: "read", Cause: "the keyring is locked"}
	for _, tc := range []struct {
		err     error
		command string
		profile string
		code    int
		line    string
	}{
		{errors.New("boom"), "token", "default", 1, "atl: boom"},
		{errors.New("multi\nline\x1b[31m error"), "token", "default", 1, "atl: multi line error"},
		{usageErrorf("bad"), "token", "default", 2, "atl: bad"},
		{&auth.LoginRequiredError{Profile: "default", Reason: "not logged in"}, "token", "default", 4, "atl: not logged in; run `atl login`"},
		{&auth.LoginRequiredError{Profile: "work", Reason: "not logged in"}, "whoami", "work", 4, "atl: not logged in (profile \"work\"); run `atl login --profile work`"},
		{fmt.Errorf("wrapped: %w", &auth.LoginRequiredError{Profile: "x", Reason: "not logged in"}), "token", "x", 4, "atl: wrapped: not logged in (profile \"x\"); run `atl login --profile x`"},
		{context.Canceled, "token", "default", 130, "atl: context canceled"},
		{&auth.ConfigError{Setting: "auth URL", Value: "https://evil.test", Stored: "https://auth.atlassian.com"}, "token", "work", 2,
			"atl: ATL_AUTH_URL is https://evil.test, but this login was made with auth server https://auth.atlassian.com; unset ATL_AUTH_URL, or run `atl login --profile work` to sign in with it"},
		{&auth.ConfigError{Setting: "profile", Value: "../x", Err: errors.New(`invalid profile name "../x"`)}, "token", "../x", 2, `atl: invalid profile name "../x"`},
		{&auth.ConfigError{Setting: "callback URL", Value: "x", Err: errors.New(`callback URL "x" is not a URL`)}, "login", "default", 2,
			`atl: callback URL "x" is not a URL; use the callback URL registered for the app, with --callback-url or ATL_CALLBACK_URL`},
		{&auth.ConfigError{Setting: "API URL", Value: "ftp://x", Err: errors.New("bad")}, "token", "default", 2, "atl: bad; fix ATL_API_URL"},
		{&auth.TokenError{Status: 401, Code: "invalid_client", Reason: "Atlassian does not accept the client id or secret"}, "login", "default", 1,
			"atl: token request failed: Atlassian does not accept the client id or secret (HTTP 401 invalid_client); check ATL_CLIENT_ID and ATL_CLIENT_SECRET against the app in the developer console"},
		{&auth.TokenError{Status: 401, Code: "invalid_client", Reason: "r"}, "token", "work", 1,
			"atl: token request failed: r (HTTP 401 invalid_client); if the app's secret changed, set ATL_CLIENT_SECRET to the new one or run `atl login --profile work`"},
		{&auth.TokenError{Status: 403, Code: "invalid_grant", Reason: "Atlassian did not accept the authorization code"}, "login", "default", 1,
			"atl: token request failed: Atlassian did not accept the authorization code (HTTP 403 invalid_grant); run `atl login` again"},
		{&auth.TokenError{Status: 200, Reason: "no refresh token was granted", MissingScope: "offline_access"}, "login", "default", 1,
			"atl: token request failed: no refresh token was granted (HTTP 200); add offline_access to --scopes and to the app's permissions in the developer console"},
		{&auth.ConfigError{Setting: "site", Value: "nowhere", Err: errors.New(`no site matches "nowhere"; this login reaches: a https://a.atlassian.net`)}, "token", "default", 2,
			"atl: no site matches \"nowhere\"; this login reaches: a https://a.atlassian.net; pick one with --site NAME|URL|ID (`atl sites` lists them)"},
		{&auth.ConfigError{Setting: "token", Err: errors.New("the token given is not an OAuth access token")}, "token", "default", 2,
			"atl: ATL_TOKEN: the token given is not an OAuth access token; unset ATL_TOKEN to use the stored login"},
		{&auth.TokenError{Consent: true, Code: "invalid_scope", Reason: "bad scope"}, "login", "default", 1, "atl: authorization failed: invalid_scope: bad scope"},
		{fmt.Errorf("%w within 5m0s", auth.ErrSignInTimeout), "login", "default", 1, "atl: no sign-in within 5m0s; run `atl login` again (with a longer --timeout if you need more time)"},
		{&auth.TokenError{Status: 503, Reason: "down"}, "token", "default", 1, "atl: token request failed: down (HTTP 503); Atlassian is busy or out of reach: try again in a minute"},
		{kerr, "login", "default", 1, "atl: keychain read failed: the keyring is locked; make sure " + keychainHint + ", or run `atl login --insecure-storage` to keep the tokens in a private file instead"},
		{kerr, "login", "work", 1, "atl: keychain read failed: the keyring is locked; make sure " + keychainHint + ", or run `atl login --profile work --insecure-storage` to keep the tokens in a private file instead"},
		{kerr, "token", "default", 1, "atl: keychain read failed: the keyring is locked; make sure " + keychainHint + " and try again"},
		{&store.KeychainError{Op: "read", Cause: "no answer", Timeout: true}, "token", "default", 1, "atl: keychain read failed: no answer; unlock the keychain (a password prompt may be waiting) and try again"},
		{&store.LockTimeoutError{Path: "/c/profiles/default.lock", Wait: 2 * time.Minute}, "token", "default", 1,
			"atl: another atl process has held /c/profiles/default.lock for over 2m0s; it may be waiting for a keychain prompt or the network: let it finish or stop it, then try again (never delete the lock file)"},
		{fmt.Errorf("cannot listen on 127.0.0.1:27813: %w", loopback.ErrPortInUse), "login", "default", 1,
			"atl: cannot listen on 127.0.0.1:27813: the port is in use by another program; stop that program, or register another callback URL for the app and pass it with --callback-url (or ATL_CALLBACK_URL)"},
		{auth.ErrAccessDenied, "login", "work", 1, "atl: you declined access on the consent screen; run `atl login --profile work` again to sign in"},
		{auth.ErrNoSite, "login", "default", 1, "atl: this login reaches no site; give your app access to a site you can use in the developer console, then run `atl login` again"},
		{store.ErrNoConfigDir, "token", "default", 1, "atl: " + store.ErrNoConfigDir.Error() + "; set ATL_CONFIG_DIR to a directory of your own"},
		{store.ErrBadSettings, "login", "default", 1, "atl: config file is not valid JSON; fix the file or remove it"},
	} {
		var errOut bytes.Buffer
		code := report(tc.err, &errOut, invocation{command: tc.command, profile: tc.profile})
		if code != tc.code || errOut.String() != tc.line+"\n" {
			t.Errorf("report(%v) in %s:\n got %d %q\nwant %d %q", tc.err, tc.command, code, errOut.String(), tc.code, tc.line+"\n")
		}
	}
	var errOut bytes.Buffer
	if code := report(nil, &errOut, invocation{}); code != 0 || errOut.Len() != 0 {
		t.Errorf("report(nil) = %d, %q", code, errOut.String())
	}
	if code := report(&silentError{code: 3}, &errOut, invocation{}); code != 3 || errOut.Len() != 0 {
		t.Errorf("report(silent) = %d, %q", code, errOut.String())
	}
}
