package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atl-cli/atl/auth/authtest"
)

// These tests run third-party Jira client libraries against atl proxy, as
// people would: the Python jira library (Debian's python3-jira, run by
// ATL_TEST_PYTHON) and jira.js (npm, in ATL_TEST_JIRAJS/node_modules).
// scripts/test installs both and sets the variables.

// clientEnv is the environment of a client library: the test's, without
// atl's settings, with the proxy's key.
func (p *proxyProc) clientEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ATL_") {
			env = append(env, kv)
		}
	}
	return append(env, "JIRA_PROXY_KEY="+p.key)
}

func TestE2EProxyWithPythonJira(t *testing.T) {
	python := os.Getenv("ATL_TEST_PYTHON")
	if python == "" {
		t.Skip("set ATL_TEST_PYTHON to a python3 with the jira library (scripts/test installs python3-jira)")
	}
	e := newProxyE2E(t, authtest.Options{})
	p := e.proxy()
	script, _ := filepath.Abs("testdata/proxy_jira.py")
	cmd := exec.CommandContext(t.Context(), python, script, p.url)
	cmd.Env = p.clientEnv()
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if lines.Text() == "ready" {
			e.srv.ResetCounts()
			e.srv.ExpireAccessTokens() // the edit comes after the expiry
			stdin.Write([]byte("\n"))
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), errOut.String())
	}
	want := "server " + p.url + "\n" + // the site's own address, rewritten
		"myself Ada Lovelace\n" +
		"search P1-1,P1-2,P1-3,P1-4,P1-5\n" +
		"issue P1-2 Issue 2 " + p.url + "/rest/api/2/issue/20001\n" +
		"ready\n" +
		"edited Renamed through atl proxy Renamed through atl proxy\n"
	if out.String() != want {
		t.Fatalf("python3-jira printed:\n%s\nwant:\n%s\nstderr: %s", out.String(), want, errOut.String())
	}
	if e.srv.Count("token:refresh_token") != 1 || e.srv.Count("edit-issue") != 2 {
		t.Fatalf("%d refreshes, %d edits (one refused, one sent again)", e.srv.Count("token:refresh_token"), e.srv.Count("edit-issue"))
	}
}

func TestE2EProxyWithJiraJS(t *testing.T) {
	modules := os.Getenv("ATL_TEST_JIRAJS")
	if modules == "" {
		t.Skip("set ATL_TEST_JIRAJS to a directory whose node_modules has jira.js (scripts/test installs it)")
	}
	e := newProxyE2E(t, authtest.Options{})
	p := e.proxy()
	dir := t.TempDir() // the script beside the modules, as node resolves them
	src, err := os.ReadFile("testdata/proxy_jira.mjs")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "proxy_jira.mjs"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(modules, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	e.srv.ExpireAccessTokens() // the session starts after the expiry
	cmd := exec.CommandContext(t.Context(), "node", filepath.Join(dir, "proxy_jira.mjs"), p.url)
	cmd.Env = p.clientEnv()
	out, err := cmd.CombinedOutput()
	self := p.url + "/rest/api/3/user?accountId=" + authtest.DefaultAccountID
	want := "myself Ada Lovelace " + self + "\n" +
		"projects P1,P2 " + p.url + "/rest/api/3/project/search?maxResults=2\n" +
		"issue P1-2 Issue 2\n" +
		"self 200 " + authtest.DefaultAccountID + "\n"
	if err != nil || string(out) != want {
		t.Fatalf("jira.js: %v\n%s\nwant:\n%s", err, out, want)
	}
	if e.srv.Count("token:refresh_token") != 1 || e.srv.Count("user") != 1 {
		t.Fatalf("%d refreshes, %d self links followed", e.srv.Count("token:refresh_token"), e.srv.Count("user"))
	}
}
