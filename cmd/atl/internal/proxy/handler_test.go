package proxy

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
)

// proxyCase is one request through a running proxy. In header values,
// fault bodies and headers, and expected answers, {LOCAL} is the proxy's
// address, {PORT} its port, {API} the test server's, {KEY} the key and
// {TOKEN} the login's access token.
type proxyCase struct {
	name    string
	req     request
	faults  []authtest.Fault
	setup   func(e *clitest.Env)
	status  int
	header  map[string]string // headers to check ("" for absent)
	body    string            // exact
	counts  map[string]int    // server requests by name
	sent    map[string]string // headers the server got ("" for absent)
	query   string            // the query the server got
	stderr  string
	noTrace bool // nothing went upstream
}

const key = "Bearer {KEY}"

// nastyJSON is server text a terminal may act on, in a JSON string: ESC,
// CSI (U+009B), a bidi override, a newline.
const nastyJSON = `Bad \u001b[2J\u009b31m\u202egnp.exe\nnext line`

var (
	myself   = `{"accountId":"` + authtest.DefaultAccountID + `","active":true,"displayName":"Ada Lovelace","emailAddress":"ada@example.com","self":"{LOCAL}/rest/api/3/user?accountId=` + authtest.DefaultAccountID + `","timeZone":"Europe/London"}`
	issue2v2 = `{"fields":{"summary":"Issue 2"},"id":"20001","key":"P1-2","self":"{LOCAL}/rest/api/2/issue/20001"}`
	denied   = `{"errorMessages":["atl proxy needs its key: as the password (any user name) or as a bearer token"]}` + "\n"
)

func TestRunAdmitsTheKeyOnly(t *testing.T) {
	runProxyCases(t, []proxyCase{
		{name: "the key as a bearer token", req: request{path: "/rest/api/3/myself", header: map[string]string{"Authorization": key}}, status: 200, body: myself},
		{name: "the key as Basic's password, any user", req: request{path: "/rest/api/2/issue/P1-2", basic: []string{"anyone@example.com", "{KEY}"}},
			status: 200, body: issue2v2, sent: map[string]string{"Authorization": "Bearer {TOKEN}"}},
		{name: "no key", req: request{path: "/rest/api/2/issue/P1-2"}, status: 401, body: denied, noTrace: true,
			header: map[string]string{"WWW-Authenticate": `Basic realm="atl"`, "Content-Type": "application/json"}},
		{name: "a wrong bearer token", req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": "Bearer {KEY}x"}}, status: 401, body: denied, noTrace: true},
		{name: "the login's own token", req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": "Bearer {TOKEN}"}}, status: 401, body: denied, noTrace: true},
		{name: "a wrong password", req: request{path: "/rest/api/2/issue/P1-2", basic: []string{"atl", "nope"}}, status: 401, body: denied, noTrace: true},
		{name: "the key as Basic's user name", req: request{path: "/rest/api/2/issue/P1-2", basic: []string{"{KEY}", ""}}, status: 401, body: denied, noTrace: true},
		{name: "an empty bearer token", req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": "Bearer "}}, status: 401, body: denied, noTrace: true},
		{name: "a Host of another name (DNS rebinding)", req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": key, "Host": "evil.example:{PORT}"}},
			status: 403, body: `{"errorMessages":["atl proxy answers requests for {LOCAL} only (the Host header names another)"]}` + "\n", noTrace: true},
		{name: "a Host of another port", req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": key, "Host": "127.0.0.1:1"}}, status: 403, noTrace: true},
		{name: "a Host without the port", req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": key, "Host": "localhost"}}, status: 403, noTrace: true},
		{name: "localhost", req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": key, "Host": "LocalHost:{PORT}"}},
			status: 200, body: strings.ReplaceAll(issue2v2, "{LOCAL}", "http://localhost:{PORT}")},
		{name: "[::1]", req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": key, "Host": "[::1]:{PORT}"}},
			status: 200, body: strings.ReplaceAll(issue2v2, "{LOCAL}", "http://[::1]:{PORT}")},
		{name: "a web page (Origin)", req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": key, "Origin": "http://127.0.0.1:{PORT}"}},
			status: 403, body: `{"errorMessages":["atl proxy refuses requests from web pages (with an Origin header)"]}` + "\n", noTrace: true},
		{name: "CONNECT", req: request{method: "CONNECT", path: "/", header: map[string]string{"Authorization": key}},
			status: 405, body: `{"errorMessages":["atl proxy is not a forward proxy: CONNECT is refused"]}` + "\n", noTrace: true},
		{name: "the client's Authorization and Cookie stay here", req: request{path: "/rest/api/2/issue/P1-2",
			header: map[string]string{"Authorization": key, "Cookie": "tenant.session.token=secret", "X-Trace": "kept", "Accept-Encoding": "gzip"}},
			status: 200, body: issue2v2, sent: map[string]string{"Authorization": "Bearer {TOKEN}", "Cookie": "", "X-Trace": "kept", "X-Forwarded-For": "", "Forwarded": ""}},
	})
}

func TestRunRoutes(t *testing.T) {
	runProxyCases(t, []proxyCase{
		{name: "Jira, the query kept", req: request{path: "/rest/api/2/search?jql=project%20%3D%20P1&startAt=3&maxResults=1", header: map[string]string{"Authorization": key}},
			status: 200, query: "jql=project+%3D+P1&maxResults=1&startAt=3", counts: map[string]int{"search-v2": 1},
			body: `{"expand":"schema,names","issues":[{"fields":{"summary":"Issue 4"},"id":"20003","key":"P1-4","self":"{LOCAL}/rest/api/2/issue/20003"}],"maxResults":1,"startAt":3,"total":5}`},
		{name: "Confluence", req: request{path: "/wiki/api/v2/spaces?limit=1", header: map[string]string{"Authorization": key}}, status: 200, counts: map[string]int{"spaces": 1},
			header: map[string]string{"Link": `</wiki/api/v2/spaces?cursor=c1&limit=1>; rel="next"`},
			body:   `{"_links":{"base":"{LOCAL}/wiki","next":"/wiki/api/v2/spaces?cursor=c1\u0026limit=1"},"results":[{"id":"30000","key":"S1","name":"Space 1"}]}`},
		{name: "/ex/ of the login's site, as it is", req: request{path: "/ex/jira/" + site + "/rest/api/3/project/search?maxResults=1", header: map[string]string{"Authorization": key}},
			status: 200, counts: map[string]int{"projects": 1},
			body: `{"isLast":false,"maxResults":1,"self":"{LOCAL}/rest/api/3/project/search?maxResults=1","startAt":0,"total":7,"values":[{"id":"10000","key":"P1","name":"Project 1"}]}`},
		{name: "/ex/ of another site", req: request{path: "/ex/jira/11111111-2222-3333-4444-000000000009/rest/api/3/myself", header: map[string]string{"Authorization": key}},
			status: 403, body: `{"errorMessages":["atl proxy serves the sites of its login only"]}` + "\n", noTrace: true},
		{name: "a path that leaves the site", req: request{path: "/rest/%2e%2e/%2e%2e/me", header: map[string]string{"Authorization": key}},
			status: 400, body: `{"errorMessages":["atl proxy: a path with . or .. segments is not a path on the site"]}` + "\n", noTrace: true},
		{name: "/me", req: request{path: "/me", header: map[string]string{"Authorization": key}}, status: 200, counts: map[string]int{"me": 1},
			body: `{"account_id":"` + authtest.DefaultAccountID + `","account_status":"active","email":"ada@example.com","name":"Ada Lovelace","nickname":"","picture":""}`},
		{name: "accessible-resources", req: request{path: "/oauth/token/accessible-resources", header: map[string]string{"Authorization": key}}, status: 200,
			counts: map[string]int{"accessible-resources": 1}},
		{name: "a POST with its body", req: request{method: "POST", path: "/rest/api/3/issue", body: `{"fields":{"summary":"x"}}`, header: map[string]string{"Authorization": key, "Content-Type": "application/json"}},
			status: 201, counts: map[string]int{"create-issue": 1},
			body: `{"id":"20100","key":"P1-100","received":{"fields":{"summary":"x"}},"self":"{LOCAL}/rest/api/3/issue/20100"}`},
	})
}

func TestRunRewritesTheSitesAddresses(t *testing.T) {
	runProxyCases(t, []proxyCase{
		{name: "a self link by the site's own address, followed back", req: request{path: "/rest/api/3/user?accountId=" + authtest.DefaultAccountID, header: map[string]string{"Authorization": key}},
			status: 200, counts: map[string]int{"user": 1},
			body: `{"accountId":"` + authtest.DefaultAccountID + `","accountType":"atlassian","active":true,"displayName":"Ada Lovelace","emailAddress":"ada@example.com","self":"{LOCAL}/rest/api/3/user?accountId=` + authtest.DefaultAccountID + `","timeZone":"Europe/London"}`},
		{name: "Atlassian's absolute next link, in the body and the Link header", setup: func(e *clitest.Env) {}, req: request{path: "/wiki/api/v2/spaces?limit=1&cursor=c3", header: map[string]string{"Authorization": key}},
			faults: []authtest.Fault{{Status: 200, Header: map[string]string{"Link": `<https://api.atlassian.com/ex/confluence/` + site + `/wiki/api/v2/spaces?cursor=c4>; rel="next"`}, Body: `{"_links":{"next":"https://api.atlassian.com/ex/confluence/` + site + `/wiki/api/v2/spaces?cursor=c4"}}`}},
			status: 200, header: map[string]string{"Link": `<{LOCAL}/wiki/api/v2/spaces?cursor=c4>; rel="next"`},
			body: `{"_links":{"next":"{LOCAL}/wiki/api/v2/spaces?cursor=c4"}}`},
		{name: "a redirect's Location", req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": key}},
			faults: []authtest.Fault{{Status: 302, Header: map[string]string{"Location": "{API}/ex/jira/" + site + "/rest/api/2/issue/20001", "Content-Location": "https://example.atlassian.net/browse/P1-2"}}},
			status: 302, header: map[string]string{"Location": "{LOCAL}/rest/api/2/issue/20001", "Content-Location": "{LOCAL}/browse/P1-2"}},
		{name: "another host's address is kept", req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": key}},
			faults: []authtest.Fault{{Status: 200, Header: map[string]string{"Location": "https://example.atlassian.net.evil.example/x"}, Body: `{"a":"https://example.atlassian.network/x","b":"{API}/ex/jira/` + site + `0/x"}`}},
			status: 200, header: map[string]string{"Location": "https://example.atlassian.net.evil.example/x"},
			body: `{"a":"https://example.atlassian.network/x","b":"{API}/ex/jira/` + site + `0/x"}`},
		{name: "a body that is not JSON is as sent", req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": key}},
			faults: []authtest.Fault{{Status: 200, ContentType: "text/plain", Body: "see https://example.atlassian.net/browse/P1-2"}},
			status: 200, header: map[string]string{"Content-Length": "45", "Content-Type": "text/plain"}, body: "see https://example.atlassian.net/browse/P1-2"},
		{name: "an error status and its body, as sent but for the addresses", req: request{path: "/rest/api/2/issue/NOPE-1", header: map[string]string{"Authorization": key}},
			faults: []authtest.Fault{{Status: 404, Header: map[string]string{"X-Request-Id": "r1"}, Body: `{"errorMessages":["no"],"self":"https://example.atlassian.net"}`}},
			status: 404, header: map[string]string{"X-Request-Id": "r1", "Content-Type": "application/json"}, body: `{"errorMessages":["no"],"self":"{LOCAL}"}`},
	})
}

func TestRunKeepsTheTokenFresh(t *testing.T) {
	runProxyCases(t, []proxyCase{
		{name: "an access token refused: one refresh, the request again", setup: func(e *clitest.Env) { e.Srv.ExpireAccessTokens() },
			req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": key}}, status: 200, body: issue2v2,
			counts: map[string]int{"token:refresh_token": 1, "issue": 2}},
		{name: "a body sent again after the refresh", setup: func(e *clitest.Env) { e.Srv.ExpireAccessTokens() },
			req:    request{method: "PUT", path: "/rest/api/2/issue/P1-2", body: `{"fields":{"summary":"Renamed"}}`, header: map[string]string{"Authorization": key, "Content-Type": "application/json"}},
			status: 204, counts: map[string]int{"token:refresh_token": 1, "edit-issue": 2}},
		{name: "the token expiring: refreshed before the request", setup: func(e *clitest.Env) { e.Clock.Advance(time.Hour) },
			req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": key}}, status: 200, body: issue2v2,
			counts: map[string]int{"token:refresh_token": 1, "issue": 1}},
		{name: "a dead login: 502, and what to do on stderr", setup: func(e *clitest.Env) { e.Srv.RevokeGrants() },
			req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": key}}, status: 502, counts: map[string]int{"token:refresh_token": 1},
			body:   `{"errorMessages":["atl proxy: GET /rest/api/2/issue/P1-2: Atlassian rejected the stored grant (HTTP 403 invalid_grant); run ` + "`atl login`" + `"]}` + "\n",
			stderr: "atl proxy: GET /rest/api/2/issue/P1-2: Atlassian rejected the stored grant (HTTP 403 invalid_grant); run `atl login`\n"},
		{name: "a refresh refused, its words not repeated", setup: func(e *clitest.Env) {
			e.Srv.ExpireAccessTokens()
			e.Srv.InjectTokenFaults(authtest.Fault{Status: 400, Body: `{"error":"invalid_request","error_description":"` + nastyJSON + `"}`})
		}, req: request{path: "/rest/api/2/issue/P1-2", header: map[string]string{"Authorization": key}}, status: 502,
			body:   `{"errorMessages":["atl proxy: GET /rest/api/2/issue/P1-2: token request failed: Atlassian refused the request (HTTP 400 invalid_request)"]}` + "\n",
			stderr: "atl proxy: GET /rest/api/2/issue/P1-2: token request failed: Atlassian refused the request (HTTP 400 invalid_request)\n"},
	})
}

// runProxyCases runs each case against a proxy of its own.
func runProxyCases(t *testing.T, cases []proxyCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			storeLogin(e)
			r := start(t, e, Options{})
			_, g, _ := e.Login("default").Load()
			port := strings.TrimPrefix(r.url, "http://127.0.0.1:")
			expand := strings.NewReplacer("{LOCAL}", r.url, "{PORT}", port, "{API}", e.Srv.URL(), "{KEY}", r.key, "{TOKEN}", g.AccessToken).Replace
			for _, f := range tc.faults {
				f.Body = expand(f.Body)
				for k, v := range f.Header {
					f.Header[k] = expand(v)
				}
				e.Srv.InjectAPIFaults(f)
			}
			if tc.setup != nil {
				tc.setup(e)
			}
			e.Srv.ResetCounts()
			req := tc.req
			if req.method == "" {
				req.method = "GET"
			}
			hdr := map[string]string{}
			for k, v := range req.header {
				hdr[k] = expand(v)
			}
			req.header = hdr
			got := r.do(req)
			checkAnswer(t, e, tc, got, expand)
			if err := r.stopped(); err != nil || r.errOut.String() != tc.stderr {
				t.Errorf("the proxy: %v, stderr %q; want %q", err, r.errOut.String(), tc.stderr)
			}
		})
	}
}

// checkAnswer checks what the client got and what the server got.
func checkAnswer(t *testing.T, e *clitest.Env, tc proxyCase, got answer, expand func(string) string) {
	t.Helper()
	if got.status != tc.status || (tc.body != "" || tc.status == 302) && got.body != expand(tc.body) {
		t.Errorf("got %d %s\nwant %d %s", got.status, got.body, tc.status, expand(tc.body))
	}
	if cl := got.header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(got.body)) {
		t.Errorf("Content-Length %s of a body of %d bytes", cl, len(got.body))
	}
	for k, v := range tc.header {
		if g := got.header.Get(k); g != expand(v) {
			t.Errorf("header %s: %q, want %q", k, g, expand(v))
		}
	}
	for name, n := range tc.counts {
		if c := e.Srv.Count(name); c != n {
			t.Errorf("%d %s requests, want %d", c, name, n)
		}
	}
	last := e.Srv.LastAPIRequest()
	if tc.noTrace && (last != nil || e.Srv.Count("me") != 0 || e.Srv.Count("myself") != 0) {
		t.Errorf("a request went upstream: %+v", last)
	}
	if tc.sent != nil || tc.query != "" {
		if last == nil {
			t.Fatal("nothing went upstream")
		}
		for k, v := range tc.sent {
			if g := last.Header.Get(k); g != expand(v) {
				t.Errorf("upstream header %s: %q, want %q", k, g, expand(v))
			}
		}
		if tc.query != "" && last.Query.Encode() != tc.query {
			t.Errorf("upstream query %q, want %q", last.Query.Encode(), tc.query)
		}
	}
}

// TestRunStreamsLongBodies: a JSON body longer than a read's worth is
// rewritten as it streams, without a Content-Length.
func TestRunStreamsLongBodies(t *testing.T) {
	e := clitest.New(t)
	storeLogin(e)
	r := start(t, e, Options{})
	_, g, _ := e.Login("default").Load()
	req, _ := http.NewRequest("GET", e.Srv.URL()+"/ex/jira/"+site+"/rest/api/3/large?size=200000", nil)
	req.Header.Set("Authorization", "Bearer "+g.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got := r.do(request{method: "GET", path: "/rest/api/3/large?size=200000", header: map[string]string{"Authorization": key}})
	want := strings.ReplaceAll(string(direct), e.Srv.URL()+"/ex/jira/"+site, r.url)
	if got.status != 200 || got.body != want || got.header.Get("Content-Length") != "" || len(direct) < 199000 || resp.ContentLength != int64(len(direct)) {
		t.Fatalf("%d, %d bytes (Content-Length %q); want %d bytes", got.status, len(got.body), got.header.Get("Content-Length"), len(want))
	}
}
