package doctor

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// doctorCase is a run of doctor, in text and in JSON, whose output is
// testdata/NAME.golden (see goldenName).
type doctorCase struct {
	name string
	// setup prepares the environment (run once for the text and once for
	// the JSON); it returns more variable parts of the output and their
	// names in the golden file, in pairs.
	setup  func(t *testing.T, e *clitest.Env) []string
	code   int
	stderr string
}

func TestRunDoctor(t *testing.T) {
	for _, tc := range []doctorCase{
		{name: "every check passes", setup: stored},
		{name: "no login and no client id", setup: envServers, code: 1, stderr: "atl: 2 of 9 checks failed\n"},
		{name: "client id and callback URL from config.json", setup: func(t *testing.T, e *clitest.Env) []string {
			envServers(t, e)
			delete(e.Vars, "ATL_CALLBACK_URL")
			callback := fmt.Sprintf("http://localhost:%d/cb", authtest.FreePort(t))
			writeFile(t, filepath.Join(e.Dir, "config.json"), `{"client_id": "cfg-app", "callback_url": "`+callback+`"}`)
			return []string{callback, "http://localhost:$CONFIG_PORT/cb"}
		}, code: 1, stderr: "atl: 1 of 9 checks failed\n"},
		{name: "client id from ATL_CLIENT_ID", setup: func(t *testing.T, e *clitest.Env) []string {
			envServers(t, e)
			e.Vars["ATL_CLIENT_ID"] = "env-app"
			return nil
		}, code: 1, stderr: "atl: 1 of 9 checks failed\n"},
		{name: "callback port in use", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			e.Vars["ATL_CALLBACK_URL"] = "http://" + l.Addr().String() + "/callback"
			return []string{l.Addr().String(), "127.0.0.1:$IN_USE"}
		}, code: 1, stderr: "atl: 1 of 9 checks failed\n"},
		{name: "callback URL not on loopback", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.Vars["ATL_CALLBACK_URL"] = "https://not.loopback/cb"
			return nil
		}, code: 1, stderr: "atl: 1 of 9 checks failed\n"},
		{name: "config directory writable by others", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			if err := os.Chmod(e.Dir, 0o777); err != nil {
				t.Fatal(err)
			}
			return nil
		}, code: 1, stderr: "atl: 3 of 5 checks failed\n"},
		{name: "keychain fails", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.Keys.Fail(errors.New("the collection is locked"))
			return nil
		}, code: 1, stderr: "atl: 2 of 9 checks failed\n"},
		{name: "no keychain, tokens in a file", setup: func(t *testing.T, e *clitest.Env) []string {
			saveLogin(t, e, "default", func(m *store.Metadata) { m.Storage = store.StorageFile })
			e.Keys.Fail(errors.New("no keychain on the session bus"))
			return nil
		}},
		{name: "token cache cannot be written", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			failCache(e, errors.New("no room"))
			return nil
		}},
		{name: "no token cache", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.F.TokenCache = store.NoTokenCache{}
			return nil
		}},
		{name: "servers unreachable", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.Vars["ATL_AUTH_URL"], e.Vars["ATL_API_URL"] = closedPort, closedPort
			return nil
		}, code: 1, stderr: "atl: 3 of 8 checks failed\n"},
		{name: "servers not found in DNS", setup: func(t *testing.T, e *clitest.Env) []string {
			e.Vars["ATL_AUTH_URL"], e.Vars["ATL_API_URL"] = "https://auth.example.test", "https://api.example.test"
			e.F.HTTPClient = failingDial(func(host string) error { return &net.DNSError{Err: "no such host", Name: host, IsNotFound: true} })
			return nil
		}, code: 1, stderr: "atl: 4 of 8 checks failed\n"},
		{name: "servers not answering", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.F.HTTPClient = failingDial(func(string) error { return &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded} })
			return nil
		}, code: 1, stderr: "atl: 2 of 8 checks failed\n"},
		{name: "API server's certificate not trusted", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			ts := httptest.NewUnstartedServer(http.NotFoundHandler())
			ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake doctor gives up
			ts.StartTLS()
			t.Cleanup(ts.Close)
			e.Vars["ATL_API_URL"] = ts.URL
			return []string{ts.URL, "https://TLS-SERVER"}
		}, code: 1, stderr: "atl: 1 of 9 checks failed\n"},
		{name: "clock 5 minutes off", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.F.HTTPClient = dated(func() time.Time { return e.Clock.Now().Add(-5*time.Minute - 3*time.Second) })
			return nil
		}, code: 1, stderr: "atl: 1 of 9 checks failed\n"},
		{name: "clock 2 minutes off", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.F.HTTPClient = dated(func() time.Time { return e.Clock.Now().Add(2 * time.Minute) })
			return nil
		}},
		{name: "clock 2 minutes and a second off", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.F.HTTPClient = dated(func() time.Time { return e.Clock.Now().Add(2*time.Minute + time.Second) })
			return nil
		}, code: 1, stderr: "atl: 1 of 9 checks failed\n"},
		{name: "no date from the auth server", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.F.HTTPClient = dated(func() time.Time { return time.Time{} })
			return nil
		}},
		{name: "login dead, on a terminal", setup: func(t *testing.T, e *clitest.Env) []string {
			saveLogin(t, e, "default", func(m *store.Metadata) {
				m.Dead = &store.DeadGrant{At: clitest.Start(), Reason: "Atlassian rejected the stored grant (HTTP 403 invalid_grant\x1b[2J\u202e)\nsecond line"}
			})
			e.F.IO.OutTerminal, e.F.IO.ErrTerminal = true, true
			return nil
		}, code: 1, stderr: "atl: 1 of 9 checks failed\n"},
		{name: "login refused at refresh", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.Srv.RevokeGrants()
			e.Clock.Advance(2 * time.Hour)
			return nil
		}, code: 1, stderr: "atl: 1 of 9 checks failed\n"},
		{name: "client secret refused at refresh", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.Clock.Advance(2 * time.Hour)
			e.Srv.InjectTokenFaults(authtest.Fault{Status: 401, Body: `{"error":"invalid_client","error_description":"Unauthorized"}`})
			return nil
		}, code: 1, stderr: "atl: 1 of 9 checks failed\n"},
		{name: "a login ending in 10 days", setup: func(t *testing.T, e *clitest.Env) []string {
			e.Store("default", "")
			stamp(t, e, -355*day, -time.Hour)
			return nil
		}},
		{name: "a login ending in 15 days", setup: func(t *testing.T, e *clitest.Env) []string {
			e.Store("default", "")
			stamp(t, e, -350*day, -time.Hour)
			return nil
		}},
		{name: "a login whose end is not known", setup: func(t *testing.T, e *clitest.Env) []string {
			e.Store("default", "") // stored before atl recorded the consent
			return nil
		}},
		{name: "a login ended 365 days after its consent", setup: func(t *testing.T, e *clitest.Env) []string {
			e.Store("default", "")
			stamp(t, e, -366*day, -time.Hour)
			e.Srv.RevokeGrants()
			e.Clock.Advance(2 * time.Hour)
			return nil
		}, code: 1, stderr: "atl: 1 of 9 checks failed\n"},
		{name: "a service account", setup: serviceAccount("csecret")},
		{name: "a service account whose secret is refused", setup: serviceAccount("rotated"), code: 1, stderr: "atl: 1 of 9 checks failed\n"},
		{name: "client credentials in the environment, no keychain", setup: func(t *testing.T, e *clitest.Env) []string {
			envServers(t, e)
			for k, v := range map[string]string{"ATL_GRANT": "client_credentials", "ATL_CLIENT_ID": "cid", "ATL_CLIENT_SECRET": "csecret", "ATL_SITE": authtest.DefaultSiteID} {
				e.Vars[k] = v
			}
			e.Keys.Fail(errors.New("no keychain on the session bus"))
			return nil
		}},
		{name: "times in the local zone", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.F.Location = time.FixedZone("CET", 3600)
			return nil
		}},
		{name: "servers answer with a redirect", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			ts := httptest.NewServer(http.RedirectHandler(closedPort+"/elsewhere", http.StatusFound))
			t.Cleanup(ts.Close)
			e.Vars["ATL_API_URL"] = ts.URL
			return []string{ts.URL, "http://REDIRECTING-SERVER"}
		}},
		{name: "login of another profile missing", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			envServers(t, e)
			e.F.Profile = "work"
			return nil
		}, code: 1, stderr: "atl: 2 of 9 checks failed\n"},
		{name: "login of another profile", setup: func(t *testing.T, e *clitest.Env) []string {
			saveLogin(t, e, "work", nil)
			e.F.Profile = "work"
			return nil
		}},
		{name: "ATL_TOKEN", setup: func(t *testing.T, e *clitest.Env) []string {
			envServers(t, e)
			e.Vars["ATL_CLIENT_ID"] = "cid"
			e.Vars["ATL_TOKEN"], _ = e.Srv.IssueTokens("read:jira-user")
			return nil
		}},
		{name: "ATL_TOKEN, its site hostile, on a terminal", setup: func(t *testing.T, e *clitest.Env) []string {
			srv := authtest.NewServer(authtest.Options{ClientID: "cid", Now: e.Clock.Now, Sites: []authtest.Site{{
				ID: authtest.DefaultSiteID, URL: "https://ex\x1b[31mample\u009b2J.atlassian\u202e.net\x1b]0;pwned\x07", Name: "ex\x1b[2Jample"}}})
			t.Cleanup(srv.Close)
			e.Vars["ATL_AUTH_URL"], e.Vars["ATL_API_URL"], e.Vars["ATL_CLIENT_ID"] = srv.URL(), srv.URL(), "cid"
			e.Vars["ATL_TOKEN"], _ = srv.IssueTokens("read:jira-user")
			e.F.IO.OutTerminal, e.F.IO.ErrTerminal = true, true
			return []string{srv.URL(), "http://HOSTILE-SERVER"}
		}},
		{name: "ATL_AUTH_URL not a server", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.Vars["ATL_AUTH_URL"] = "ftp://auth.example.test"
			return nil
		}, code: 1, stderr: "atl: 2 of 5 checks failed\n"},
		{name: "config.json not JSON", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			writeFile(t, filepath.Join(e.Dir, "config.json"), "{")
			return nil
		}, code: 1, stderr: "atl: 1 of 5 checks failed\n"},
		{name: "hostile server text on a terminal", setup: func(t *testing.T, e *clitest.Env) []string {
			saveLogin(t, e, "default", func(m *store.Metadata) {
				m.Site.URL = "https://ex\x1b[31mample\u009b2J.atlassian\u202e.net\x1b]0;pwned\x07"
			})
			e.F.IO.OutTerminal, e.F.IO.ErrTerminal = true, true
			return nil
		}},
		{name: "hostile token endpoint on a terminal", setup: func(t *testing.T, e *clitest.Env) []string {
			stored(t, e)
			e.Clock.Advance(2 * time.Hour)
			e.Srv.InjectTokenFaults(authtest.Fault{Status: 400, Body: `{"error":"invalid_request\u001b]0;pwned\u0007\u009b2J\u202e","error_description":"\u001b[31mbad"}`})
			e.F.IO.OutTerminal, e.F.IO.ErrTerminal = true, true
			return nil
		}, code: 1, stderr: "atl: 1 of 9 checks failed\n"},
	} {
		t.Run(tc.name, func(t *testing.T) { runDoctorCase(t, tc) })
	}
}

// runDoctorCase runs doctor as tc says, in text and in JSON, each in an
// environment of its own, and compares its output with the golden file.
func runDoctorCase(t *testing.T, tc doctorCase) {
	var got strings.Builder
	for _, asJSON := range []bool{false, true} {
		e := clitest.New(t)
		callback := fmt.Sprintf("http://127.0.0.1:%d/callback", authtest.FreePort(t))
		e.Vars["ATL_CALLBACK_URL"] = callback
		e.F.HTTPClient = dated(e.Clock.Now)
		var more []string
		if tc.setup != nil {
			more = tc.setup(t, e)
		}
		opts := testOptions(e)
		opts.JSON = asJSON
		code := e.Report(run(context.Background(), opts), "doctor")
		if code != tc.code || e.ErrOut.String() != tc.stderr {
			t.Fatalf("json %v: exit %d, stderr %q; want %d, %q\n%s", asJSON, code, e.ErrOut, tc.code, tc.stderr, e.Out)
		}
		cmd := "$ atl doctor\n"
		if asJSON {
			cmd = "$ atl doctor --json\n"
		}
		got.WriteString(cmd + normalize(e, e.Out.String(), append(more, callback, "http://127.0.0.1:$PORT/callback")...))
	}
	clitest.Golden(t, *update, goldenName(tc.name), got.String())
}

// goldenName is the golden file of a case: its name in lower case, with
// a dash for each run of other characters than letters, digits and dots.
func goldenName(name string) string {
	return strings.Trim(regexp.MustCompile(`[^a-z0-9.]+`).ReplaceAllString(strings.ToLower(name), "-"), "-") + ".golden"
}

// testOptions are doctor's options on e's factory, as NewCmd makes them.
func testOptions(e *clitest.Env) *Options {
	return &Options{
		IO:          e.F.IO,
		Session:     e.F.Session,
		AuthOptions: func() auth.Options { return e.F.Options(e.F.Profile) },
		Store:       e.F.Store,
		HTTPClient:  func() *http.Client { return e.F.HTTPClient },
		Now:         e.F.Now,
		LocalTime:   e.F.LocalTime,
	}
}

// normalize writes the variable parts of doctor's output by name: the
// config directory, the test server, the platform's keychain, and more
// (pairs of a part and its name).
func normalize(e *clitest.Env, out string, more ...string) string {
	return strings.NewReplacer(append(more,
		e.Dir, "$CONFIG_DIR",
		e.Srv.URL(), "http://SERVER",
		cli.KeychainHint, "$KEYCHAIN_HINT",
		cli.KeychainName, "$KEYCHAIN")...).Replace(out)
}

// closedPort is a server that answers nothing: doctor's checks of it
// fail at once.
const closedPort = "http://127.0.0.1:1"

// stored stores a login of the default profile, at the test server,
// made an hour ago.
func stored(t *testing.T, e *clitest.Env) []string {
	e.Store("default", "")
	stamp(t, e, -time.Hour, -time.Hour)
	return nil
}

const day = 24 * time.Hour

// stamp records in the default login its consent and the last issue of
// its refresh token, that long before the clock's start.
func stamp(t *testing.T, e *clitest.Env, consented, refreshIssued time.Duration) {
	err := e.Login("default").Update(func(m *store.Metadata) error {
		m.ConsentedAt, m.RefreshIssuedAt = clitest.Start().Add(consented), clitest.Start().Add(refreshIssued)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// serviceAccount stores a service account's login with client secret
// secret, whose access token is yet to be minted.
func serviceAccount(secret string) func(t *testing.T, e *clitest.Env) []string {
	return func(t *testing.T, e *clitest.Env) []string {
		m := &store.Metadata{
			Kind: store.KindServiceAccount, ClientID: "cid", AuthURL: e.Srv.URL(), APIURL: e.Srv.URL(),
			AccountID: authtest.DefaultServiceAccountID, Name: authtest.DefaultServiceAccountName,
			Site:   store.Site{ID: authtest.DefaultSiteID, URL: authtest.DefaultSiteURL, Name: authtest.DefaultSiteName},
			Scopes: []string{"read:jira-user"}, Storage: store.StorageKeychain, LoginAt: clitest.Start().Add(-time.Hour),
		}
		if err := e.Login("default").Save(m, store.Grant{ClientSecret: secret, AuthURL: e.Srv.URL(), APIURL: e.Srv.URL()}); err != nil {
			t.Fatal(err)
		}
		return nil
	}
}

// envServers names the test server in ATL_AUTH_URL and ATL_API_URL (with
// a trailing slash, which doctor drops).
func envServers(t *testing.T, e *clitest.Env) []string {
	e.Vars["ATL_AUTH_URL"], e.Vars["ATL_API_URL"] = e.Srv.URL()+"/", e.Srv.URL()+"/"
	return nil
}

// saveLogin stores a login of profile at the test server, as e.Store
// does, with its metadata changed by mod.
func saveLogin(t *testing.T, e *clitest.Env, profile string, mod func(*store.Metadata)) {
	access, refresh := e.Srv.IssueTokens("offline_access", "read:jira-user", "read:jira-work")
	m := &store.Metadata{
		ClientID: "cid", AuthURL: e.Srv.URL(), APIURL: e.Srv.URL(),
		AccountID: authtest.DefaultAccountID, Name: authtest.DefaultUserName, Email: authtest.DefaultUserEmail,
		Site:   store.Site{ID: authtest.DefaultSiteID, URL: authtest.DefaultSiteURL, Name: authtest.DefaultSiteName},
		Scopes: []string{"offline_access", "read:jira-user", "read:jira-work"}, Storage: store.StorageKeychain,
		LoginAt: clitest.Start().Add(-time.Hour), ConsentedAt: clitest.Start().Add(-time.Hour), RefreshIssuedAt: clitest.Start().Add(-time.Hour),
	}
	if mod != nil {
		mod(m)
	}
	g := store.Grant{RefreshToken: refresh, AccessToken: access, TokenType: "Bearer", Expiry: clitest.Start().Add(time.Hour),
		ClientSecret: "csecret", AuthURL: e.Srv.URL(), APIURL: e.Srv.URL()}
	if err := e.Login(profile).Save(m, g); err != nil {
		t.Fatal(err)
	}
}

// failCache makes the token cache fail with err.
func failCache(e *clitest.Env, err error) {
	cache := storetest.NewMemoryCache()
	cache.Fail(err)
	e.F.TokenCache = cache
}

func writeFile(t *testing.T, path, content string) {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// dated is an HTTP client whose answers' Date is date(), as if the
// server's clock said so (none when date is zero): the test server's
// Date is the real time, not the test's clock.
func dated(date func() time.Time) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: dateTransport{http.DefaultTransport, date}}
}

type dateTransport struct {
	base http.RoundTripper
	date func() time.Time
}

func (d dateTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := d.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Header.Del("Date")
	if date := d.date(); !date.IsZero() {
		resp.Header.Set("Date", date.UTC().Format(http.TimeFormat))
	}
	return resp, nil
}

// failingDial is an HTTP client whose every connection fails with
// fail(host).
func failingDial(fail func(host string) error) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		return nil, fail(host)
	}}}
}

// A profile that cannot be a login's fails before any check: exit 2.
func TestRunDoctorBadProfile(t *testing.T) {
	e := clitest.New(t)
	e.F.Profile = "bad name"
	code := e.Report(run(context.Background(), testOptions(e)), "doctor")
	want := "atl: invalid profile name \"bad name\": use letters, digits, '.', '_' and '-' (at most 64, not ending in .tokens)\n"
	if code != 2 || e.ErrOut.String() != want || e.Out.Len() != 0 {
		t.Fatalf("exit %d, stderr %q, stdout %q; want 2, %q", code, e.ErrOut, e.Out, want)
	}
}

// Without a config directory, the checks that need one fail, and the
// keychain's says so.
func TestRunDoctorNoConfigDirectory(t *testing.T) {
	e := clitest.New(t)
	e.Store("default", "")
	e.F.HTTPClient = dated(e.Clock.Now)
	opts := testOptions(e)
	opts.Store = func() (*store.Store, error) { return nil, store.ErrNoConfigDir }
	code := e.Report(run(context.Background(), opts), "doctor")
	if code != 1 || e.ErrOut.String() != "atl: 3 of 4 checks failed\n" {
		t.Fatalf("exit %d, stderr %q", code, e.ErrOut)
	}
	clitest.Golden(t, *update, "no-config-directory.golden", normalize(e, e.Out.String()))
}

func TestNewCmdFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		json bool
		err  string
	}{
		{args: nil},
		{args: []string{"--json"}, json: true},
		{args: []string{"extra"}, err: "unexpected argument \"extra\" for \"doctor\"; see `doctor --help`"},
		{args: []string{"--json=maybe"}, err: `invalid argument "maybe" for "--json" flag: strconv.ParseBool: parsing "maybe": invalid syntax`},
	} {
		e := clitest.New(t)
		got, err := clitest.Parse(e, NewCmd, tc.args...)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || got != nil {
				t.Errorf("%q: err %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got == nil || got.JSON != tc.json {
			t.Errorf("%q: %+v, %v; want --json %v", tc.args, got, err, tc.json)
		}
	}
}

// NewCmd's options read the factory when doctor runs: --profile and
// --debug change it once the command is built.
func TestNewCmdReadsTheFactoryWhenItRuns(t *testing.T) {
	e := clitest.New(t)
	var got *Options
	cmd := NewCmd(e.F, func(_ context.Context, o *Options) error { got = o; return nil })
	debug := &http.Client{}
	e.F.Profile, e.F.HTTPClient = "work", debug
	e.Clock.Advance(time.Minute)
	cmd.SetArgs([]string{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	st, err := got.Store()
	if got.AuthOptions().Profile != "work" || got.HTTPClient() != debug || got.IO != e.F.IO || err != nil || st.Dir() != e.Dir ||
		!got.Now().Equal(clitest.Start().Add(time.Minute)) || got.LocalTime(clitest.Start()).Location() != time.UTC {
		t.Fatalf("options %+v", got)
	}
	s, err := got.Session()
	if err != nil || s.Profile() != "work" {
		t.Fatalf("session of %q, %v", s.Profile(), err)
	}
}

// atl doctor, as the command tree runs it, with its servers out of reach.
func TestNewCmdRunsDoctor(t *testing.T) {
	e := clitest.New(t)
	e.Vars["ATL_AUTH_URL"], e.Vars["ATL_API_URL"] = closedPort, closedPort
	callback := fmt.Sprintf("http://127.0.0.1:%d/callback", authtest.FreePort(t))
	e.Vars["ATL_CALLBACK_URL"] = callback
	if code := clitest.Execute(e.F, NewCmd(e.F, nil), []string{}...); code != 1 || e.ErrOut.String() != "atl: 4 of 8 checks failed\n" {
		t.Fatalf("exit %d, stderr %q", code, e.ErrOut)
	}
	clitest.Golden(t, *update, "no-servers.golden", normalize(e, e.Out.String(), callback, "http://127.0.0.1:$PORT/callback"))
}
