package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
)

// dataScopes are what the data endpoints of the test server need.
const dataScopes = "offline_access read:jira-user read:jira-work write:jira-work read:space:confluence"

func newAPIE2E(t *testing.T, opts authtest.Options) *e2e {
	t.Helper()
	e := newE2E(t, opts)
	e.login("--scopes", dataScopes)
	return e
}

func TestE2EAPICalls(t *testing.T) {
	e := newAPIE2E(t, authtest.Options{})
	out, errOut, code := e.run("api", "rest/api/3/myself")
	if code != 0 || errOut != "" || !strings.HasPrefix(out, `{"accountId":"`+authtest.DefaultAccountID) {
		t.Fatalf("GET myself: exit %d, %q, %q", code, out, errOut)
	}

	// -f and -F build a nested, typed JSON body, POSTed.
	file := filepath.Join(t.TempDir(), "desc.txt")
	if err := os.WriteFile(file, []byte("from a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = e.run("api", "rest/api/3/issue",
		"-f", "fields[project][key]=P1", "-f", "fields[summary]=Disk full", "-F", "fields[priority]=3",
		"-F", "fields[done]=false", "-F", "fields[due]=null", "-F", "labels[]=ops", "-F", "labels[]=1.5",
		"-F", "fields[description]=@"+file, "-H", "X-Trace: e2e")
	if code != 0 || !strings.Contains(out, `"key":"P1-100"`) {
		t.Fatalf("POST issue: exit %d: %q %s", code, out, errOut)
	}
	last := e.srv.LastAPIRequest()
	var sent any
	_ = json.Unmarshal(last.Body, &sent)
	want := `{"fields":{"description":"from a file","done":false,"due":null,"priority":3,"project":{"key":"P1"},"summary":"Disk full"},"labels":["ops",1.5]}`
	if got, _ := json.Marshal(sent); last.Method != "POST" || string(got) != want || last.Header.Get("X-Trace") != "e2e" || last.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("the server got %s %s (headers %v); want %s", last.Method, got, last.Header, want)
	}

	// GET with -f: the fields are the query.
	if _, errOut, code := e.run("api", "-X", "GET", "rest/api/3/search/jql", "-f", "jql=project = P1", "-F", "maxResults=1"); code != 0 {
		t.Fatalf("GET search: %s", errOut)
	}
	if q := e.srv.LastAPIRequest().Query; q.Get("jql") != "project = P1" || q.Get("maxResults") != "1" {
		t.Fatalf("query %v", q)
	}

	// --input: a raw body, from a file or stdin.
	cmd := e.command("api", "-X", "POST", "rest/api/3/issue", "--input", "-")
	cmd.Stdin = strings.NewReader(`{"fields":{"summary":"raw"}}`)
	if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), `"received":{"fields":{"summary":"raw"}}`) {
		t.Fatalf("--input -: %v %s", err, b)
	}

	// -i, --silent, --jq.
	out, _, _ = e.run("api", "-i", "rest/api/3/issue/P1-2")
	if !strings.HasPrefix(out, "HTTP/1.1 200 OK\n") || !strings.Contains(out, "\nContent-Type: application/json\n") || !strings.Contains(out, "\n\n{\"fields\"") {
		t.Fatalf("-i: %q", out)
	}
	if out, _, code := e.run("api", "--silent", "rest/api/3/issue/P1-2"); out != "" || code != 0 {
		t.Fatalf("--silent: %q %d", out, code)
	}
	if out, _, _ := e.run("api", "rest/api/3/issue/P1-2", "--jq", ".fields.summary, .key, .fields"); out != "Issue 2\nP1-2\n{\"summary\":\"Issue 2\"}\n" {
		t.Fatalf("--jq: %q", out)
	}
	if _, errOut, code := e.run("api", "rest/api/3/myself", "--jq", ".["); code != 2 || !strings.HasPrefix(errOut, "atl: --jq: ") {
		t.Fatalf("a bad --jq: %d %q", code, errOut)
	}

	// HTTP >= 400: exit 1, the body on stdout, one line on stderr.
	out, errOut, code = e.run("api", "rest/api/3/issue/NOPE-9")
	if code != 1 || !strings.Contains(out, "Issue does not exist") ||
		errOut != "atl: GET /ex/jira/"+authtest.DefaultSiteID+"/rest/api/3/issue/NOPE-9: HTTP 404 Not Found\n" {
		t.Fatalf("404: exit %d, %q, %q", code, out, errOut)
	}

	// An absolute URL only on the API server.
	if out, _, code := e.run("api", e.srv.URL()+"/ex/jira/"+authtest.DefaultSiteID+"/rest/api/3/issue/P1-1"); code != 0 || !strings.Contains(out, "P1-1") {
		t.Fatalf("absolute URL on the API: %d %q", code, out)
	}
	if _, errOut, code := e.run("api", "https://evil.example/steal"); code != 2 || !strings.Contains(errOut, "not on the API server") {
		t.Fatalf("absolute URL elsewhere: %d %q", code, errOut)
	}
	if _, errOut, code := e.run("api", "rest/api/3/myself", "-H", "Authorization: Bearer other"); code != 2 {
		t.Fatalf("-H Authorization: %d %q", code, errOut)
	}
}

func TestE2EAPIPaginates(t *testing.T) {
	e := newAPIE2E(t, authtest.Options{Projects: 5, Issues: 5, Spaces: 5})
	for _, tc := range []struct {
		name  string
		args  []string
		want  string
		pages int
		count string
	}{
		{"Jira offset pages", []string{"rest/api/3/project/search", "--jq", ".values[].key"}, "P1\nP2\nP3\nP4\nP5\n", 3, "projects"},
		{"Jira token pages (GET)", []string{"-X", "GET", "rest/api/3/search/jql", "-f", "jql=x", "--jq", ".issues[].key"}, "P1-1\nP1-2\nP1-3\nP1-4\nP1-5\n", 3, "search"},
		{"Jira token pages (POST)", []string{"-X", "POST", "rest/api/3/search/jql", "-f", "jql=x", "--jq", ".issues[].key"}, "P1-1\nP1-2\nP1-3\nP1-4\nP1-5\n", 3, "search"},
		{"Confluence cursor pages", []string{"--product", "confluence", "wiki/api/v2/spaces", "--jq", ".results | map(.key) | join(\",\")"}, "S1,S2,S3,S4,S5\n", 3, "spaces"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.srv.ResetCounts()
			out, errOut, code := e.run(append([]string{"api", "--paginate"}, tc.args...)...)
			if code != 0 || out != tc.want {
				t.Fatalf("exit %d, %q (want %q): %s", code, out, tc.want, errOut)
			}
			if n := e.srv.Count(tc.count); n != tc.pages {
				t.Fatalf("%d requests, want %d pages", n, tc.pages)
			}
		})
	}
	// Without --jq or --slurp the pages stream, one after another.
	out, _, _ := e.run("api", "--paginate", "rest/api/3/project/search")
	if strings.Count(out, `"startAt"`) != 3 {
		t.Fatalf("streamed pages: %q", out)
	}
	// --slurp: one result, the items of every page in one list.
	out, _, _ = e.run("api", "--paginate", "--slurp", "rest/api/3/project/search")
	var merged struct {
		Values []struct{ Key string }
		IsLast bool
	}
	if err := json.Unmarshal([]byte(out), &merged); err != nil || len(merged.Values) != 5 || !merged.IsLast || !strings.HasSuffix(out, "}\n") {
		t.Fatalf("--slurp: %v %q", err, out)
	}
}

func TestE2EAPIFollowsAtlassiansAbsoluteLinksOntoTheAPIInUse(t *testing.T) {
	e := newAPIE2E(t, authtest.Options{Spaces: 5, AbsoluteLinks: true})
	out, errOut, code := e.run("api", "--product", "confluence", "--paginate", "wiki/api/v2/spaces", "--jq", ".results[].key")
	if code != 0 || out != "S1\nS2\nS3\nS4\nS5\n" {
		t.Fatalf("exit %d, %q: %s", code, out, errOut)
	}
}

func TestE2EAPIRetries(t *testing.T) {
	e := newAPIE2E(t, authtest.Options{})
	e.srv.InjectAPIFaults(authtest.Fault{Status: 429, Header: map[string]string{"Retry-After": "1"}}, authtest.Fault{Status: 503})
	start := time.Now()
	out, errOut, code := e.run("api", "rest/api/3/issue/P1-1")
	if code != 0 || !strings.Contains(out, "P1-1") {
		t.Fatalf("exit %d: %q %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "atl: rate limited by Atlassian (HTTP 429); trying again in 1s (retry 1 of 3)\n") ||
		!strings.Contains(errOut, "atl: Atlassian is unavailable (HTTP 503); trying again in 4s (retry 2 of 3)\n") {
		t.Fatalf("stderr %q", errOut)
	}
	if d := time.Since(start); d < 5*time.Second {
		t.Fatalf("did not wait: %v", d)
	}
	// Four answers of 429: three retries, then the 429 as it is.
	e.srv.InjectAPIFaults(authtest.Fault{Status: 429, Header: map[string]string{"Retry-After": "0"}}, authtest.Fault{Status: 429, Header: map[string]string{"Retry-After": "0"}},
		authtest.Fault{Status: 429, Header: map[string]string{"Retry-After": "0"}}, authtest.Fault{Status: 429, Body: `{"message":"slow down"}`, Header: map[string]string{"Retry-After": "0"}})
	e.srv.ResetCounts()
	out, errOut, code = e.run("api", "rest/api/3/issue/P1-1")
	if code != 1 || out != `{"message":"slow down"}`+"\n" || e.srv.Count("issue") != 4 || !strings.HasSuffix(errOut, "HTTP 429 Too Many Requests\n") {
		t.Fatalf("exit %d, %q, %d requests, %q", code, out, e.srv.Count("issue"), errOut)
	}
	// A refused token: one refresh, one retry.
	e.srv.ExpireAccessTokens()
	e.srv.ResetCounts()
	if out, errOut, code := e.run("api", "rest/api/3/issue/P1-1"); code != 0 || !strings.Contains(out, "P1-1") {
		t.Fatalf("after a 401: exit %d: %s", code, errOut)
	}
	if e.srv.Count("token:refresh_token") != 1 || e.srv.Count("issue") != 2 {
		t.Fatalf("refreshes %d, requests %d", e.srv.Count("token:refresh_token"), e.srv.Count("issue"))
	}
}

func TestE2ESitesAndSiteFlags(t *testing.T) {
	sites := []authtest.Site{
		{ID: "aaaaaaaa-0000-0000-0000-000000000001", URL: "https://alpha.atlassian.net", Name: "alpha"},
		{ID: "bbbbbbbb-0000-0000-0000-000000000002", URL: "https://beta.atlassian.net", Name: "beta"},
	}
	e := newE2E(t, authtest.Options{Sites: sites})
	e.login("--site", "alpha", "--scopes", dataScopes)
	out, _, code := e.run("sites")
	if code != 0 || !strings.Contains(out, "* alpha") || !strings.Contains(out, "  beta") || !strings.Contains(out, sites[1].ID) {
		t.Fatalf("sites: %q", out)
	}
	out, _, _ = e.run("sites", "--json")
	var listed []struct {
		ID      string
		Current bool
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed) != 2 || !listed[0].Current || listed[1].Current {
		t.Fatalf("sites --json: %v %q", err, out)
	}
	// --site for one call.
	if out, _, _ := e.run("token", "--json", "--site", "beta.atlassian.net"); !strings.Contains(out, sites[1].ID) {
		t.Fatalf("token --site: %q", out)
	}
	if _, _, code := e.run("api", "--site", "beta", "rest/api/3/issue/P1-1"); code != 0 || !strings.Contains(e.srv.LastAPIRequest().Path, sites[1].ID) {
		t.Fatalf("api --site: %d %v", code, e.srv.LastAPIRequest().Path)
	}
	if out, _, _ := e.run("whoami", "--site", sites[1].ID); !strings.Contains(out, "beta") {
		t.Fatalf("whoami --site: %q", out)
	}
	if _, errOut, code := e.run("token", "--json", "--site", "gamma"); code != 2 || !strings.Contains(errOut, `no site matches "gamma"`) || !strings.Contains(errOut, "atl sites") {
		t.Fatalf("an unknown --site: %d %q", code, errOut)
	}
	// sites use: the current site changes without a login.
	codes := e.srv.Count("token:authorization_code")
	_, errOut, code := e.run("sites", "use", "beta")
	if code != 0 || !strings.Contains(errOut, "now uses beta") {
		t.Fatalf("sites use: %d %q", code, errOut)
	}
	if out, _, _ := e.run("token", "--json"); !strings.Contains(out, sites[1].ID) || e.srv.Count("token:authorization_code") != codes {
		t.Fatalf("after sites use: %q", out)
	}
	// Completion names the sites, from what is stored.
	e.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent"
	out, _, _ = e.run("__complete", "sites", "use", "")
	if !strings.Contains(out, "alpha\n") || !strings.Contains(out, "beta\n") {
		t.Fatalf("completion of sites: %q", out)
	}
}

func TestE2EProfilesAll(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	first := e.profile
	e.login()
	e.profile = first + "-2"
	e.env["ATL_PROFILE"] = e.profile
	e.login()
	out, _, code := e.run("whoami", "--all")
	if code != 0 || !strings.Contains(out, "* "+first+"-2") || !strings.Contains(out, "  "+first+" ") || strings.Count(out, "token valid until") != 2 {
		t.Fatalf("whoami --all: %q", out)
	}
	out, _, _ = e.run("__complete", "--profile", "")
	if !strings.Contains(out, first+"\n") || !strings.Contains(out, first+"-2\n") {
		t.Fatalf("completion of profiles: %q", out)
	}
	_, errOut, code := e.run("logout", "--all")
	if code != 0 || strings.Count(errOut, "Removed profile") != 2 {
		t.Fatalf("logout --all: %d %q", code, errOut)
	}
	if out, _, _ := e.run("whoami", "--all", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("after logout --all: %q", out)
	}
}

func TestE2ETokenFromTheEnvironment(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	access, _ := e.srv.IssueTokens("read:jira-user", "read:jira-work")
	e.env["ATL_TOKEN"] = access
	e.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent" // no keychain is touched
	e.env["XDG_RUNTIME_DIR"] = t.TempDir()
	out, errOut, code := e.run("token")
	if code != 0 || out != access+"\n" {
		t.Fatalf("token: %d %q %q", code, out, errOut)
	}
	if out, _, _ := e.run("token", "--header"); out != "Authorization: Bearer "+access+"\n" {
		t.Fatalf("--header: %q", out)
	}
	if out, errOut, code := e.run("api", "rest/api/3/issue/P1-1"); code != 0 || !strings.Contains(out, "P1-1") {
		t.Fatalf("api: %d %q", code, errOut)
	}
	out, errOut, code = e.run("whoami")
	if code != 0 || !strings.Contains(out, "stored:  the environment (ATL_TOKEN)") || !strings.Contains(out, authtest.DefaultUserName) {
		t.Fatalf("whoami: %d %q %q", code, out, errOut)
	}
	if entries, _ := os.ReadDir(e.dir); len(entries) != 0 {
		t.Fatalf("the config directory was written: %v", entries)
	}
	e.env["ATL_TOKEN"] = "bad token"
	if _, errOut, code := e.run("token"); code != 2 || !strings.Contains(errOut, "ATL_TOKEN") {
		t.Fatalf("a malformed ATL_TOKEN: %d %q", code, errOut)
	}
}

func TestE2ETokenMinValid(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.login()
	m, g, err := e.stored().Load()
	if err != nil {
		t.Fatal(err)
	}
	g.Expiry = time.Now().Add(20 * time.Minute)
	if err := e.stored().SaveRefreshed(m, g); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetCounts()
	if out, _, _ := e.run("token", "--min-valid", "10m"); out != g.AccessToken+"\n" || e.srv.Count("token") != 0 {
		t.Fatalf("20 minutes left, 10 asked: refreshed (%d)", e.srv.Count("token"))
	}
	if out, _, _ := e.run("token", "--min-valid", "30m"); out == g.AccessToken+"\n" || e.srv.Count("token:refresh_token") != 1 {
		t.Fatalf("20 minutes left, 30 asked: not refreshed")
	}
	if _, errOut, code := e.run("token", "--min-valid", "2h"); code != 2 || !strings.Contains(errOut, "--min-valid") {
		t.Fatalf("--min-valid 2h: %d %q", code, errOut)
	}
}

func TestE2EConfigAndDoctor(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	secret := e.env["ATL_CLIENT_SECRET"]
	delete(e.env, "ATL_CLIENT_SECRET")
	delete(e.env, "ATL_CLIENT_ID")
	if _, errOut, code := e.run("config", "set", "client-id", "e2e-client"); code != 0 {
		t.Fatal(errOut)
	}
	if _, _, code := e.run("config", "set", "callback-url", "https://not.loopback/cb"); code != 2 {
		t.Fatalf("a bad callback URL was accepted: %d", code)
	}
	if _, errOut, code := e.run("config", "set", "scopes", "offline_access,read:jira-user read:jira-work"); code != 0 {
		t.Fatal(errOut)
	}
	if realKeychain() {
		cmd := e.command("config", "set", "client-secret")
		cmd.Stdin = strings.NewReader(secret + "\n")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("config set client-secret: %v %s", err, b)
		}
	} else {
		e.env["ATL_CLIENT_SECRET"] = secret
	}
	out, _, _ := e.run("config", "list")
	for _, want := range []string{"client-id=e2e-client\n", "scopes=offline_access read:jira-user read:jira-work\n"} {
		if !strings.Contains(out, want) {
			t.Fatalf("config list lacks %q: %q", want, out)
		}
	}
	if strings.Contains(out, secret) {
		t.Fatal("config list shows the secret")
	}
	if out, _, code := e.run("config", "get", "client-id"); code != 0 || out != "e2e-client\n" {
		t.Fatalf("config get: %d %q", code, out)
	}
	if _, _, code := e.run("config", "get", "site"); code != 1 {
		t.Fatalf("config get of an unset key: %d", code)
	}
	e.login() // with the client id from config.json and the secret from the keychain
	if got := e.srv.LastTokenRequest().Get("client_secret"); got != secret {
		t.Fatalf("the login sent client_secret %q", got)
	}
	if q := e.srv.LastAuthorizeQuery().Get("scope"); q != "offline_access read:jira-user read:jira-work" {
		t.Fatalf("the login asked for %q", q)
	}

	out, errOut, code := e.run("doctor")
	if code != 0 || strings.Contains(out, "FAIL") {
		t.Fatalf("doctor: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"ok    client id: e2e-client (from the stored login)", "ok    callback URL: " + e.callback, "ok    login: profile", "ok    clock: within", "ok    token cache: "} {
		if !strings.Contains(out, want) {
			t.Fatalf("doctor lacks %q:\n%s", want, out)
		}
	}
	// The callback port taken: that check fails, with its fix; exit 1.
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", strings.TrimSuffix(strings.TrimPrefix(e.callback, "http://"), "/callback"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out, errOut, code = e.run("doctor", "--json")
	var checks []struct {
		Check string
		OK    bool
		Fix   string
	}
	if err := json.Unmarshal([]byte(out), &checks); err != nil || code != 1 || errOut != "atl: 1 of 9 checks failed\n" {
		t.Fatalf("doctor --json: %v, exit %d, %q, %q", err, code, out, errOut)
	}
	for _, c := range checks {
		if c.OK != (c.Check != "callback URL") || (!c.OK && !strings.Contains(c.Fix, "callback")) {
			t.Fatalf("check %+v", c)
		}
	}
}

// connectRecorder is a proxy that notes each CONNECT and refuses it.
type connectRecorder struct {
	*httptest.Server
	mu    sync.Mutex
	hosts []string
}

func newConnectRecorder(t *testing.T) *connectRecorder {
	c := &connectRecorder{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.hosts = append(c.hosts, r.Method+" "+r.Host)
		c.mu.Unlock()
		http.Error(w, "no", http.StatusBadGateway)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *connectRecorder) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.hosts...)
}

func TestE2EProxyFromTheEnvironment(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.login()
	proxy := newConnectRecorder(t)
	e.env["ATL_API_URL"] = "https://api.example.test"
	e.env["HTTPS_PROXY"] = proxy.URL
	if _, _, code := e.run("api", "rest/api/3/myself"); code == 0 {
		t.Fatal("a call through a refusing proxy succeeded")
	}
	if seen := proxy.seen(); len(seen) != 1 || seen[0] != "CONNECT api.example.test:443" {
		t.Fatalf("the proxy saw %q", seen)
	}
	e.env["NO_PROXY"] = "api.example.test"
	_, _, _ = e.run("api", "rest/api/3/myself")
	if seen := proxy.seen(); len(seen) != 1 {
		t.Fatalf("NO_PROXY was not honoured: the proxy saw %q", seen)
	}
}

func TestE2EAPIPaginateStopsAtALoop(t *testing.T) {
	e := newAPIE2E(t, authtest.Options{Projects: 5, Issues: 5, Spaces: 5, LoopPages: true})
	confluence := "/ex/confluence/" + authtest.DefaultSiteID + "/wiki/api/v2/spaces"
	for _, tc := range []struct {
		name  string
		args  []string
		count string
		pages int
		err   string
	}{
		{"a Confluence page whose next link is itself", []string{"--product", "confluence", "wiki/api/v2/spaces"}, "spaces", 1,
			"after page 1, the next link (" + confluence + ") asks for a page already fetched"},
		{"a Jira token page repeating its nextPageToken (GET)", []string{"-X", "GET", "rest/api/3/search/jql", "-f", "jql=x"}, "search", 2,
			`after page 2, nextPageToken "page-2" asks for a page already fetched`},
		{"a Jira token page repeating its nextPageToken (POST)", []string{"-X", "POST", "rest/api/3/search/jql", "-f", "jql=x"}, "search", 2,
			`after page 2, nextPageToken "page-2" asks for a page already fetched`},
		{"a Jira offset page that does not advance", []string{"rest/api/3/project/search"}, "projects", 2,
			"after page 2, startAt 2 asks for a page already fetched"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, merge := range [][]string{nil, {"--slurp"}, {"--jq", ".[]"}} {
				e.srv.ResetCounts()
				args := append(append([]string{"api", "--paginate"}, tc.args...), merge...)
				out, errOut, code := e.run(args...)
				if code != 1 || errOut != "atl: --paginate: the pages loop: "+tc.err+"\n" {
					t.Fatalf("%v: exit %d, stderr %q; want 1 and %q", merge, code, errOut, tc.err)
				}
				if n := e.srv.Count(tc.count); n != tc.pages {
					t.Fatalf("%v: %d requests, want %d", merge, n, tc.pages)
				}
				// Streamed, the pages fetched are printed; merged, nothing is.
				if printed := jsonValues(out); (merge == nil && printed != tc.pages) || (merge != nil && out != "") {
					t.Fatalf("%v: printed %q", merge, out)
				}
			}
		})
	}
}

// jsonValues counts the JSON values in s, one after another.
func jsonValues(s string) int {
	dec := json.NewDecoder(strings.NewReader(s))
	n := 0
	for {
		var v any
		if dec.Decode(&v) != nil {
			return n
		}
		n++
	}
}
