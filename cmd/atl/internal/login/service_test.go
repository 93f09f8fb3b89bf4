package login

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/atl-cli/atl/store"
)

const saLoggedIn = "Logged in to https://example.atlassian.net as service account CI bot (client id cid). Its client secret and token are in the system keychain (service \"atl\", account \"profile:default@ID\").\n"

func TestRunServiceAccountLogin(t *testing.T) {
	for _, tc := range []struct {
		name     string
		server   authtest.Options // the server's sites and service account
		opts     func(o *Options) // its flags, on top of --service-account
		env      map[string]string
		stdin    string
		terminal bool
		code     int
		stderr   string // <SERVER> is the test server's address
		site     string // of the stored login, "" for none
		secret   string // ... kept with it
		lookups  int    // of the site's tenant_info
	}{
		{name: "a token that lists its site", server: authtest.Options{ServiceSitesListed: true}, stderr: saLoggedIn, site: example.ID, secret: "csecret"},
		{name: "a site named by URL", opts: func(o *Options) { o.Site = "<SERVER>" }, site: example.ID, secret: "csecret", lookups: 1,
			stderr: "Logged in to <SERVER> as service account CI bot (client id cid). Its client secret and token are in the system keychain (service \"atl\", account \"profile:default@ID\").\n"},
		{name: "a site named by cloud id", opts: func(o *Options) { o.Site = example.ID }, site: example.ID, secret: "csecret",
			stderr: "Logged in to the site " + example.ID + " as service account CI bot (client id cid). Its client secret and token are in the system keychain (service \"atl\", account \"profile:default@ID\").\n"},
		{name: "no site named, none listed", code: 2,
			stderr: "atl: the token lists no site: name the site by its URL or cloud id; pick one with --site NAME|URL|ID or ATL_SITE\n"},
		{name: "a site that is neither a URL nor a cloud id", opts: func(o *Options) { o.Site = "example" }, code: 2,
			stderr: "atl: site \"example\" is neither a cloud id nor a site's URL (https://NAME.atlassian.net); pick one with --site NAME|URL|ID (`atl sites` lists them)\n"},
		{name: "a site the token does not list", server: authtest.Options{ServiceSitesListed: true}, opts: func(o *Options) { o.Site = "gamma" }, code: 2,
			stderr: "atl: no site matches \"gamma\"; this login reaches: example https://example.atlassian.net; pick one with --site NAME|URL|ID (`atl sites` lists them)\n"},
		{name: "the secret piped", env: map[string]string{"ATL_CLIENT_SECRET": ""}, server: authtest.Options{ServiceSitesListed: true},
			opts: func(o *Options) { o.ClientSecretStdin = true }, stdin: "csecret\n", stderr: saLoggedIn, site: example.ID, secret: "csecret"},
		{name: "no secret", env: map[string]string{"ATL_CLIENT_SECRET": ""}, opts: func(o *Options) { o.Site = example.ID }, code: 2,
			stderr: "atl: no client secret is set; set ATL_CLIENT_SECRET (or pass --client-secret-stdin to atl login) to the secret of the client id\n"},
		{name: "the secret refused", env: map[string]string{"ATL_CLIENT_SECRET": "rotated"}, opts: func(o *Options) { o.Site = example.ID }, code: 4,
			stderr: "atl: Atlassian refused the client secret of service account cid: HTTP 401 invalid_client; check the client id and secret of the service account's OAuth 2.0 credential (Atlassian Administration, Directory, Service accounts)\n"},
		{name: "no client id", env: map[string]string{"ATL_CLIENT_ID": ""}, code: 2,
			stderr: "atl: no client id is set; set ATL_CLIENT_ID (or pass --client-id) to your app's client id from the Atlassian developer console\n"},
		{name: "several sites on a terminal", server: authtest.Options{ServiceSitesListed: true, Sites: twoSites}, terminal: true, stdin: "2\n", site: beta.ID, secret: "csecret",
			stderr: twoPrompt + "Choose a site [1-2]: Logged in to https://beta.atlassian.net as service account CI bot (client id cid). Its client secret and token are in the system keychain (service \"atl\", account \"profile:default@ID\").\n"},
		{name: "several sites, no terminal", server: authtest.Options{ServiceSitesListed: true, Sites: twoSites}, code: 2,
			stderr: "atl: this login reaches 2 sites (example https://example.atlassian.net, beta https://beta.atlassian.net): choose one with --site NAME|URL|ID\n"},
		{name: "a hostile server's names on a terminal", server: authtest.Options{ServiceSitesListed: true, Sites: hostile[:1], ServiceAccount: mallory}, terminal: true, site: example.ID, secret: "csecret",
			stderr: "Logged in to https://evil.atlassian.net/ as service account Mallory (client id cid). Its client secret and token are in the system keychain (service \"atl\", account \"profile:default@ID\").\n"},
		{name: "with --insecure-storage", opts: func(o *Options) { o.InsecureStorage = true }, code: 2,
			stderr: "atl: --service-account cannot go with --insecure-storage: a service account's client secret is never kept in a file; without a keychain, set ATL_GRANT=client_credentials (nothing is stored)\n"},
		{name: "with --no-browser", opts: func(o *Options) { o.NoBrowser = true }, code: 2,
			stderr: "atl: --service-account cannot go with --no-browser: a service account signs in without a browser\n"},
		{name: "with --callback-url", opts: func(o *Options) { o.CallbackURL = "http://127.0.0.1:1/cb" }, code: 2,
			stderr: "atl: --service-account cannot go with --callback-url: a service account signs in without a callback\n"},
		{name: "with --scopes", opts: func(o *Options) { o.Scopes = []string{"read:me"} }, code: 2,
			stderr: "atl: --service-account cannot go with --scopes: a service account has the scopes of its credential\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			e.F.Now = time.Now
			o := tc.server
			o.ClientID, o.ClientSecret = "cid", "csecret"
			srv := authtest.NewServer(o)
			t.Cleanup(srv.Close)
			for k, v := range map[string]string{"ATL_CLIENT_ID": "cid", "ATL_CLIENT_SECRET": "csecret", "ATL_AUTH_URL": srv.URL(), "ATL_API_URL": srv.URL()} {
				e.Vars[k] = v
			}
			for k, v := range tc.env {
				e.Vars[k] = v
			}
			e.F.IO = &cli.IOStreams{In: strings.NewReader(tc.stdin), Out: e.Out, ErrOut: e.ErrOut, Interactive: tc.terminal, ErrTerminal: tc.terminal, OutTerminal: tc.terminal}
			browsed := false
			e.F.OpenURL = func(string) error { browsed = true; return errors.New("no browser for a service account") }
			opts := &Options{IO: e.F.IO, Session: e.F.Session, OpenBrowser: e.F.OpenBrowser, Getenv: e.F.Getenv, Now: e.F.Now, Timeout: time.Minute, ServiceAccount: true}
			if tc.opts != nil {
				tc.opts(opts)
			}
			opts.Site = strings.ReplaceAll(opts.Site, "<SERVER>", srv.URL())
			code := e.Report(run(context.Background(), opts), "login")
			got := strings.ReplaceAll(clitest.MaskItemIDs(e.ErrOut.String()), srv.URL(), "<SERVER>")
			if code != tc.code || got != tc.stderr {
				t.Fatalf("exit %d, stderr:\n%q\nwant %d:\n%q", code, got, tc.code, tc.stderr)
			}
			if i := strings.IndexAny(got, "\x07\x1b\u009b\u202e"); i >= 0 {
				t.Fatalf("a control character reached the terminal at %d: %q", i, got)
			}
			if browsed || srv.Count("authorize") != 0 || srv.Count("token:authorization_code") != 0 || e.Out.Len() != 0 || srv.Count("tenant_info") != tc.lookups {
				t.Fatalf("browsed %v, authorize %d, code exchanges %d, tenant_info %d, stdout %q", browsed, srv.Count("authorize"), srv.Count("token:authorization_code"), srv.Count("tenant_info"), e.Out)
			}
			checkStored(t, e, tc.site, false, tc.secret)
			if m, g, err := e.Login("default").Load(); err == nil && (m.Kind != store.KindServiceAccount || g.RefreshToken != "") {
				t.Fatalf("stored %+v, %+v: not a service account's login", m, g)
			}
		})
	}
}
