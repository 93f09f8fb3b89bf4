package auth_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
)

func TestServersMustUseHTTPSExceptOnLoopback(t *testing.T) {
	for _, tc := range []struct {
		env, value string
		ok         bool
	}{
		{"ATL_API_URL", "http://api.example.test", false},
		{"ATL_API_URL", "http://10.0.0.1:8080", false},
		{"ATL_API_URL", "ftp://api.example.test", false},
		{"ATL_API_URL", "https://api.example.test/", true},
		{"ATL_API_URL", "http://localhost:9", true},
		{"ATL_API_URL", "http://[::1]:9", true},
		{"ATL_API_URL", "http://127.1.2.3:9", true},
	} {
		f := newFixture(t, authtest.Options{})
		f.setenv(tc.env, tc.value)
		_, err := f.session().Client(context.Background()).Get("https://api.atlassian.com/me")
		var ce *auth.ConfigError
		isConfig := errors.As(err, &ce)
		if tc.ok == isConfig {
			t.Errorf("%s=%s: %v", tc.env, tc.value, err)
		}
		if !tc.ok && (ce.Setting != "API URL" || !strings.Contains(err.Error(), tc.value)) {
			t.Errorf("%s=%s: %v does not name it", tc.env, tc.value, err)
		}
		if !tc.ok && strings.HasPrefix(tc.value, "http://") && !strings.Contains(err.Error(), "must use https") {
			t.Errorf("%s=%s: %q does not say https is required", tc.env, tc.value, err)
		}
	}
	e := newLoginEnv(t, authtest.Options{})
	e.env["ATL_AUTH_URL"] = "http://auth.example.test"
	_, err := e.login()
	var ce *auth.ConfigError
	if !errors.As(err, &ce) || ce.Setting != "auth URL" || err.Error() != `auth URL "http://auth.example.test" must use https (plain http only for a loopback address)` {
		t.Fatalf("login with a plain http auth server: %v", err)
	}
	if e.browsed.Load() != 0 {
		t.Fatal("the browser was opened")
	}
}

func TestAnEditedMetadataFileCannotRedirectTheSecrets(t *testing.T) {
	collector := authtest.NewServer(authtest.Options{ClientID: "client-1"})
	defer collector.Close()
	for _, field := range []string{"auth_url", "api_url"} {
		f := newFixture(t, authtest.Options{})
		f.clock.Advance(2 * time.Hour) // a refresh is due
		path := filepath.Join(f.dir, "profiles", "default.json")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		edited := strings.Replace(string(b), `"`+field+`": "`+f.srv.URL()+`"`, `"`+field+`": "`+collector.URL()+`"`, 1)
		if edited == string(b) {
			t.Fatal("test setup: field not found")
		}
		if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = f.token()
		var lr *auth.LoginRequiredError
		if !errors.As(err, &lr) || !errors.Is(err, store.ErrForeignGrant) {
			t.Fatalf("%s edited: %v, want LoginRequiredError", field, err)
		}
		if _, err := f.session().Client(context.Background()).Get(collector.URL() + "/me"); err == nil && collector.Count("me") != 0 {
			t.Fatalf("%s edited: the access token went to the collector", field)
		}
		if collector.Count("token") != 0 || f.srv.Count("token") != 0 {
			t.Fatalf("%s edited: a token request was sent", field)
		}
	}
}

func TestAGrantFromBeforeServersWereKeptBelongsToAtlassian(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	// A version 1 grant names no servers: only Atlassian's are trusted
	// with it, so a metadata file naming another one is refused.
	loc := f.login().Location(store.StorageKeychain)
	g := f.grant()
	v1 := `{"v":1,"refresh_token":"` + g.RefreshToken + `","access_token":"` + g.AccessToken + `","expiry":"` + g.Expiry.Format(time.RFC3339) + `"}`
	if err := f.keys.Set(loc.Service, loc.Account, v1); err != nil {
		t.Fatal(err)
	}
	_, err := f.token()
	var lr *auth.LoginRequiredError
	if !errors.As(err, &lr) || !strings.Contains(err.Error(), "its tokens belong to https://auth.atlassian.com") {
		t.Fatalf("a v1 grant with a test server's metadata: %v", err)
	}
}

func TestTokenRequestsFollowNoRedirect(t *testing.T) {
	collector := authtest.NewServer(authtest.Options{ClientID: "client-1"})
	defer collector.Close()
	f := newFixture(t, authtest.Options{})
	before := f.grant()
	f.srv.InjectTokenFaults(authtest.Fault{Status: http.StatusTemporaryRedirect, Header: map[string]string{"Location": collector.URL() + "/oauth/token"}})
	f.clock.Advance(2 * time.Hour)
	_, err := f.token()
	var te *auth.TokenError
	if !errors.As(err, &te) || te.Status != http.StatusTemporaryRedirect || te.Retryable() {
		t.Fatalf("err = %v, want a TokenError with the 307", err)
	}
	if collector.Count("token") != 0 {
		t.Fatal("the refresh token and client secret were re-sent to the redirect's target")
	}
	f.assertUntouched(before)
}

func TestAPIRequestsNeverDowngrade(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	plain := newAPIRecorder(t)
	var tlsHits []string
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tlsHits = append(tlsHits, r.URL.Path+" "+r.Header.Get("Authorization"))
		switch r.URL.Path {
		case "/downgrade":
			http.Redirect(w, r, plain.URL+"/landed", http.StatusFound)
		case "/moved":
			http.Redirect(w, r, "/here", http.StatusFound)
		}
	}))
	defer api.Close()
	f.setenv("ATL_API_URL", api.URL)
	s := f.session(func(o *auth.Options) {
		o.HTTPClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: api.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}}}
	})
	hc := s.Client(context.Background())
	if _, err := hc.Get(api.URL + "/downgrade"); err == nil || !strings.Contains(err.Error(), "refusing a redirect from https to http") {
		t.Fatalf("a redirect to http: %v", err)
	}
	if len(plain.requests()) != 0 {
		t.Fatal("the plain http server was asked")
	}
	resp, err := hc.Get(api.URL + "/moved")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(tlsHits) != 3 || !strings.HasPrefix(tlsHits[2], "/here Bearer ") {
		t.Fatalf("the API saw %q; want the redirect within it followed with the token", tlsHits)
	}
}

func TestServerStringsAreCheckedOnTheWayIn(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault authtest.Fault
	}{
		{"escape in the access token", authtest.Fault{Status: 200, Body: `{"access_token":"a\u001b]0;x\u0007","refresh_token":"r","expires_in":3600,"token_type":"Bearer"}`}},
		{"space in the refresh token", authtest.Fault{Status: 200, Body: `{"access_token":"a","refresh_token":"r r","expires_in":3600,"token_type":"Bearer"}`}},
		{"escape in the scope", authtest.Fault{Status: 200, Body: `{"access_token":"a","refresh_token":"r","expires_in":3600,"token_type":"Bearer","scope":"read:me \u001b[2J"}`}},
		{"quote in the scope", authtest.Fault{Status: 200, Body: `{"access_token":"a","refresh_token":"r","expires_in":3600,"token_type":"Bearer","scope":"read:\"me"}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, authtest.Options{})
			before := f.grant()
			f.srv.InjectTokenFaults(tc.fault)
			f.clock.Advance(2 * time.Hour)
			_, err := f.token()
			var te *auth.TokenError
			if !errors.As(err, &te) || te.Retryable() || strings.ContainsAny(err.Error(), "\x1b\x07") {
				t.Fatalf("err = %q, want a malformed-response TokenError", err)
			}
			f.assertUntouched(before)
		})
	}
}

func TestLoginChecksSitesAndAccount(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts authtest.Options
		want string
	}{
		{"a cloud id that is no UUID", authtest.Options{Sites: []authtest.Site{{ID: "1111\x1b[2J", URL: "https://x.atlassian.net", Name: "x"}}}, "cloud id"},
		{"an account id with an escape", authtest.Options{User: authtest.User{AccountID: "5b10\x1b]0;pwned\x07", Name: "n", Email: "e"}}, "account id"},
		{"no account id in Jira's answer", authtest.Options{User: authtest.User{Name: "n", Email: "e"}}, "names no account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newLoginEnv(t, tc.opts)
			_, err := e.login()
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.ContainsAny(err.Error(), "\x1b\x07") || strings.Contains(err.Error(), "%!") {
				t.Fatalf("err = %q, want one about the %s", err, tc.want)
			}
			if e.keys.Len() != 0 {
				t.Fatal("the login was stored")
			}
		})
	}
}

func TestAnInterruptDuringARefreshKeepsTheRotation(t *testing.T) {
	f := newFixture(t, authtest.Options{}) // strict: any reuse revokes the grant
	before := f.grant()
	f.srv.InjectTokenFaults(authtest.Fault{PassThrough: true, Delay: 300 * time.Millisecond})
	f.clock.Advance(2 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel) // while the response is on its way
	_, err := f.session().TokenSource(ctx).Token()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the interrupt", err)
	}
	after := f.grant()
	if after.RefreshToken == before.RefreshToken {
		t.Fatal("the rotated refresh token was lost")
	}
	// The next run uses the stored rotation: no reuse, no revocation.
	f.clock.Advance(2 * time.Hour)
	if _, err := f.token(); err != nil || f.srv.GrantRevoked() {
		t.Fatalf("after the interrupt: %v (revoked %v)", err, f.srv.GrantRevoked())
	}
	// Interrupted before anything was sent: nothing is sent.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	f.clock.Advance(2 * time.Hour)
	n := f.srv.Count("token")
	if _, err := f.session().TokenSource(ctx).Token(); !errors.Is(err, context.Canceled) || f.srv.Count("token") != n {
		t.Fatalf("canceled before: %v, %d requests", err, f.srv.Count("token")-n)
	}
}
