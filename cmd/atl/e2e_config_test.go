package main

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/atl-cli/atl/auth/authtest"
)

// Thirty `atl config set` processes at once, each setting a value of its
// own: three of them change client-id, callback-url and scopes, the other
// 27 site. Every setting ends with a value written for it. A process that
// read config.json before another wrote it and saved its own change on
// top would undo that one (as atl did before config.json was changed
// under a lock, losing about half).
func TestE2EConcurrentConfigSetsAreAllKept(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	keys := []string{"client-id", "callback-url", "scopes", "site"}
	const n = 30
	values := map[string][]string{}
	type run struct{ key, value string }
	var runs []run
	for i := range n {
		key := "site"
		switch i {
		case 8, 15, 22:
			key = keys[(i-8)/7]
		}
		var v string
		switch key {
		case "callback-url":
			v = fmt.Sprintf("http://127.0.0.1:%d/callback", authtest.FreePort(t))
		case "scopes":
			v = fmt.Sprintf("offline_access read:scope-%d", i)
		default:
			v = fmt.Sprintf("%s-%d", key, i)
		}
		values[key] = append(values[key], v)
		runs = append(runs, run{key, v})
	}
	var wg sync.WaitGroup
	failures := make(chan string, n)
	for _, r := range runs {
		wg.Go(func() {
			if _, errOut, code := e.run("config", "set", r.key, r.value); code != 0 {
				failures <- fmt.Sprintf("config set %s: exit %d: %s", r.key, code, errOut)
			}
		})
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	for _, key := range keys {
		out, errOut, code := e.run("config", "get", key)
		got := strings.TrimSuffix(out, "\n")
		if code != 0 || !slices.Contains(values[key], got) {
			t.Errorf("%s = %q (exit %d, %s): a change was lost; want one of %q", key, got, code, errOut, values[key])
		}
	}
}

// A client secret kept with `atl config set client-secret` is for the auth
// server in use when it was kept: a login at another (ATL_AUTH_URL
// pointing elsewhere) sends it no secret.
func TestE2EAKeptClientSecretGoesToNoOtherAuthServer(t *testing.T) {
	if !realKeychain() {
		t.Skip("keeps a client secret in the real keychain (ATL_TEST_KEYRING=1, as scripts/test sets)")
	}
	e := newE2E(t, authtest.Options{})
	collector := authtest.NewServer(authtest.Options{ClientID: "e2e-client", RedirectURI: e.callback})
	defer collector.Close()
	secret := e.env["ATL_CLIENT_SECRET"]
	delete(e.env, "ATL_CLIENT_SECRET")
	keep := e.command("config", "set", "client-secret")
	keep.Stdin = strings.NewReader(secret + "\n")
	if b, err := keep.CombinedOutput(); err != nil || !strings.Contains(string(b), "for logins at "+e.srv.URL()+" only") {
		t.Fatalf("config set client-secret: %v %s", err, b)
	}
	t.Cleanup(func() { // t.Context is done by now
		cmd := exec.Command(atlBin, "config", "unset", "client-secret")
		cmd.Env = e.environ()
		_ = cmd.Run()
	})
	if out, _, code := e.run("config", "get", "client-secret"); code != 0 || out != "(set in the keychain for e2e-client at "+e.srv.URL()+")\n" {
		t.Fatalf("config get client-secret: exit %d, %q", code, out)
	}

	e.env["ATL_AUTH_URL"], e.env["ATL_API_URL"] = collector.URL(), collector.URL()
	if out, _, _ := e.run("config", "get", "client-secret"); !strings.Contains(out, "; not sent to "+collector.URL()+")") {
		t.Fatalf("config get client-secret at another server: %q", out)
	}
	e.login()
	if collector.Count("token") == 0 || collector.LastTokenRequest().Has("client_secret") || strings.Contains(collector.LastTokenRequest().Encode(), secret) {
		t.Fatalf("the collector had %d token requests, the last with client_secret %q", collector.Count("token"), collector.LastTokenRequest().Get("client_secret"))
	}

	// At the server it was kept for, the login sends it.
	e.env["ATL_AUTH_URL"], e.env["ATL_API_URL"] = e.srv.URL(), e.srv.URL()
	e.login()
	if got := e.srv.LastTokenRequest().Get("client_secret"); got != secret {
		t.Fatalf("the login at its own server sent client_secret %q", got)
	}
}
