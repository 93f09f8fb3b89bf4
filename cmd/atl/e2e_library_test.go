package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
)

func TestE2EAdviceNamesTheProfile(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	// With --profile, and with ATL_PROFILE: the advice names it both ways.
	for _, args := range [][]string{{"--profile", "work", "token"}, {"token"}} {
		e.env["ATL_PROFILE"] = "work"
		if args[0] == "--profile" {
			e.env["ATL_PROFILE"] = e.profile
		}
		out, errOut, code := e.run(args...)
		want := "atl: not logged in (profile \"work\"); run `atl login --profile work`\n"
		if code != 4 || out != "" || errOut != want {
			t.Fatalf("atl %v: exit %d, stdout %q, stderr %q; want 4 and %q", args, code, out, errOut, want)
		}
	}
	delete(e.env, "ATL_PROFILE")
	if e.env["ATL_CONFIG_DIR"] == "" {
		t.Fatal("test setup")
	}
	_, errOut, code := e.run("whoami")
	if code != 4 || errOut != "atl: not logged in; run `atl login`\n" {
		t.Fatalf("default profile: exit %d, stderr %q", code, errOut)
	}
}

func TestE2EARefreshTokenGoesOnlyToItsOwnServer(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.login()
	e.expire()
	e.srv.ResetCounts()
	collector := authtest.NewServer(authtest.Options{ClientID: "e2e-client"})
	defer collector.Close()
	e.env["ATL_AUTH_URL"] = collector.URL()
	for _, cmd := range []string{"token", "whoami"} {
		out, errOut, code := e.run(cmd)
		want := "atl: ATL_AUTH_URL is " + collector.URL() + ", but this login was made with auth server " + e.srv.URL() +
			"; unset ATL_AUTH_URL, or run `atl login --profile " + e.profile + "` to sign in with it\n"
		if code != 2 || out != "" || errOut != want {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q; want 2 and %q", cmd, code, out, errOut, want)
		}
	}
	if collector.Count("token") != 0 || e.srv.Count("token") != 0 || e.srv.Count("myself") != 0 {
		t.Fatal("a token was sent")
	}
	e.env["ATL_AUTH_URL"] = e.srv.URL() + "/"
	if _, errOut, code := e.run("token"); code != 0 {
		t.Fatalf("the login's own server (with a slash): exit %d: %s", code, errOut)
	}
}

// libraryProgram uses only the four calls of the Go API.
const libraryProgram = `package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/atl-cli/atl/auth"
)

func main() {
	ctx := context.Background()
	s, err := auth.Open("")
	if err != nil {
		fail(err)
	}
	site, err := s.Site()
	if err != nil {
		fail(err)
	}
	tok, err := s.TokenSource(ctx).Token()
	if err != nil {
		fail(err)
	}
	resp, err := s.Client(ctx).Get(site.JiraURL() + "/rest/api/3/myself")
	if err != nil {
		fail(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		fail(fmt.Errorf("myself: %s: %s", resp.Status, body))
	}
	fmt.Println(tok.AccessToken)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "program:", err)
	os.Exit(1)
}
`

// buildLibraryProgram builds libraryProgram as a module of its own that
// requires atl through a replace directive pointing at this checkout.
func buildLibraryProgram(t *testing.T) string {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	goMod := "module example.com/atlclient\n\ngo 1.26\n\nrequire github.com/atl-cli/atl v0.0.0\n\nreplace github.com/atl-cli/atl => " + repo + "\n"
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"go.mod": goMod, "go.sum": string(sum), "main.go": libraryProgram} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "atlclient")
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", bin, "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return bin
}

func TestE2EAGoProgramSharesTheLoginWithTheCLI(t *testing.T) {
	bin := buildLibraryProgram(t)
	e := newE2E(t, authtest.Options{})
	e.login()
	// The access token is in its last minute: the program refreshes.
	m, g, err := e.stored().Load()
	if err != nil {
		t.Fatal(err)
	}
	g.Expiry = time.Now().Add(30 * time.Second)
	if err := e.stored().SaveRefreshed(m, g); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetCounts()

	prog := exec.CommandContext(t.Context(), bin)
	prog.Env = e.environ()
	out, err := prog.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("program: %v\n%s", err, stderr)
	}
	printed := strings.TrimSpace(string(out))
	if n := e.srv.Count("token:refresh_token"); n != 1 {
		t.Fatalf("the program made %d refreshes, want 1", n)
	}
	if n := e.srv.Count("myself"); n != 1 {
		t.Fatalf("the program called myself %d times, want 1", n)
	}
	if printed == g.AccessToken || printed != e.grant().AccessToken {
		t.Fatal("the program's token is not the refreshed, stored one")
	}
	// The CLI serves that same token, without another refresh.
	stdout, errOut, code := e.run("token")
	if code != 0 || stdout != printed+"\n" {
		t.Fatalf("atl token: exit %d, %q; want the program's token (%s)", code, stdout, errOut)
	}
	if n := e.srv.Count("token"); n != 1 {
		t.Fatalf("token requests = %d, want 1", n)
	}
	if e.srv.GrantRevoked() {
		t.Fatal("the grant was revoked")
	}
	if _, errOut, code := e.run("whoami"); code != 0 {
		t.Fatalf("whoami afterwards: exit %d: %s", code, errOut)
	}
}
