package login

import (
	"bytes"
	"context"
	"errors"
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

func TestRunLogin(t *testing.T) {
	port := authtest.FreePort(t)
	callback := "http://127.0.0.1:" + strconv.Itoa(port) + "/callback"
	for _, tc := range []struct {
		name     string
		opts     func(o *Options)
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
			opts: func(o *Options) { o.InsecureStorage = true },
			stderr: "Opening your browser to sign in. If it does not open, visit:\n\n  <URL>\n\nWaiting for the sign-in (up to 1m0s)…\n" +
				"Logged in to https://example.atlassian.net as Ada Lovelace <ada@example.com>. Tokens are in the file <DIR>/profiles/default.tokens.json (insecure storage).\n" +
				"warning: with --insecure-storage the tokens are in a plain file: anyone who can read it can act as you\n",
		},
		{
			name: "no client id", env: map[string]string{"ATL_CLIENT_ID": ""}, code: 2,
			stderr: "atl: no client id is set; set ATL_CLIENT_ID (or pass --client-id) to your app's client id from the Atlassian developer console\n",
		},
		{
			name: "bad timeout", opts: func(o *Options) { o.Timeout = 0 }, code: 2,
			stderr: "atl: --timeout must be positive\n",
		},
		{
			name: "no browser, timeout", opts: func(o *Options) { o.Timeout = 100 * time.Millisecond }, code: 1,
			stderr: "Opening your browser to sign in. If it does not open, visit:\n\n  <URL>\n\nWaiting for the sign-in (up to 100ms)…\n" +
				"Could not open a browser (no browser in tests): open the address above by hand.\n" +
				"atl: no sign-in within 100ms; run `atl login` again (with a longer --timeout if you need more time)\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			e.F.Now = time.Now // the server's codes expire on the real clock
			srv := authtest.NewServer(authtest.Options{ClientID: "cid", ClientSecret: "csecret", RedirectURI: callback})
			t.Cleanup(srv.Close)
			for k, v := range map[string]string{"ATL_CLIENT_ID": "cid", "ATL_CLIENT_SECRET": "csecret", "ATL_CALLBACK_URL": callback, "ATL_AUTH_URL": srv.URL(), "ATL_API_URL": srv.URL()} {
				e.Vars[k] = v
			}
			for k, v := range tc.env {
				e.Vars[k] = v
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
			code := e.Report(run(context.Background(), opts), "login")
			got := startURLRE.ReplaceAllString(e.ErrOut.String(), "<URL>")
			got = clitest.MaskItemIDs(got)
			got = strings.ReplaceAll(got, e.Dir, "<DIR>")
			if code != tc.code || got != tc.stderr {
				t.Fatalf("exit %d, stderr:\n%s\nwant %d:\n%s", code, got, tc.code, tc.stderr)
			}
			if e.Out.Len() != 0 {
				t.Fatalf("stdout %q", e.Out)
			}
			l, _ := store.New(e.Dir, e.Keys).WithTokenCache(store.NoTokenCache{}).Login("default")
			m, err := l.Metadata()
			if (tc.code == 0) != (err == nil) || (err == nil && (m.Storage == store.StorageFile) != tc.insecure) {
				t.Fatalf("stored metadata %+v, %v", m, err)
			}
		})
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
