package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
)

// needKeychain skips a test of a service account's login where the real
// keychain is not set up: its client secret is never kept in a file, so
// the insecure storage the other tests fall back on is no stand-in.
func needKeychain(t *testing.T) {
	t.Helper()
	if !realKeychain() {
		t.Skip("keeps a service account's client secret in the real keychain (ATL_TEST_KEYRING=1, as scripts/test sets)")
	}
}

// loginServiceAccount logs the test's profile in as a service account,
// its site named by args (--site ...), and fails the test unless it works.
func (e *e2e) loginServiceAccount(args ...string) {
	e.t.Helper()
	out, errOut, code := e.run(append([]string{"login", "--service-account"}, args...)...)
	if code != 0 || out != "" {
		e.t.Fatalf("atl login --service-account: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// A service account signs in with its client credentials: no browser, no
// listener (its callback port may be taken), no refresh token; then
// token, api and whoami work as for a person's login.
func TestE2EAServiceAccountLogsInWithoutABrowserOrListener(t *testing.T) {
	needKeychain(t)
	e := newE2E(t, authtest.Options{})
	e.env["ATL_BROWSER"] = "false" // any browser opened fails the test below
	taken, err := net.Listen("tcp", strings.TrimSuffix(strings.TrimPrefix(e.callback, "http://"), "/callback"))
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	_, errOut, code := e.run("login", "--service-account", "--site", e.srv.URL())
	want := "Logged in to " + e.srv.URL() + " as service account CI bot (client id e2e-client). Its client secret and token are in the system keychain"
	if code != 0 || !strings.Contains(errOut, want) {
		t.Fatalf("login: exit %d, stderr %q", code, errOut)
	}
	if e.srv.Count("authorize") != 0 || e.srv.Count("token") != 1 || e.srv.Count("token:client_credentials") != 1 || e.srv.Count("tenant_info") != 1 {
		t.Fatalf("requests: authorize %d, token %d, client credentials %d, tenant_info %d",
			e.srv.Count("authorize"), e.srv.Count("token"), e.srv.Count("token:client_credentials"), e.srv.Count("tenant_info"))
	}
	m, g, err := e.stored().Load()
	if err != nil || m.Kind != store.KindServiceAccount || m.Site.ID != authtest.DefaultSiteID || g.RefreshToken != "" || g.ClientSecret != "e2e-client-secret-value" {
		t.Fatalf("stored %+v, %v", m, err)
	}

	out, errOut, code := e.run("whoami")
	if code != 0 || !strings.HasPrefix(out, "CI bot (service account "+authtest.DefaultServiceAccountID+") on "+e.srv.URL()+"\n") ||
		!strings.Contains(out, "  login:   a service account's (OAuth 2.0 client credentials): no refresh token, no end\n") {
		t.Fatalf("whoami: exit %d: %s%s", code, out, errOut)
	}
	out, _, code = e.run("whoami", "--json")
	var who struct {
		ServiceAccount bool   `json:"service_account"`
		ConsentedAt    string `json:"consented_at"`
		LoginExpiresAt string `json:"login_expires_at"`
	}
	if err := json.Unmarshal([]byte(out), &who); err != nil || code != 0 || !who.ServiceAccount || who.ConsentedAt != "" || who.LoginExpiresAt != "" {
		t.Fatalf("whoami --json: %v %s", err, out)
	}
	if out, errOut, code := e.run("token"); code != 0 || out != g.AccessToken+"\n" || errOut != "" {
		t.Fatalf("token: exit %d, stderr %q", code, errOut)
	}
	if out, errOut, code := e.run("api", "rest/api/3/myself", "--jq", ".accountId"); code != 0 || out != authtest.DefaultServiceAccountID+"\n" {
		t.Fatalf("api: exit %d: %s%s", code, out, errOut)
	}
	if n := e.srv.Count("token"); n != 1 {
		t.Fatalf("%d token requests in all, want the login's only", n)
	}
}

// 50 atl token at once at the expiry of a service account's token: one
// mints a new one from the client credentials, under the lock; the others
// find it in the token cache (or the keychain) and print it.
func TestE2EFiftyServiceAccountTokensAtExpiryMintOnce(t *testing.T) {
	needKeychain(t)
	e := newE2E(t, authtest.Options{ServiceSitesListed: true})
	e.loginServiceAccount()
	first := e.grant()
	e.expire()
	e.srv.ResetCounts()
	const n = 50
	outs, errs, codes := e.runAtOnce(n, "token")
	for i := range n {
		if codes[i] != 0 || outs[i] != outs[0] {
			t.Fatalf("process %d: exit %d, same token %v: %s", i, codes[i], outs[i] == outs[0], errs[i])
		}
	}
	if got := e.srv.Count("token"); got != 1 || e.srv.Count("token:client_credentials") != 1 {
		t.Fatalf("%d token requests, want exactly 1 (client credentials)", got)
	}
	second := e.grant()
	if outs[0] != second.AccessToken+"\n" || second.AccessToken == first.AccessToken || second.RefreshToken != "" {
		t.Fatal("the printed token is not the new, stored one")
	}
}

// A stored service account whose secret Atlassian refuses: exit 4, one
// line naming the service account, nothing printed.
func TestE2EARefusedServiceAccountSecretExits4(t *testing.T) {
	needKeychain(t)
	e := newE2E(t, authtest.Options{ServiceSitesListed: true})
	e.loginServiceAccount()
	e.expire()
	e.srv.InjectTokenFaults(authtest.Fault{Status: 401, Body: `{"error":"invalid_client","error_description":"Unauthorized"}`})
	out, errOut, code := e.run("token")
	want := `atl: Atlassian refused the client secret of service account "CI bot" (client id e2e-client): HTTP 401 invalid_client (profile "` + e.profile + `"); if its secret changed, run ` +
		"`atl login --profile " + e.profile + " --service-account` with the new one\n"
	if code != 4 || out != "" || errOut != want {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 4 and %q", code, out, errOut, want)
	}
}

// runLibraryProgram runs the Go program of libraryProgram (bin) in the
// test's environment and returns the token it printed.
func (e *e2e) runLibraryProgram(bin string) string {
	e.t.Helper()
	prog := exec.CommandContext(e.t.Context(), bin)
	prog.Env = e.environ()
	var stderr bytes.Buffer
	prog.Stderr = &stderr
	out, err := prog.Output()
	if err != nil {
		e.t.Fatalf("program: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// The Go library serves a service account's login through the same
// Session, TokenSource and Client: at expiry it mints a new token, which
// the CLI then serves too.
func TestE2EAGoProgramSharesAServiceAccountsLogin(t *testing.T) {
	needKeychain(t)
	bin := buildLibraryProgram(t)
	e := newE2E(t, authtest.Options{ServiceSitesListed: true})
	e.loginServiceAccount()
	m, g, err := e.stored().Load()
	if err != nil {
		t.Fatal(err)
	}
	g.Expiry = time.Now().Add(30 * time.Second) // in its last minute
	if err := e.stored().SaveRefreshed(m, g); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetCounts()
	printed := e.runLibraryProgram(bin)
	if e.srv.Count("token:client_credentials") != 1 || e.srv.Count("token") != 1 || e.srv.Count("myself") != 1 {
		t.Fatalf("requests: client credentials %d, token %d, myself %d", e.srv.Count("token:client_credentials"), e.srv.Count("token"), e.srv.Count("myself"))
	}
	if printed == g.AccessToken || printed != e.grant().AccessToken {
		t.Fatal("the program's token is not the new, stored one")
	}
	if out, errOut, code := e.run("token"); code != 0 || out != printed+"\n" || e.srv.Count("token") != 1 {
		t.Fatalf("atl token: exit %d, %q (%s)", code, out, errOut)
	}
}

// The Go library takes client credentials from the environment too
// (ATL_GRANT, in auth.FromEnv): nothing stored, no keychain.
func TestE2EAGoProgramUsesClientCredentialsFromTheEnvironment(t *testing.T) {
	bin := buildLibraryProgram(t)
	e := newE2E(t, authtest.Options{})
	e.env["ATL_GRANT"], e.env["ATL_SITE"] = "client_credentials", authtest.DefaultSiteID
	e.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/bus"
	t.Cleanup(func() {
		if _, err := store.New(e.dir, nil).DropClientToken("e2e-client", e.srv.URL()); err != nil {
			t.Error(err)
		}
	})
	printed := e.runLibraryProgram(bin)
	if printed == "" || e.srv.Count("token:client_credentials") != 1 || e.srv.Count("myself") != 1 {
		t.Fatalf("requests: client credentials %d, myself %d", e.srv.Count("token:client_credentials"), e.srv.Count("myself"))
	}
	e.notStored()
}
