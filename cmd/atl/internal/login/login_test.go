package login

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/atl-cli/atl/store"
)

var startURLRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/start\?k=\S+`)

// statusRE is the live status line's drawings (on a terminal), then its
// removal.
var statusRE = regexp.MustCompile(`(\r\x1b\[KWaiting for the sign-in \(up to [^)]+\)… \d+s \(Ctrl-C to cancel\))+\r\x1b\[K`)

// Sites a login may reach, and server text meant to take over a terminal.
var (
	example  = authtest.Site{ID: authtest.DefaultSiteID, URL: authtest.DefaultSiteURL, Name: authtest.DefaultSiteName}
	beta     = authtest.Site{ID: "22222222-3333-4444-5555-666666666666", URL: "https://beta.atlassian.net", Name: "beta"}
	twoSites = []authtest.Site{example, beta}
	hostile  = []authtest.Site{
		{ID: authtest.DefaultSiteID, URL: "https://evil.atlassian.net/\x1b]8;;http://x\x07", Name: "Evil\x1b[31m\u009b2J\u202eCorp\x07\x1b]0;pwned\x07"},
		{ID: beta.ID, URL: "https://beta.atlassian.net\x1bc", Name: "\u202ebeta\x1b[8m"},
	}
	mallory = authtest.User{AccountID: "5b10ac8d82e05b22cc7d4ef5", Name: "Mallory\x1b[2J\u202e\u009b31m", Email: "mallory@example.com\x07"}
)

const (
	opening   = "Opening your browser to sign in. If it does not open, visit:\n\n  <URL>\n\n"
	waiting   = "Waiting for the sign-in (up to 1m0s)…\n"
	noBrowser = "Open this address in a browser on any machine and approve the access:\n\n  <URL>\n\n" +
		"The browser is then sent to an address on this machine (<CALLBACK>…), which fails to load there: that is expected.\n" +
		"Copy that address from the browser's address bar and paste it here, then press Enter (waiting up to 1m0s):\n"
	loggedIn  = "Logged in to https://example.atlassian.net as Ada Lovelace <ada@example.com>. Tokens are in the system keychain (service \"atl\", account \"profile:default@ID\").\n"
	twoPrompt = "This login reaches several sites:\n  1) example  https://example.atlassian.net\n  2) beta  https://beta.atlassian.net\n"
)

func TestRunLogin(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     func(o *Options) // its flags, on top of --timeout 1m
		env      map[string]string
		sites    []authtest.Site
		user     authtest.User
		profile  string
		stdin    string        // piped; a person types on a pipe instead
		password string        // typed at ReadPassword's prompt (stdin is a terminal)
		terminal bool          // stdin, stdout and stderr are terminals
		browse   bool          // the browser atl opens signs in
		person   func(*person) // acts on what the login shows
		cancel   bool          // interrupted from the start
		code     int
		stderr   string
		stored   string // the site of the stored login, "" for none
		insecure bool   // ... in a file
		secret   string // ... kept with it
	}{
		{
			name: "keychain", browse: true, stored: example.ID, secret: "csecret",
			stderr: opening + waiting + loggedIn,
		},
		{
			name: "insecure storage", browse: true, opts: func(o *Options) { o.InsecureStorage = true }, stored: example.ID, insecure: true, // the client secret never goes in the file
			stderr: opening + waiting +
				"Logged in to https://example.atlassian.net as Ada Lovelace <ada@example.com>. Tokens are in the file <DIR>/profiles/default.tokens.json (insecure storage).\n" +
				"warning: with --insecure-storage the tokens are in a plain file: anyone who can read it can act as you\n",
		},
		{
			name: "another profile", profile: "work", browse: true, stored: example.ID, secret: "csecret",
			stderr: opening + waiting + "Logged in to https://example.atlassian.net as Ada Lovelace <ada@example.com>. Tokens are in the system keychain (service \"atl\", account \"profile:work@ID\").\n",
		},
		{
			name: "a profile name that is not one", profile: "../etc", code: 2,
			stderr: "atl: invalid profile name \"../etc\": use letters, digits, '.', '_' and '-' (at most 64, not ending in .tokens)\n",
		},
		{
			name: "no client id", env: map[string]string{"ATL_CLIENT_ID": ""}, code: 2,
			stderr: "atl: no client id is set; set ATL_CLIENT_ID (or pass --client-id) to your app's client id from the Atlassian developer console\n",
		},
		{
			name: "client id and callback from the flags", env: map[string]string{"ATL_CLIENT_ID": "", "ATL_CALLBACK_URL": ""}, browse: true, stored: example.ID, secret: "csecret",
			opts:   func(o *Options) { o.ClientID, o.CallbackURL = "cid", "<CALLBACK>" },
			stderr: opening + waiting + loggedIn,
		},
		{name: "timeout 0", opts: func(o *Options) { o.Timeout = 0 }, code: 2, stderr: "atl: --timeout must be positive\n"},
		{name: "timeout negative", opts: func(o *Options) { o.Timeout = -time.Second }, code: 2, stderr: "atl: --timeout must be positive\n"},
		{name: "empty scopes", opts: func(o *Options) { o.Scopes = []string{" ,", ""} }, code: 2, stderr: "atl: --scopes is empty\n"},
		{
			name: "a scope that is not one", opts: func(o *Options) { o.Scopes = []string{"read:jira-user", "read:\"jira\x1b[2J"} }, code: 2,
			stderr: "atl: scope \"read:\\\"jira\\x1b[2J\" is not a scope\n",
		},
		{
			name: "scopes asked for", opts: func(o *Options) { o.Scopes = []string{"read:jira-user offline_access,read:jira-user"} }, browse: true, stored: example.ID, secret: "csecret",
			stderr: opening + waiting + loggedIn,
		},
		{
			name: "browser fails, nobody signs in", opts: func(o *Options) { o.Timeout = 100 * time.Millisecond }, code: 1,
			stderr: opening + "Waiting for the sign-in (up to 100ms)…\n" +
				"Could not open a browser (no browser in tests): open the address above by hand.\n" +
				"atl: no sign-in within 100ms; run `atl login` again (with a longer --timeout if you need more time)\n",
		},
		{
			name: "browser fails, then an interrupt",
			person: func(p *person) {
				if p.waitFor("open the address above by hand") {
					p.interrupt()
				}
			},
			code: 130,
			stderr: opening + waiting + "Could not open a browser (no browser in tests): open the address above by hand.\n" +
				"atl: login interrupted: context canceled\n",
		},
		{
			name: "interrupted", cancel: true, code: 130, opts: func(o *Options) { o.NoBrowser = true },
			stderr: noBrowser + "atl: login interrupted: context canceled\n",
		},
		{
			name: "client secret piped", env: map[string]string{"ATL_CLIENT_SECRET": ""}, opts: func(o *Options) { o.ClientSecretStdin = true },
			stdin: "csecret\nmore\n", browse: true, stored: example.ID, secret: "csecret",
			stderr: opening + waiting + loggedIn,
		},
		{
			name: "client secret piped, none", env: map[string]string{"ATL_CLIENT_SECRET": ""}, opts: func(o *Options) { o.ClientSecretStdin = true },
			stdin: " \n", code: 2, stderr: "atl: --client-secret-stdin: nothing on standard input\n",
		},
		{
			name: "client secret typed", env: map[string]string{"ATL_CLIENT_SECRET": ""}, opts: func(o *Options) { o.ClientSecretStdin = true },
			password: "csecret", browse: true, stored: example.ID, secret: "csecret",
			stderr: "Client secret (not shown): \n" + opening + waiting + loggedIn,
		},
		{
			name: "client secret typed, none", env: map[string]string{"ATL_CLIENT_SECRET": ""}, opts: func(o *Options) { o.ClientSecretStdin = true },
			password: "  ", code: 2, stderr: "Client secret (not shown): \natl: --client-secret-stdin: no secret was typed\n",
		},
		{
			name: "client secret typed, wrong", env: map[string]string{"ATL_CLIENT_SECRET": ""}, opts: func(o *Options) { o.ClientSecretStdin = true },
			password: "wrong", browse: true, code: 1,
			stderr: "Client secret (not shown): \n" + opening + waiting + "atl: token request failed: Atlassian does not accept the client id or secret (HTTP 401 invalid_client); check ATL_CLIENT_ID and ATL_CLIENT_SECRET against the app in the developer console\n",
		},
		{
			name: "no browser: a paste refused, then the right one", opts: func(o *Options) { o.NoBrowser = true },
			person: func(p *person) {
				if p.types("\n  \nnot an address\n") && p.waitFor("Paste the address") {
					p.pastes()
				}
			},
			stored: example.ID, secret: "csecret",
			stderr: noBrowser + "that address cannot complete this sign-in: it belongs to another sign-in (its state does not match this one's). Paste the address the browser was sent to after you approved:\n" + loggedIn,
		},
		{
			name: "no browser, nothing pasted", opts: func(o *Options) { o.NoBrowser, o.Timeout = true, 100*time.Millisecond }, code: 1,
			stderr: strings.Replace(noBrowser, "1m0s", "100ms", 1) +
				"atl: no sign-in within 100ms; run `atl login` again (with a longer --timeout if you need more time)\n",
		},
		{
			name: "several sites, no terminal", sites: twoSites, browse: true, code: 2,
			stderr: opening + waiting + "atl: this login reaches 2 sites (example https://example.atlassian.net, beta https://beta.atlassian.net): choose one with --site NAME|URL|ID\n",
		},
		{
			name: "several sites, --site", sites: twoSites, browse: true, opts: func(o *Options) { o.Site = "beta.atlassian.net" }, stored: beta.ID, secret: "csecret",
			stderr: opening + waiting + "Logged in to https://beta.atlassian.net as Ada Lovelace <ada@example.com>. Tokens are in the system keychain (service \"atl\", account \"profile:default@ID\").\n",
		},
		{
			name: "several sites, --site none of them", sites: twoSites, browse: true, opts: func(o *Options) { o.Site = "gamma" }, code: 2,
			stderr: opening + waiting + "atl: no site matches \"gamma\"; this login reaches: example https://example.atlassian.net, beta https://beta.atlassian.net; pick one with --site NAME|URL|ID (`atl sites` lists them)\n",
		},
		{
			name: "several sites on a terminal", sites: twoSites, terminal: true, browse: true, stdin: "x\n0\n2\n", stored: beta.ID, secret: "csecret",
			stderr: opening + "<status>" + twoPrompt + "Choose a site [1-2]: Choose a site [1-2]: Choose a site [1-2]: " +
				"Logged in to https://beta.atlassian.net as Ada Lovelace <ada@example.com>. Tokens are in the system keychain (service \"atl\", account \"profile:default@ID\").\n",
		},
		{
			name: "several sites on a terminal, no answer", sites: twoSites, terminal: true, browse: true, code: 2,
			stderr: opening + "<status>" + twoPrompt + "Choose a site [1-2]: atl: no site chosen: pass --site NAME|URL|ID\n",
		},
		{
			name: "several sites on a terminal, no browser", sites: twoSites, terminal: true, opts: func(o *Options) { o.NoBrowser = true },
			person: func(p *person) {
				if p.pastes() && p.waitFor("Choose a site [1-2]: ") {
					p.types("1\n")
				}
			},
			stored: example.ID, secret: "csecret",
			stderr: noBrowser + twoPrompt + "Choose a site [1-2]: " + loggedIn,
		},
		{
			name: "a hostile server's names on a terminal", sites: hostile, user: mallory, terminal: true, opts: func(o *Options) { o.NoBrowser = true },
			person: func(p *person) {
				if p.pastes() && p.waitFor("Choose a site [1-2]: ") {
					p.types("1\n")
				}
			},
			stored: example.ID, secret: "csecret",
			stderr: noBrowser + "This login reaches several sites:\n  1) EvilCorp  https://evil.atlassian.net/\n  2) beta  https://beta.atlassian.net\n" +
				"Choose a site [1-2]: Logged in to https://evil.atlassian.net/ as Mallory <mallory@example.com>. Tokens are in the system keychain (service \"atl\", account \"profile:default@ID\").\n",
		},
		{
			name: "a hostile server's names, no terminal", sites: hostile, user: mallory, browse: true, code: 2,
			stderr: opening + waiting + "atl: this login reaches 2 sites (EvilCorp https://evil.atlassian.net/, beta https://beta.atlassian.net): choose one with --site NAME|URL|ID\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, callback := loginEnv(t, tc.sites, tc.user)
			for k, v := range tc.env {
				e.Vars[k] = v
			}
			if tc.profile != "" {
				e.F.Profile = tc.profile
			}
			errOut := &clitest.LockedBuffer{}
			stdin, typing := io.Pipe()
			e.F.IO = &cli.IOStreams{In: stdin, Out: e.Out, ErrOut: errOut, Interactive: tc.terminal, ErrTerminal: tc.terminal, OutTerminal: tc.terminal}
			if tc.person == nil {
				e.F.IO.In = strings.NewReader(tc.stdin)
			}
			if tc.password != "" {
				e.F.IO.ReadPassword = func(prompt string) ([]byte, error) {
					_, _ = io.WriteString(errOut, prompt)
					return []byte(tc.password), nil
				}
			}
			if tc.browse {
				e.F.OpenURL = func(u string) error {
					go func() { _, _, _ = authtest.Browse(context.Background(), nil, u) }()
					return nil
				}
			}
			opts := &Options{IO: e.F.IO, Session: e.F.Session, OpenBrowser: e.F.OpenBrowser, Getenv: e.F.Getenv, Now: e.F.Now, Timeout: time.Minute}
			if tc.opts != nil {
				tc.opts(opts)
			}
			opts.CallbackURL = strings.ReplaceAll(opts.CallbackURL, "<CALLBACK>", callback)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				cancel()
			}
			done, acted := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(acted)
				if tc.person != nil {
					tc.person(&person{t: t, errOut: errOut, stdin: typing, done: done, interrupt: cancel})
				}
			}()
			err := run(ctx, opts)
			close(done)
			_ = stdin.Close() // a person still typing gives up
			<-acted
			code := e.Report(err, "login")
			got := errOut.String() + e.ErrOut.String()
			got = startURLRE.ReplaceAllString(got, "<URL>")
			got = consentURLRE.ReplaceAllString(got, "<URL>")
			got = statusRE.ReplaceAllString(got, "<status>")
			got = strings.ReplaceAll(got, callback, "<CALLBACK>")
			got = clitest.MaskItemIDs(got)
			got = strings.ReplaceAll(got, e.Dir, "<DIR>")
			if code != tc.code || got != tc.stderr {
				t.Fatalf("exit %d, stderr:\n%q\nwant %d:\n%q", code, got, tc.code, tc.stderr)
			}
			if i := strings.IndexAny(got, "\x07\x1b\u009b\u202e"); i >= 0 {
				t.Fatalf("a control character reached the terminal at %d: %q", i, got)
			}
			if e.Out.Len() != 0 {
				t.Fatalf("stdout %q", e.Out)
			}
			checkStored(t, e, tc.stored, tc.insecure, tc.secret)
		})
	}
}

// loginEnv is an Env whose server reaches sites (one by default) for
// user, on a callback address of its own, on the real clock (the
// server's codes expire on it).
func loginEnv(t *testing.T, sites []authtest.Site, user authtest.User) (*clitest.Env, string) {
	e := clitest.New(t)
	e.F.Now = time.Now
	callback := "http://127.0.0.1:" + strconv.Itoa(authtest.FreePort(t)) + "/callback"
	srv := authtest.NewServer(authtest.Options{ClientID: "cid", ClientSecret: "csecret", RedirectURI: callback, Sites: sites, User: user})
	t.Cleanup(srv.Close)
	for k, v := range map[string]string{"ATL_CLIENT_ID": "cid", "ATL_CLIENT_SECRET": "csecret", "ATL_CALLBACK_URL": callback, "ATL_AUTH_URL": srv.URL(), "ATL_API_URL": srv.URL()} {
		e.Vars[k] = v
	}
	return e, callback
}

// checkStored checks the stored login of e's profile: on site (none when
// ""), in a file or the keychain, with the client secret.
func checkStored(t *testing.T, e *clitest.Env, site string, insecure bool, secret string) {
	t.Helper()
	profile := e.F.Profile
	if profile == "../etc" {
		return
	}
	m, g, err := e.Login(profile).Load()
	if site == "" {
		if err == nil {
			t.Fatalf("a login was stored: %+v", m)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if m.Site.ID != site || (m.Storage == store.StorageFile) != insecure || g.ClientSecret != secret {
		t.Fatalf("stored site %s, storage %s, secret %q; want %s, insecure %v, %q", m.Site.ID, m.Storage, g.ClientSecret, site, insecure, secret)
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
		got, err := promptSite(context.Background(), sites, &cli.IOStreams{ErrOut: &errOut, Interactive: tc.interactive}, in)
		in.close()
		var ue *cli.UsageError
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

func TestNewCmdFlags(t *testing.T) {
	defaults := Options{Timeout: 5 * time.Minute}
	for _, tc := range []struct {
		args []string
		want Options
		err  string
	}{
		{nil, defaults, ""},
		{[]string{"--client-id", "cid", "--callback-url", "http://127.0.0.1:9999/cb", "--site", "beta"},
			Options{ClientID: "cid", CallbackURL: "http://127.0.0.1:9999/cb", Site: "beta", Timeout: 5 * time.Minute}, ""},
		{[]string{"--scopes", "read:me,read:jira-work", "--scopes", "offline_access"},
			Options{Scopes: []string{"read:me", "read:jira-work", "offline_access"}, Timeout: 5 * time.Minute}, ""},
		{[]string{"--timeout", "30s", "--insecure-storage", "--client-secret-stdin", "--no-browser"},
			Options{Timeout: 30 * time.Second, InsecureStorage: true, ClientSecretStdin: true, NoBrowser: true}, ""},
		{[]string{"--service-account", "--client-secret-stdin", "--site", "example.atlassian.net"},
			Options{ServiceAccount: true, ClientSecretStdin: true, Site: "example.atlassian.net", Timeout: 5 * time.Minute}, ""},
		{[]string{"--timeout", "0"}, Options{}, ""}, // refused by run
		{[]string{"extra"}, Options{}, `unexpected argument "extra" for "login"; see ` + "`login --help`"},
		{[]string{"--timeout", "soon"}, Options{}, `invalid argument "soon" for "--timeout" flag: time: invalid duration "soon"`},
		{[]string{"--no-browser=maybe"}, Options{}, `invalid argument "maybe" for "--no-browser" flag: strconv.ParseBool: parsing "maybe": invalid syntax`},
	} {
		e := clitest.New(t)
		got, err := clitest.Parse(e, NewCmd, tc.args...)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || got != nil {
				t.Errorf("%q: err %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got == nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if got.IO != e.F.IO || got.Session == nil || got.OpenBrowser == nil || got.Getenv == nil || got.Now == nil {
			t.Errorf("%q: dependencies not set: %+v", tc.args, got)
		}
		flags := *got
		flags.IO, flags.Session, flags.OpenBrowser, flags.Getenv, flags.Now = nil, nil, nil, nil, nil
		if !reflect.DeepEqual(flags, tc.want) {
			t.Errorf("%q: %+v; want %+v", tc.args, flags, tc.want)
		}
	}
}
