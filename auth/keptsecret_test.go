package auth_test

import (
	"strings"
	"testing"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

// A client secret kept with `atl config set client-secret` goes with
// logins at the auth server it was kept for, and to no other.
func TestAKeptClientSecretGoesOnlyToItsAuthServer(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{})
	delete(e.env, "ATL_CLIENT_SECRET")
	st := store.New(e.dir, e.keys).WithTokenCache(e.cache)
	// Kept for the test server (written as ATL_AUTH_URL was, with a
	// trailing slash and an upper-case host): used.
	if err := st.SetClientSecret("app-1", strings.ToUpper(e.srv.URL())+"/", "app-1-secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.login(); err != nil {
		t.Fatalf("login with the secret kept for its server: %v", err)
	}
	if got := e.srv.LastTokenRequest().Get("client_secret"); got != "app-1-secret" {
		t.Fatalf("client_secret %q", got)
	}

	// Kept for Atlassian's server: ATL_AUTH_URL pointing elsewhere gets
	// no secret (and the login fails there, as the app needs one).
	if err := st.SetClientSecret("app-1", auth.DefaultAuthURL, "app-1-secret"); err != nil {
		t.Fatal(err)
	}
	l, _ := st.Login("default")
	if _, err := l.Delete(); err != nil { // no login's own secret to fall back on
		t.Fatal(err)
	}
	e.srv.ResetCounts()
	if _, err := e.login(); err == nil {
		t.Fatal("a login without the app's secret succeeded")
	}
	if e.srv.Count("token") != 1 {
		t.Fatalf("%d token requests", e.srv.Count("token"))
	}
	if q := e.srv.LastTokenRequest(); q.Has("client_secret") {
		t.Fatalf("the secret kept for %s was sent to %s", auth.DefaultAuthURL, e.srv.URL())
	}
}

// accounts is a keychain that notes the account of each item written.
type accounts struct {
	*storetest.Memory
	written []string
}

func (a *accounts) Set(service, user, value string) error {
	a.written = append(a.written, user)
	return a.Memory.Set(service, user, value)
}

// A client secret kept before servers were recorded belongs to
// Atlassian's auth server only, as a grant of that time does.
func TestAClientSecretKeptBeforeServersWereRecordedBelongsToAtlassian(t *testing.T) {
	e := newLoginEnv(t, authtest.Options{})
	delete(e.env, "ATL_CLIENT_SECRET")
	// Where atl keeps the secret, an atl from before kept the bare secret.
	keys := &accounts{Memory: e.keys}
	if err := store.New(e.dir, keys).SetClientSecret("app-1", e.srv.URL(), "app-1-secret"); err != nil || len(keys.written) != 1 {
		t.Fatal(err, keys.written)
	}
	if err := e.keys.Set("atl", keys.written[0], "app-1-secret"); err != nil {
		t.Fatal(err)
	}
	if k, err := store.New(e.dir, e.keys).ClientSecret("app-1"); err != nil || k.AuthURL != "" || k.Secret != "app-1-secret" {
		t.Fatalf("the old item reads as %+v, %v", k, err)
	}
	if _, err := e.login(); err == nil {
		t.Fatal("a login without the app's secret succeeded")
	}
	if q := e.srv.LastTokenRequest(); q.Has("client_secret") {
		t.Fatalf("a secret kept with no server was sent to %s", e.srv.URL())
	}
}
