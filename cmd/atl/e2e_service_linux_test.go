//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
)

// CI with nothing stored: ATL_GRANT=client_credentials with a service
// account's client id and secret and ATL_SITE. No keychain (the session
// bus points nowhere), no config directory; the access token is kept in
// the kernel keyring, so 20 atl token in a row make one token request.
func TestE2ECIWithNothingStoredAndNoKeychain(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.env["ATL_CONFIG_DIR"] = filepath.Join(e.dir, "never-made")
	e.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/bus"
	e.env["ATL_GRANT"] = "client_credentials"
	e.env["ATL_SITE"] = e.srv.URL() // the site's URL: its cloud id from /_edge/tenant_info
	t.Cleanup(func() {              // the token it cached, keyed by client id and auth server
		if _, err := store.New(e.dir, nil).DropClientToken("e2e-client", e.srv.URL()); err != nil {
			t.Error(err)
		}
	})
	var first string
	for i := range 20 {
		out, errOut, code := e.run("token")
		if code != 0 || errOut != "" || (i > 0 && out != first) {
			t.Fatalf("token %d: exit %d, same token %v, stderr %q", i+1, code, out == first, errOut)
		}
		first = out
	}
	if n := e.srv.Count("token"); n != 1 || e.srv.Count("token:client_credentials") != 1 {
		t.Fatalf("20 atl token made %d token requests, want 1", n)
	}
	out, errOut, code := e.run("api", "rest/api/3/myself", "--jq", ".accountId")
	if code != 0 || out != authtest.DefaultServiceAccountID+"\n" {
		t.Fatalf("api: exit %d: %s%s", code, out, errOut)
	}
	out, errOut, code = e.run("whoami")
	if code != 0 || !strings.HasPrefix(out, "CI bot (service account ") ||
		!strings.Contains(out, "  stored:  the environment (ATL_GRANT=client_credentials): nothing is stored\n") {
		t.Fatalf("whoami: exit %d: %s%s", code, out, errOut)
	}
	if n := e.srv.Count("token"); n != 1 {
		t.Fatalf("%d token requests in all, want 1", n)
	}
	if _, err := os.Stat(e.env["ATL_CONFIG_DIR"]); !os.IsNotExist(err) {
		t.Fatalf("the config directory was made: %v", err)
	}
	// A token minted with --debug: the trace shows the request, never the
	// secret or the token.
	if _, err := store.New(e.dir, nil).DropClientToken("e2e-client", e.srv.URL()); err != nil {
		t.Fatal(err)
	}
	out, trace, code := e.run("token", "--debug")
	minted := strings.TrimSpace(out)
	if code != 0 || minted == "" || minted+"\n" == first || !strings.Contains(trace, "> POST "+e.srv.URL()+"/oauth/token") || !strings.Contains(trace, "[REDACTED]") ||
		strings.Contains(trace, "e2e-client-secret-value") || strings.Contains(trace, minted) {
		t.Fatalf("token --debug: exit %d, a secret or the token in the trace, or no trace:\n%s", code, trace)
	}
	// A refused secret: exit 4, one line, the variables to fix.
	e.env["ATL_CLIENT_SECRET"] = "rotated"
	out, errOut, code = e.run("token")
	want := "atl: Atlassian refused the client secret of service account e2e-client: HTTP 401 invalid_client; set ATL_CLIENT_ID and ATL_CLIENT_SECRET to the service account's current credential\n"
	if code != 4 || out != "" || errOut != want {
		t.Fatalf("a refused secret: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
