package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

func TestAGrantIsUsedOnlyWithItsOwnServerAndClient(t *testing.T) {
	for _, tc := range []struct {
		env, value string
		want       string // "" = allowed
	}{
		{"ATL_AUTH_URL", "https://auth.example.test", "the auth URL https://auth.example.test is not this login's, %s"},
		{"ATL_AUTH_URL", "%s/", ""},
		{"ATL_AUTH_URL", "%S", ""}, // scheme and host in another case
		{"ATL_CLIENT_ID", "another-client", "the client id another-client is not this login's, client-1"},
		{"ATL_CLIENT_ID", "client-1", ""},
	} {
		f := newFixture(t, authtest.Options{})
		f.clock.Advance(2 * 3600e9) // a refresh is due: it must not be sent
		value := tc.value
		switch value {
		case "%s/":
			value = f.srv.URL() + "/"
		case "%S":
			value = "HTTP://" + f.srv.URL()[len("http://"):]
		}
		f.setenv(tc.env, value)
		_, err := f.token()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s=%s: %v", tc.env, value, err)
			}
			continue
		}
		want := tc.want
		if tc.env == "ATL_AUTH_URL" {
			want = "the auth URL https://auth.example.test is not this login's, " + f.srv.URL()
		}
		var ce *auth.ConfigError
		if !errors.As(err, &ce) || err.Error() != want || ce.Setting != map[string]string{"ATL_AUTH_URL": "auth URL", "ATL_CLIENT_ID": "client id"}[tc.env] || ce.Stored == "" {
			t.Errorf("%s=%s: err = %v, want ConfigError %q", tc.env, value, err, want)
		}
		if n := f.srv.Count("token"); n != 0 {
			t.Errorf("%s=%s: the refresh token was sent (%d requests)", tc.env, value, n)
		}
		// Client refuses too, before any request.
		if _, err := f.session().Client(context.Background()).Get(f.srv.URL() + "/me"); !errors.As(err, &ce) {
			t.Errorf("%s=%s: Client: %v", tc.env, value, err)
		}
		if n := f.srv.Count("me"); n != 0 {
			t.Errorf("%s=%s: the access token was sent", tc.env, value)
		}
	}
}

func TestAPIURLFromTheEnvironmentComesFirst(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	api := newAPIRecorder(t)
	f.setenv("ATL_API_URL", api.URL+"/")
	resp, err := f.session().Client(context.Background()).Get(auth.DefaultAPIURL + "/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen := api.requests(); len(seen) != 1 || seen[0].path != "/me" || seen[0].auth == "" {
		t.Fatalf("the API in ATL_API_URL saw %+v", seen)
	}
	f.setenv("ATL_API_URL", "ftp://nowhere")
	var ce *auth.ConfigError
	if _, err := f.token(); !errors.As(err, &ce) || ce.Setting != "API URL" {
		t.Fatalf("a bad ATL_API_URL: %v", err)
	}
}

func TestOpenWithABadProfileName(t *testing.T) {
	for _, name := range []string{"../etc", "a/b", ".hidden", "x.tokens"} {
		_, err := auth.OpenWith(auth.Options{Profile: name, ConfigDir: t.TempDir()})
		var ce *auth.ConfigError
		if !errors.As(err, &ce) || ce.Setting != "profile" || ce.Value != name {
			t.Errorf("OpenWith(%q) = %v, want a ConfigError", name, err)
		}
	}
}

func TestOpenTakesTheProfileFromTheEnvironment(t *testing.T) {
	env := map[string]string{"ATL_PROFILE": "work", "ATL_CONFIG_DIR": t.TempDir()}
	getenv := func(k string) string { return env[k] }
	s, err := auth.OpenWith(auth.FromEnv(getenv))
	if err != nil || s.Profile() != "work" {
		t.Fatalf("OpenWith = %v, %v", s, err)
	}
	o := auth.FromEnv(getenv)
	o.Profile = "flag"
	s, err = auth.OpenWith(o)
	if err != nil || s.Profile() != "flag" {
		t.Fatalf("OpenWith with a profile = %v, %v", s, err)
	}
	delete(env, "ATL_PROFILE")
	s, err = auth.OpenWith(auth.FromEnv(getenv))
	if err != nil || s.Profile() != "default" {
		t.Fatalf("OpenWith without one = %v, %v", s, err)
	}
	var lr *auth.LoginRequiredError
	if _, err := s.Site(); !errors.As(err, &lr) || lr.Profile != "default" || err.Error() != "not logged in" {
		t.Fatalf("Site of no login = %v", err)
	}
	o = auth.FromEnv(getenv)
	o.Profile = "work"
	s, _ = auth.OpenWith(o)
	if _, err := s.Site(); err == nil || err.Error() != `not logged in (profile "work")` {
		t.Fatalf("Site of no login = %v", err)
	}
}

func TestFromEnvReadsEveryVariableOfThePackageDocumentation(t *testing.T) {
	env := map[string]string{
		"ATL_PROFILE": "p", "ATL_CONFIG_DIR": "d", "ATL_CLIENT_ID": "id", "ATL_CLIENT_SECRET": "secret",
		"ATL_CALLBACK_URL": "cb", "ATL_AUTH_URL": "auth", "ATL_API_URL": "api", "ATL_SITE": "site", "ATL_TOKEN": "token",
	}
	got := auth.FromEnv(func(k string) string { return env[k] })
	want := auth.Options{Profile: "p", ConfigDir: "d", ClientID: "id", ClientSecret: "secret",
		CallbackURL: "cb", AuthURL: "auth", APIURL: "api", Site: "site", Token: "token"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("FromEnv = %+v, want %+v", got, want)
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for name := range env {
		if !strings.Contains(string(doc), "//\t"+name+" ") {
			t.Errorf("the package documentation's table does not name %s", name)
		}
	}
}

func TestOpenUsesTheCLIsConfigDirAndProfile(t *testing.T) {
	dir := t.TempDir()
	l, err := store.New(dir, storetest.NewMemory()).Login("work")
	if err != nil {
		t.Fatal(err)
	}
	m := &store.Metadata{ClientID: "c", Site: store.Site{ID: "cloud-1", URL: "https://w.atlassian.net", Name: "w"}, Storage: store.StorageFile}
	if err := l.Save(m, store.Grant{RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ATL_CONFIG_DIR", dir)
	t.Setenv("ATL_PROFILE", "work")
	s, err := auth.Open("")
	if err != nil {
		t.Fatal(err)
	}
	if site, err := s.Site(); err != nil || site.ID != "cloud-1" {
		t.Fatalf("Site = %+v, %v", site, err)
	}
	// Without ATL_CONFIG_DIR: the OS's user config dir, plus "atl".
	home := t.TempDir()
	t.Setenv("ATL_CONFIG_DIR", "")
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home)
	osDir, err := os.UserConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	l, _ = store.New(filepath.Join(osDir, "atl"), storetest.NewMemory()).Login("work")
	m.Site.ID = "cloud-2"
	if err := l.Save(m, store.Grant{RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	s, err = auth.Open("")
	if err != nil {
		t.Fatal(err)
	}
	if site, err := s.Site(); err != nil || site.ID != "cloud-2" {
		t.Fatalf("without ATL_CONFIG_DIR: Site = %+v, %v", site, err)
	}
}
