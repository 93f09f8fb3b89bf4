package whoami

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/atl-cli/atl/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Sites a login may reach, and server text meant to take over a terminal.
var (
	example = authtest.Site{ID: authtest.DefaultSiteID, URL: authtest.DefaultSiteURL, Name: authtest.DefaultSiteName}
	beta    = authtest.Site{ID: "22222222-3333-4444-5555-666666666666", URL: "https://beta.atlassian.net", Name: "beta"}
	evil    = authtest.Site{ID: authtest.DefaultSiteID, URL: "https://evil.atlassian.net/\x1b]8;;http://x\x07", Name: "Evil\x1b[31m\u009b2J\u202eCorp\x07\x1b]0;pwned\x07"}
	mallory = authtest.User{AccountID: authtest.DefaultAccountID, Name: "Mallory\x1b[2J\u202e\u009b31m", Email: "mallory@example.com\x07"}
)

func TestRunWhoami(t *testing.T) {
	for _, tc := range []struct {
		name     string
		server   *authtest.Options // the server's sites and user, when not the default
		stored   []string          // profiles with a login, made an hour ago
		old      bool              // stored before atl recorded a login's consent
		setup    func(e *clitest.Env)
		opts     Options // its flags
		profile  string
		terminal bool // stdout and stderr are terminals
		code     int
		stdout   string // exact, or a golden file's name
		stderr   string
		requests int // to the token endpoint
	}{
		{name: "text", stored: []string{"default"}, stdout: "golden:whoami.txt"},
		{name: "json", stored: []string{"default"}, opts: Options{JSON: true}, stdout: "golden:whoami.json"},
		{name: "another profile", stored: []string{"default", "work"}, profile: "work", stdout: "golden:work.txt"},
		{name: "refreshed", stored: []string{"default"}, setup: func(e *clitest.Env) { e.Clock.Advance(2 * time.Hour) }, stdout: "golden:refreshed.txt", requests: 1},
		{name: "another site", server: &authtest.Options{Sites: []authtest.Site{example, beta}}, stored: []string{"default"},
			opts: Options{Site: "beta"}, stdout: "golden:site.txt"},
		{name: "a site the login does not reach", stored: []string{"default"}, opts: Options{Site: "gamma"}, code: 2,
			stderr: "atl: asking Atlassian who you are: no site matches \"gamma\"; this login reaches: example https://example.atlassian.net; pick one with --site NAME|URL|ID (`atl sites` lists them)\n"},
		{name: "not logged in", code: 4, stderr: "atl: not logged in; run `atl login`\n"},
		{name: "not logged in, another profile", profile: "work", code: 4, stderr: "atl: not logged in (profile \"work\"); run `atl login --profile work`\n"},
		{name: "a dead login", stored: []string{"default"}, setup: func(e *clitest.Env) { e.Srv.RevokeGrants(); e.Clock.Advance(2 * time.Hour) }, code: 4,
			stderr: "atl: Atlassian rejected the stored grant (HTTP 403 invalid_grant), " + revoked + "; run `atl login`\n", requests: 1},
		{name: "a login that stopped working before", stored: []string{"default"}, setup: markDead("default"), code: 4,
			stderr: "atl: the stored login stopped working on 2026-11-29T11:30:00Z (Atlassian rejected the stored grant), " + revoked + "; run `atl login`\n"},
		{name: "a login 365 days after its consent", stored: []string{"default"}, setup: endedBy(-366*day, -time.Hour), code: 4, requests: 1,
			stderr: "atl: Atlassian rejected the stored grant (HTTP 403 invalid_grant), probably because it reached 365 days after its consent, Atlassian's limit; run `atl login`\n"},
		{name: "a login unused for 90 days", stored: []string{"default"}, setup: endedBy(-100*day, -91*day), code: 4, requests: 1,
			stderr: "atl: Atlassian rejected the stored grant (HTTP 403 invalid_grant), probably because it went unused for 90 days, Atlassian's limit; run `atl login`\n"},
		{name: "a dead login stored before its consent was recorded", stored: []string{"default"}, old: true, setup: endedBy(0, 0), code: 4, requests: 1,
			stderr: "atl: Atlassian rejected the stored grant (HTTP 403 invalid_grant); run `atl login`\n"},
		{name: "a login stored before its end was recorded", stored: []string{"default"}, old: true, stdout: "golden:old.txt"},
		{name: "a login stored before its end was recorded, json", stored: []string{"default"}, old: true, opts: Options{JSON: true}, stdout: "golden:old.json"},
		{name: "a login stored before its consent was recorded", stored: []string{"default"}, old: true, setup: noLoginAt, stdout: "golden:old-unknown.txt"},
		{name: "a login near its end", stored: []string{"default"}, setup: stamp(clitest.Start().Add(-360*day), clitest.Start().Add(-time.Hour)), stdout: "golden:ending.txt"},
		{name: "a login near its end, json", stored: []string{"default"}, setup: stamp(clitest.Start().Add(-360*day), clitest.Start().Add(-time.Hour)),
			opts: Options{JSON: true}, stdout: "golden:ending.json"},
		{name: "a service account", setup: storeServiceAccount("csecret"), stdout: "golden:service-account.txt", requests: 1},
		{name: "a service account, json", setup: storeServiceAccount("csecret"), opts: Options{JSON: true}, stdout: "golden:service-account.json", requests: 1},
		{name: "a service account whose secret is refused", setup: storeServiceAccount("rotated"), code: 4, requests: 1,
			stderr: "atl: Atlassian refused the client secret of service account \"CI bot\" (client id cid): HTTP 401 invalid_client; if its secret changed, run `atl login --service-account` with the new one\n"},
		{name: "client credentials in the environment", setup: grantEnv("csecret"), stdout: "golden:grant.txt", requests: 1},
		{name: "client credentials in the environment, json", setup: grantEnv("csecret"), opts: Options{JSON: true}, stdout: "golden:grant.json", requests: 1},
		{name: "client credentials in the environment, refused", setup: grantEnv("rotated"), code: 4, requests: 1,
			stderr: "atl: Atlassian refused the client secret of service account cid: HTTP 401 invalid_client; set ATL_CLIENT_ID and ATL_CLIENT_SECRET to the service account's current credential\n"},
		{name: "ATL_TOKEN", setup: envToken, stdout: "golden:envtoken.txt"},
		{name: "ATL_TOKEN, json", setup: envToken, opts: Options{JSON: true}, stdout: "golden:envtoken.json"},
		{name: "ATL_TOKEN on several sites", server: &authtest.Options{Sites: []authtest.Site{example, beta}}, setup: envToken, code: 2,
			stderr: "atl: asking Atlassian who you are: the token reaches 2 sites (example https://example.atlassian.net, beta https://beta.atlassian.net) and none was chosen; pick one with --site NAME|URL|ID or ATL_SITE\n"},
		{name: "ATL_TOKEN on several sites, --site", server: &authtest.Options{Sites: []authtest.Site{example, beta}}, setup: envToken,
			opts: Options{Site: beta.ID}, stdout: "golden:envtoken-site.txt"},
		{name: "a malformed account id", server: &authtest.Options{User: authtest.User{AccountID: "5b10\x1b[2J", Name: "Ada"}}, stored: []string{"default"}, code: 1,
			stderr: "atl: asking Atlassian who you are: malformed account id \"5b10\\x1b[2J\" in Atlassian's answer\n"},
		{name: "a hostile server on a terminal", server: &authtest.Options{Sites: []authtest.Site{evil}, User: mallory}, stored: []string{"default"}, setup: hostileMetadata,
			terminal: true, stdout: "golden:hostile.txt"},
		{name: "a hostile server, json on a terminal", server: &authtest.Options{Sites: []authtest.Site{evil}, User: mallory}, stored: []string{"default"}, setup: hostileMetadata,
			terminal: true, opts: Options{JSON: true}, stdout: "golden:hostile-terminal.json"},
		{name: "a hostile server, json", server: &authtest.Options{Sites: []authtest.Site{evil}, User: mallory}, stored: []string{"default"}, setup: hostileMetadata,
			opts: Options{JSON: true}, stdout: "golden:hostile.json"},
		{name: "all, none", opts: Options{All: true}, stderr: "No stored logins: run `atl login`.\n"},
		{name: "all, none, json", opts: Options{All: true, JSON: true}, stdout: "[]\n"},
		{name: "all", stored: []string{"default", "work", "expired", "dead", "broken"}, setup: allKinds, opts: Options{All: true}, stdout: "golden:all.txt"},
		{name: "all, json", stored: []string{"default", "work", "expired", "dead", "broken"}, setup: allKinds, opts: Options{All: true, JSON: true}, stdout: "golden:all.json"},
		{name: "all, another profile current", stored: []string{"default", "work"}, profile: "work", opts: Options{All: true}, stdout: "golden:all-work.txt"},
		{name: "all, ATL_TOKEN ignored", stored: []string{"default"}, setup: envToken, opts: Options{All: true}, stdout: "golden:all-default.txt"},
		{name: "all, the config directory unusable", setup: configDirIsAFile, opts: Options{All: true}, code: 1,
			stderr: "atl: refusing to use <DIR>/not-a-dir: it is not a directory; atl changes nothing there: fix its owner and mode yourself, or set ATL_CONFIG_DIR to a directory of your own\n"},
		{name: "all, a hostile server on a terminal", server: &authtest.Options{Sites: []authtest.Site{evil}, User: mallory}, stored: []string{"default"}, setup: hostileMetadata,
			terminal: true, opts: Options{All: true}, stdout: "golden:all-hostile.txt"},
		{name: "all, a hostile server, json", server: &authtest.Options{Sites: []authtest.Site{evil}, User: mallory}, stored: []string{"default"}, setup: hostileMetadata,
			opts: Options{All: true, JSON: true}, stdout: "golden:all-hostile.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			if tc.server != nil {
				o := *tc.server
				o.ClientID, o.ClientSecret, o.Now = "cid", "csecret", e.Clock.Now
				e.Srv = authtest.NewServer(o)
				t.Cleanup(e.Srv.Close)
			}
			for _, p := range tc.stored {
				e.Store(p, "")
				if !tc.old {
					stamp(clitest.Start().Add(-time.Hour), clitest.Start().Add(-time.Hour))(e)
				}
			}
			if tc.profile != "" {
				e.F.Profile = tc.profile
			}
			if tc.setup != nil {
				tc.setup(e)
			}
			e.F.IO.OutTerminal, e.F.IO.ErrTerminal = tc.terminal, tc.terminal
			opts := tc.opts
			opts.IO, opts.Session, opts.SessionFor, opts.Now, opts.LocalTime = e.F.IO, e.F.Session, e.F.SessionFor, e.F.Now, e.F.LocalTime
			opts.Profiles = func() ([]string, error) { return e.F.Profiles(e.F.Options("")) }
			opts.Profile = e.F.Profile
			code := e.Report(run(context.Background(), &opts), "whoami")
			stderr := strings.ReplaceAll(e.ErrOut.String(), e.Dir, "<DIR>")
			if code != tc.code || stderr != tc.stderr {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, stderr, tc.code, tc.stderr)
			}
			stdout := strings.ReplaceAll(e.Out.String(), e.Srv.URL(), "http://SERVER")
			if name, ok := strings.CutPrefix(tc.stdout, "golden:"); ok {
				clitest.Golden(t, *update, name, stdout)
			} else if stdout != tc.stdout {
				t.Fatalf("stdout %q, want %q", stdout, tc.stdout)
			}
			if n := e.Srv.Count("token"); n != tc.requests {
				t.Fatalf("token requests = %d, want %d", n, tc.requests)
			}
			if i := strings.IndexAny(stdout+stderr, "\x07\x1b\u009b\u202e"); tc.terminal && i >= 0 {
				t.Fatalf("a control character reached the terminal at %d: %q", i, stdout+stderr)
			}
		})
	}
}

const day = 24 * time.Hour

// revoked is how a login refused before either of Atlassian's limits is
// explained.
const revoked = "and neither of Atlassian's limits (365 days after consent, 90 days unused) had passed: it was revoked (the app removed from the account), or a refresh token was used twice"

// stamp records, in every stored login, its consent and the last issue of
// its refresh token.
func stamp(consented, refreshIssued time.Time) func(e *clitest.Env) {
	return func(e *clitest.Env) {
		names, err := e.F.Profiles(e.F.Options(""))
		for _, name := range names {
			if err == nil {
				err = e.Login(name).Update(func(m *store.Metadata) error {
					m.ConsentedAt, m.RefreshIssuedAt = consented, refreshIssued
					return nil
				})
			}
		}
		if err != nil {
			e.T.Fatal(err)
		}
	}
}

// endedBy makes the default login consented and refreshed that long ago
// (0: not recorded), and Atlassian refuse its next refresh, due.
func endedBy(consented, refreshed time.Duration) func(e *clitest.Env) {
	return func(e *clitest.Env) {
		at := func(d time.Duration) time.Time {
			if d == 0 {
				return time.Time{}
			}
			return clitest.Start().Add(d)
		}
		if consented != 0 {
			stamp(at(consented), at(refreshed))(e)
		}
		e.Srv.RevokeGrants()
		e.Clock.Advance(2 * time.Hour)
	}
}

// noLoginAt makes the default login one stored before atl recorded even
// the time of a login.
func noLoginAt(e *clitest.Env) {
	if err := e.Login("default").Update(func(m *store.Metadata) error { m.LoginAt = time.Time{}; return nil }); err != nil {
		e.T.Fatal(err)
	}
}

// storeServiceAccount stores a service account's login with client
// secret secret, whose access token is yet to be minted.
func storeServiceAccount(secret string) func(e *clitest.Env) {
	return func(e *clitest.Env) {
		m := &store.Metadata{
			Kind: store.KindServiceAccount, ClientID: "cid", AuthURL: e.Srv.URL(), APIURL: e.Srv.URL(),
			AccountID: authtest.DefaultServiceAccountID, Name: authtest.DefaultServiceAccountName,
			Site:   store.Site{ID: authtest.DefaultSiteID, URL: authtest.DefaultSiteURL, Name: authtest.DefaultSiteName},
			Scopes: []string{"read:jira-user", "read:jira-work", "write:jira-work"}, Storage: store.StorageKeychain, LoginAt: clitest.Start().Add(-time.Hour),
		}
		g := store.Grant{ClientSecret: secret, AuthURL: e.Srv.URL(), APIURL: e.Srv.URL()}
		if err := e.Login("default").Save(m, g); err != nil {
			e.T.Fatal(err)
		}
	}
}

// grantEnv sets ATL_GRANT=client_credentials, with the client id, secret
// and servers, and the site by its cloud id.
func grantEnv(secret string) func(e *clitest.Env) {
	return func(e *clitest.Env) {
		for k, v := range map[string]string{
			"ATL_GRANT": "client_credentials", "ATL_CLIENT_ID": "cid", "ATL_CLIENT_SECRET": secret,
			"ATL_AUTH_URL": e.Srv.URL(), "ATL_API_URL": e.Srv.URL(), "ATL_SITE": authtest.DefaultSiteID,
		} {
			e.Vars[k] = v
		}
	}
}

// envToken sets ATL_TOKEN to an access token the server knows.
func envToken(e *clitest.Env) {
	access, _ := e.Srv.IssueTokens("read:jira-user", "read:jira-work")
	e.Vars["ATL_TOKEN"], e.Vars["ATL_API_URL"] = access, e.Srv.URL()
}

// markDead records that Atlassian stopped accepting profile's login half
// an hour ago.
func markDead(profile string) func(e *clitest.Env) {
	return func(e *clitest.Env) {
		l := e.Login(profile)
		m, err := l.Metadata()
		if err == nil {
			err = l.MarkDead(m, "Atlassian rejected the stored grant", clitest.Start().Add(-30*time.Minute))
		}
		if err != nil {
			e.T.Fatal(err)
		}
	}
}

// hostileMetadata stores the hostile server's names with the login, as a
// login there would have.
func hostileMetadata(e *clitest.Env) {
	err := e.Login("default").Update(func(m *store.Metadata) error {
		m.Name, m.Email = mallory.Name, mallory.Email
		m.Site.URL, m.Site.Name = evil.URL, evil.Name
		return nil
	})
	if err != nil {
		e.T.Fatal(err)
	}
}

// allKinds makes the stored logins "expired" (its access token expired),
// "dead" (stopped working) and "broken" (unreadable metadata).
func allKinds(e *clitest.Env) {
	err := e.Login("expired").Update(func(m *store.Metadata) error {
		m.ExpiresAt = clitest.Start().Add(-time.Minute)
		return nil
	})
	if err != nil {
		e.T.Fatal(err)
	}
	markDead("dead")(e)
	if err := os.WriteFile(filepath.Join(e.Dir, "profiles", "broken.json"), []byte("{not json"), 0o600); err != nil {
		e.T.Fatal(err)
	}
}

// configDirIsAFile points ATL_CONFIG_DIR at a file.
func configDirIsAFile(e *clitest.Env) {
	path := filepath.Join(e.Dir, "not-a-dir")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		e.T.Fatal(err)
	}
	e.Vars["ATL_CONFIG_DIR"] = path
}

func TestNewCmdFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		profile string
		want    Options
		err     string
	}{
		{nil, "", Options{Profile: "default"}, ""},
		{[]string{"--json", "--site", "beta"}, "", Options{Profile: "default", JSON: true, Site: "beta"}, ""},
		{[]string{"--all"}, "work", Options{Profile: "work", All: true}, ""},
		{[]string{"--all", "--json"}, "", Options{Profile: "default", All: true, JSON: true}, ""},
		{[]string{"ada"}, "", Options{}, `unexpected argument "ada" for "whoami"; see ` + "`whoami --help`"},
		{[]string{"--site"}, "", Options{}, "flag needs an argument: --site"},
	} {
		e := clitest.New(t)
		var got *Options
		cmd := NewCmd(e.F, func(_ context.Context, o *Options) error { got = o; return nil })
		if tc.profile != "" {
			e.F.Profile = tc.profile // --profile, parsed after NewCmd
		}
		cmd.SetArgs(tc.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || got != nil {
				t.Errorf("%q: err %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got == nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if got.IO != e.F.IO || got.Session == nil || got.SessionFor == nil || got.Profiles == nil || got.Now == nil || got.LocalTime == nil {
			t.Errorf("%q: dependencies not set: %+v", tc.args, got)
		}
		if got.Profile != tc.want.Profile || got.JSON != tc.want.JSON || got.All != tc.want.All || got.Site != tc.want.Site {
			t.Errorf("%q: %+v; want %+v", tc.args, got, tc.want)
		}
	}
}
