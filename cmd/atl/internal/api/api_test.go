package api

import (
	"context"
	"flag"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/spf13/cobra"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// site is the cloud id of the test server's one site.
const site = authtest.DefaultSiteID

// jira is the path of the site's Jira API on the test server.
const jira = "/ex/jira/" + site + "/rest/api/3"

// nasty is server text a terminal may act on or that hides what follows:
// C1 controls (U+009B is CSI, U+0085 NEL), a bidi override and isolates,
// marks, zero-width characters, a tag character.
const nasty = "Ship \u009b2J\u202egnp.exe \u2066x\u2069 \u200e\u200f\ufeff\u061c\u0085\u200b \U000e0041 end"

// cleaned is nasty as it shows on a terminal.
const cleaned = "Ship gnp.exe x   end"

// issue2 is the test server's answer for issue P1-2.
const issue2 = `{"fields":{"summary":"Issue 2"},"id":"20001","key":"P1-2"}`

// date is a fixed Date header, for exact -i output.
var date = map[string]string{"Date": "Sun, 29 Nov 2026 12:00:00 GMT"}

// login is the login a case runs with.
type login int

const (
	loggedIn  login = iota // e.Store("default", ""): Jira reads only
	dataLogin              // a token for every data endpoint (Confluence, POST issue)
	noLogin
)

// sent is what the test server's data endpoints got last.
type sent struct {
	method, path, query, body string
	header                    map[string]string // headers to check ("" for absent)
}

// runCase is one run of atl api. In Path, fault bodies and expected
// output, {API} is the test server's URL and {HOST} its host.
type runCase struct {
	name     string
	opts     Options // its flags and PATH
	login    login
	terminal bool
	noColor  bool
	stdin    string
	faults   []authtest.Fault
	setup    func(e *clitest.Env)
	wait     error // what Wait returns
	code     int
	stdout   string // exact, or "golden:NAME" for testdata/NAME
	stderr   string
	waits    []time.Duration
	counts   map[string]int // server requests by name
	sent     *sent
}

func TestRunAPIOutput(t *testing.T) {
	summary := `{"key":"P1-1","fields":{"summary":"` + nasty + `","escaped":"\u009b\u202e"}}`
	runCases(t, []runCase{
		{name: "a JSON body off a terminal, byte for byte", opts: Options{Path: "rest/api/3/issue/P1-2"}, stdout: issue2,
			counts: map[string]int{"issue": 1}, sent: &sent{method: "GET", path: jira + "/issue/P1-2", header: map[string]string{"Accept": "application/json", "Content-Type": ""}}},
		{name: "server text off a terminal, byte for byte", opts: Options{Path: "rest/api/3/issue/P1-1"},
			faults: []authtest.Fault{{Status: 200, Body: nasty + "\x1b]0;title\x07", ContentType: "text/plain"}}, stdout: nasty + "\x1b]0;title\x07"},
		{name: "a JSON body on a terminal, indented and coloured", opts: Options{Path: "rest/api/3/issue/P1-2"}, terminal: true, stdout: "golden:terminal-color.txt"},
		{name: "a JSON body on a terminal, NO_COLOR", opts: Options{Path: "rest/api/3/issue/P1-2"}, terminal: true, noColor: true,
			stdout: "{\n  \"fields\": {\n    \"summary\": \"Issue 2\"\n  },\n  \"id\": \"20001\",\n  \"key\": \"P1-2\"\n}\n"},
		{name: "server text in JSON on a terminal, escaped", opts: Options{Path: "rest/api/3/issue/P1-1"}, terminal: true, noColor: true,
			faults: []authtest.Fault{{Status: 200, Body: `{"` + nasty + `":` + summary + `}`}}, stdout: "golden:terminal-escaped.txt"},
		{name: "server text in JSON on a terminal, escaped in colour", opts: Options{Path: "rest/api/3/issue/P1-1"}, terminal: true,
			faults: []authtest.Fault{{Status: 200, Body: `{"` + nasty + `":` + summary + `}`}}, stdout: "golden:terminal-escaped-color.txt"},
		{name: "a text body on a terminal, cleaned", opts: Options{Path: "rest/api/3/issue/P1-1"}, terminal: true,
			faults: []authtest.Fault{{Status: 200, Body: nasty + "\n\x1b]0;title\x07line 2", ContentType: "text/plain"}}, stdout: cleaned + "\nline 2\n"},
		{name: "-i", opts: Options{Path: "rest/api/3/issue/P1-2", Include: true}, faults: []authtest.Fault{{PassThrough: true, Header: date}},
			stdout: "HTTP/1.1 200 OK\nCache-Control: no-store\nContent-Length: 58\nContent-Type: application/json\nDate: Sun, 29 Nov 2026 12:00:00 GMT\n\n" + issue2},
		{name: "-i on a terminal, headers cleaned", opts: Options{Path: "rest/api/3/issue/P1-2", Include: true}, terminal: true, noColor: true,
			faults: []authtest.Fault{{Status: 200, Body: `{}`, Header: map[string]string{"Date": date["Date"], "X-Note": nasty}}},
			stdout: "HTTP/1.1 200 OK\nContent-Length: 2\nContent-Type: application/json\nDate: Sun, 29 Nov 2026 12:00:00 GMT\nX-Note: " + cleaned + "\n\n{}\n"},
		{name: "--silent", opts: Options{Path: "rest/api/3/issue/P1-2", Silent: true}, counts: map[string]int{"issue": 1}},
		{name: "--silent -i: the head only", opts: Options{Path: "rest/api/3/issue/P1-2", Silent: true, Include: true}, faults: []authtest.Fault{{PassThrough: true, Header: date}},
			stdout: "HTTP/1.1 200 OK\nCache-Control: no-store\nContent-Length: 58\nContent-Type: application/json\nDate: Sun, 29 Nov 2026 12:00:00 GMT\n\n"},
		{name: "--jq: strings raw, other values compact", opts: Options{Path: "rest/api/3/issue/P1-2", JQ: `.fields.summary, .key, .fields, (.id | tonumber), 1.5, null, true, [.key]`},
			stdout: "Issue 2\nP1-2\n{\"summary\":\"Issue 2\"}\n20001\n1.5\nnull\ntrue\n[\"P1-2\"]\n"},
		{name: "--jq off a terminal: strings as they are", opts: Options{Path: "rest/api/3/issue/P1-1", JQ: ".fields.summary"},
			faults: []authtest.Fault{{Status: 200, Body: summary}}, stdout: nasty + "\n"},
		{name: "--jq on a terminal: strings cleaned, JSON escaped", opts: Options{Path: "rest/api/3/issue/P1-1", JQ: ".fields.summary, .fields"}, terminal: true,
			faults: []authtest.Fault{{Status: 200, Body: summary}},
			stdout: cleaned + "\n" + `{"escaped":"\u009b\u202e","summary":"Ship \u009b2J\u202egnp.exe \u2066x\u2069 \u200e\u200f\ufeff\u061c\u0085\u200b \udb40\udc41 end"}` + "\n"},
		{name: "--jq halt", opts: Options{Path: "rest/api/3/issue/P1-2", JQ: ".key, halt, .id"}, stdout: "P1-2\n"},
		{name: "--jq error", opts: Options{Path: "rest/api/3/issue/P1-2", JQ: `.key, error("no such field")`}, code: 1,
			stdout: "P1-2\n", stderr: "atl: --jq: error: no such field\n"},
		{name: "--jq on an answer not JSON", opts: Options{Path: "rest/api/3/issue/P1-2", JQ: "."}, code: 1,
			faults: []authtest.Fault{{Status: 200, Body: "plain", ContentType: "text/plain"}}, stderr: "atl: --jq: the answer is not JSON\n"},
		{name: "an error status: the body, one line, exit 1", opts: Options{Path: "rest/api/3/issue/NOPE-9"}, code: 1,
			stdout: `{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}` + "\n",
			stderr: "atl: GET " + jira + "/issue/NOPE-9: HTTP 404 Not Found\n"},
		{name: "an error status with --jq: the body as it is", opts: Options{Path: "rest/api/3/issue/P1-2", JQ: ".x"}, code: 1,
			faults: []authtest.Fault{{Status: 400, Body: `{"errorMessages":["bad"]}`}},
			stdout: `{"errorMessages":["bad"]}` + "\n", stderr: "atl: GET " + jira + "/issue/P1-2: HTTP 400 Bad Request\n"},
		{name: "an error status with --silent", opts: Options{Path: "rest/api/3/issue/NOPE-9", Silent: true}, code: 1,
			stderr: "atl: GET " + jira + "/issue/NOPE-9: HTTP 404 Not Found\n"},
		{name: "an error status with -i", opts: Options{Path: "rest/api/3/issue/P1-2", Include: true}, code: 1,
			faults: []authtest.Fault{{Status: 403, Body: `{"message":"no"}`, Header: date}},
			stdout: "HTTP/1.1 403 Forbidden\nContent-Length: 16\nContent-Type: application/json\nDate: Sun, 29 Nov 2026 12:00:00 GMT\n\n{\"message\":\"no\"}\n",
			stderr: "atl: GET " + jira + "/issue/P1-2: HTTP 403 Forbidden\n"},
		{name: "an error status on a terminal", opts: Options{Path: "rest/api/3/issue/P1-1"}, terminal: true, noColor: true, code: 1,
			faults: []authtest.Fault{{Status: 502, Body: "<html>" + nasty + "</html>", ContentType: "text/html"}},
			stdout: "<html>" + cleaned + "</html>\n", stderr: "atl: GET " + jira + "/issue/P1-1: HTTP 502 Bad Gateway\n"},
		{name: "an error status on a terminal, JSON", opts: Options{Path: "rest/api/3/issue/P1-1"}, terminal: true, noColor: true, code: 1,
			faults: []authtest.Fault{{Status: 400, Body: `{"errorMessages":["` + nasty + `"]}`}},
			stdout: "{\n  \"errorMessages\": [\n    \"Ship \\u009b2J\\u202egnp.exe \\u2066x\\u2069 \\u200e\\u200f\\ufeff\\u061c\\u0085\\u200b \\udb40\\udc41 end\"\n  ]\n}\n",
			stderr: "atl: GET " + jira + "/issue/P1-1: HTTP 400 Bad Request\n"},
	})
}

func TestRunAPIRequests(t *testing.T) {
	created := func(received string) string {
		return `{"id":"20100","key":"P1-100","received":` + received + `,"self":"{API}` + jira + `/issue/20100"}`
	}
	const fieldsBody = `{"fields":{"description":"from a file","done":false,"due":null,"priority":3,"project":{"key":"P1"},"summary":"Disk full"},"labels":["ops",1.5]}`
	runCases(t, []runCase{
		{name: "-f and -F: a typed, nested JSON body, POSTed", login: dataLogin,
			opts: Options{Path: "rest/api/3/issue", Headers: []string{"X-Trace: e2e"},
				Fields:      []string{"fields[project][key]=P1", "fields[summary]=Disk full"},
				TypedFields: []string{"fields[priority]=3", "fields[done]=false", "fields[due]=null", "labels[]=ops", "labels[]=1.5", "fields[description]=@testdata/description.txt"}},
			stdout: created(fieldsBody), counts: map[string]int{"create-issue": 1},
			sent: &sent{method: "POST", path: jira + "/issue", body: fieldsBody,
				header: map[string]string{"Content-Type": "application/json", "Accept": "application/json", "X-Trace": "e2e"}}},
		{name: "-F key=@- reads stdin; -X in any case", login: dataLogin, stdin: "from stdin",
			opts:   Options{Path: "rest/api/3/issue", Method: "post", TypedFields: []string{"d=@-", "n=0x10", "f=-1e3"}, JQ: ".received"},
			stdout: `{"d":"from stdin","f":-1000,"n":"0x10"}` + "\n",
			sent:   &sent{method: "POST", path: jira + "/issue", body: `{"d":"from stdin","f":-1e3,"n":"0x10"}`}},
		{name: "-f and -F on a GET: the query", opts: Options{Path: "rest/api/3/search/jql?fields=key", Method: "GET", Fields: []string{"jql=project = P1"}, TypedFields: []string{"maxResults=1"}},
			stdout: `{"isLast":false,"issues":[{"fields":{"summary":"Issue 1"},"id":"20000","key":"P1-1"}],"nextPageToken":"page-1"}`,
			sent:   &sent{method: "GET", path: jira + "/search/jql", query: "fields=key&jql=project+%3D+P1&maxResults=1", header: map[string]string{"Content-Type": ""}}},
		{name: "-f on a HEAD: the query", opts: Options{Path: "/rest/api/3/issue/P1-2", Method: "head", Fields: []string{"x[]=1", "x[]=2"}},
			sent: &sent{method: "HEAD", path: jira + "/issue/P1-2", query: "x%5B%5D=1&x%5B%5D=2"}},
		{name: "--input -: the body; -f: the query", login: dataLogin, stdin: `{"fields":{"summary":"raw"}}`,
			opts:   Options{Path: "rest/api/3/issue", Method: "POST", Input: "-", Fields: []string{"notify=false"}},
			stdout: created(`{"fields":{"summary":"raw"}}`),
			sent: &sent{method: "POST", path: jira + "/issue", query: "notify=false", body: `{"fields":{"summary":"raw"}}`,
				header: map[string]string{"Content-Type": "application/json"}}},
		{name: "--input FILE: a POST", login: dataLogin, opts: Options{Path: "rest/api/3/issue", Input: "testdata/issue.json"},
			stdout: created(`{"fields":{"summary":"raw"}}`), sent: &sent{method: "POST", path: jira + "/issue", body: `{"fields":{"summary":"raw"}}`}},
		{name: "--input keeps -H Content-Type and Accept", login: dataLogin,
			opts: Options{Path: "rest/api/3/issue", Input: "testdata/issue.json", Headers: []string{"Content-Type: text/plain", "accept:  text/html "}}, code: 1,
			stdout: `{"errorMessages":["Content type must be application/json."]}` + "\n", stderr: "atl: POST " + jira + "/issue: HTTP 415 Unsupported Media Type\n",
			sent: &sent{method: "POST", path: jira + "/issue", body: `{"fields":{"summary":"raw"}}`, header: map[string]string{"Content-Type": "text/plain", "Accept": "text/html"}}},
		{name: "an absolute URL on the API server", opts: Options{Path: "{API}" + jira + "/issue/P1-2"}, stdout: issue2},
		{name: "Atlassian's absolute URL goes to the API in use", opts: Options{Path: "https://api.atlassian.com" + jira + "/issue/P1-2"}, stdout: issue2,
			sent: &sent{method: "GET", path: jira + "/issue/P1-2"}},
		{name: "an absolute URL elsewhere", opts: Options{Path: "https://evil.example/steal"}, code: 2,
			stderr: "atl: evil.example is not on the API server ({HOST}): atl api sends the token there only\n"},
		{name: "Atlassian's over plain HTTP", opts: Options{Path: "http://api.atlassian.com" + jira + "/issue/P1-2"}, code: 2,
			stderr: "atl: api.atlassian.com is not on the API server ({HOST}): atl api sends the token there only\n"},
		{name: "an absolute URL that is not one", opts: Options{Path: "http://[::1"}, code: 2, stderr: "atl: \"http://[::1\" is not a URL\n"},
		{name: "a path that is not one", opts: Options{Path: "rest/%zz"}, code: 2, stderr: "atl: \"rest/%zz\" is not a path\n"},
		{name: "--product confluence", login: dataLogin, opts: Options{Path: "wiki/api/v2/spaces", Product: "confluence", Method: "GET", Fields: []string{"limit=1"}, JQ: ".results[].key"},
			stdout: "S1\n", sent: &sent{method: "GET", path: "/ex/confluence/" + site + "/wiki/api/v2/spaces", query: "limit=1"}},
		{name: "--site", opts: Options{Path: "rest/api/3/issue/P1-2", Site: "example"}, stdout: issue2},
		{name: "--site the login does not reach", opts: Options{Path: "rest/api/3/issue/P1-2", Site: "elsewhere"}, code: 2,
			stderr: "atl: no site matches \"elsewhere\"; this login reaches: example https://example.atlassian.net; pick one with --site NAME|URL|ID (`atl sites` lists them)\n"},
	})
}

func TestRunAPIRetries(t *testing.T) {
	retryAfter := func(v string) map[string]string { return map[string]string{"Retry-After": v} }
	slowDown := authtest.Fault{Status: 429, Header: retryAfter("0")}
	runCases(t, []runCase{
		{name: "429 and 503, retried after the wait asked for", opts: Options{Path: "rest/api/3/issue/P1-2"},
			faults: []authtest.Fault{{Status: 429, Header: retryAfter("1")}, {Status: 503}}, stdout: issue2,
			stderr: "atl: rate limited by Atlassian (HTTP 429); trying again in 1s (retry 1 of 3)\n" +
				"atl: Atlassian is unavailable (HTTP 503); trying again in 4s (retry 2 of 3)\n",
			waits: []time.Duration{time.Second, 4 * time.Second}, counts: map[string]int{"issue": 3}},
		{name: "a Retry-After date, and one too long", opts: Options{Path: "rest/api/3/issue/P1-2"},
			faults: []authtest.Fault{{Status: 503, Header: retryAfter(clitest.Start().Add(10 * time.Second).Format(http.TimeFormat))}, {Status: 429, Header: retryAfter("600")}},
			stdout: issue2,
			stderr: "atl: Atlassian is unavailable (HTTP 503); trying again in 10s (retry 1 of 3)\n" +
				"atl: rate limited by Atlassian (HTTP 429); trying again in 1m0s (retry 2 of 3)\n",
			waits: []time.Duration{10 * time.Second, time.Minute}, counts: map[string]int{"issue": 3}},
		{name: "four 429s: three retries, then the 429 as it is", opts: Options{Path: "rest/api/3/issue/P1-2"},
			faults: []authtest.Fault{slowDown, slowDown, slowDown, {Status: 429, Body: `{"message":"slow down"}`, Header: retryAfter("0")}}, code: 1,
			stdout: `{"message":"slow down"}` + "\n",
			stderr: strings.Repeat("atl: rate limited by Atlassian (HTTP 429); trying again in 0s (retry N of 3)\n", 3) + "atl: GET " + jira + "/issue/P1-2: HTTP 429 Too Many Requests\n",
			waits:  []time.Duration{0, 0, 0}, counts: map[string]int{"issue": 4}},
		{name: "a POST retried sends its body again", login: dataLogin, opts: Options{Path: "rest/api/3/issue", Fields: []string{"a=b"}, JQ: ".received"},
			faults: []authtest.Fault{{Status: 503, Header: retryAfter("2")}}, stdout: `{"a":"b"}` + "\n",
			stderr: "atl: Atlassian is unavailable (HTTP 503); trying again in 2s (retry 1 of 3)\n",
			waits:  []time.Duration{2 * time.Second}, counts: map[string]int{"create-issue": 2}, sent: &sent{method: "POST", path: jira + "/issue", body: `{"a":"b"}`}},
		{name: "interrupted while waiting", opts: Options{Path: "rest/api/3/issue/P1-2"}, wait: context.Canceled,
			faults: []authtest.Fault{{Status: 429, Header: retryAfter("5")}}, code: 130,
			stderr: "atl: rate limited by Atlassian (HTTP 429); trying again in 5s (retry 1 of 3)\natl: context canceled\n",
			waits:  []time.Duration{5 * time.Second}, counts: map[string]int{"issue": 1}},
		{name: "a 401: one refresh, one retry", opts: Options{Path: "rest/api/3/issue/P1-2"}, setup: func(e *clitest.Env) { e.Srv.ExpireAccessTokens() },
			stdout: issue2, counts: map[string]int{"issue": 2, "token:refresh_token": 1}},
		{name: "a 401 and a revoked grant", opts: Options{Path: "rest/api/3/issue/P1-2"}, setup: func(e *clitest.Env) { e.Srv.ExpireAccessTokens(); e.Srv.RevokeGrants() },
			code: 4, stderr: "atl: Get " + jira + "/issue/P1-2: Atlassian rejected the stored grant (HTTP 403 invalid_grant); run `atl login`\n", counts: map[string]int{"issue": 1, "token:refresh_token": 1}},
		{name: "a dead login", opts: Options{Path: "rest/api/3/issue/P1-2"}, setup: func(e *clitest.Env) {
			l := e.Login("default")
			m, err := l.Metadata()
			if err != nil {
				e.T.Fatal(err)
			}
			if err := l.MarkDead(m, "invalid_grant", e.Clock.Now()); err != nil {
				e.T.Fatal(err)
			}
		}, code: 4, stderr: "atl: the stored login stopped working on 2026-11-29T12:00:00Z (invalid_grant); run `atl login`\n", counts: map[string]int{"issue": 0, "token": 0}},
	})
}

func TestRunAPIPaginates(t *testing.T) {
	const confluence = "/ex/confluence/" + site + "/wiki/api/v2/spaces"
	loop := authtest.Fault{Status: 200, Body: `{"startAt":0,"total":9,"values":[1,2]}`}
	loopErr := "atl: --paginate: the pages loop: after page 2, startAt 2 asks for a page already fetched\n"
	runCases(t, []runCase{
		{name: "Jira offset pages, streamed", opts: Options{Path: "rest/api/3/project/search", Paginate: true},
			stdout: "golden:paginate-offset.txt", counts: map[string]int{"projects": 4}, sent: &sent{method: "GET", path: jira + "/project/search", query: "startAt=6"}},
		{name: "Jira offset pages, --slurp", opts: Options{Path: "rest/api/3/project/search", Paginate: true, Slurp: true},
			stdout: "golden:paginate-offset-slurp.json", counts: map[string]int{"projects": 4}},
		{name: "Jira offset pages, --slurp on a terminal", opts: Options{Path: "rest/api/3/project/search", Paginate: true, Slurp: true}, terminal: true, noColor: true,
			stdout: "golden:paginate-offset-slurp-terminal.txt"},
		{name: "Jira offset pages, --jq", opts: Options{Path: "rest/api/3/project/search?maxResults=3", Paginate: true, JQ: ".values[].key, .maxResults"},
			stdout: "P1\nP2\nP3\nP4\nP5\nP6\nP7\n7\n", counts: map[string]int{"projects": 4}},
		{name: "Jira token pages (GET), --jq", opts: Options{Path: "rest/api/3/search/jql", Method: "GET", Fields: []string{"jql=x"}, Paginate: true, JQ: ".issues[].key"},
			stdout: "P1-1\nP1-2\nP1-3\nP1-4\nP1-5\n", counts: map[string]int{"search": 3}, sent: &sent{method: "GET", path: jira + "/search/jql", query: "jql=x&nextPageToken=page-4"}},
		{name: "Jira token pages (POST), --slurp", opts: Options{Path: "rest/api/3/search/jql", Method: "POST", Fields: []string{"jql=x"}, Paginate: true, Slurp: true},
			stdout: "golden:paginate-token-slurp.json", counts: map[string]int{"search": 3}, sent: &sent{method: "POST", path: jira + "/search/jql", body: `{"jql":"x","nextPageToken":"page-4"}`}},
		{name: "Jira token pages (POST), streamed", opts: Options{Path: "rest/api/3/search/jql", Method: "POST", Fields: []string{"jql=x"}, Paginate: true},
			stdout: "golden:paginate-token.txt", counts: map[string]int{"search": 3}},
		{name: "Confluence cursor pages, streamed", login: dataLogin, opts: Options{Path: "wiki/api/v2/spaces", Product: "confluence", Paginate: true},
			stdout: "golden:paginate-cursor.txt", counts: map[string]int{"spaces": 3}, sent: &sent{method: "GET", path: confluence, query: "cursor=c4&limit=2"}},
		{name: "Confluence cursor pages, --jq", login: dataLogin, opts: Options{Path: "wiki/api/v2/spaces", Product: "confluence", Paginate: true, JQ: `.results | map(.key) | join(",")`},
			stdout: "S1,S2,S3,S4,S5\n", counts: map[string]int{"spaces": 3}},
		{name: "a page with no paging", opts: Options{Path: "rest/api/3/issue/P1-2", Paginate: true}, stdout: issue2, counts: map[string]int{"issue": 1}},
		{name: "a next link on Atlassian's API, followed on the API in use", opts: Options{Path: "rest/api/3/issue/P1-1", Paginate: true},
			faults: []authtest.Fault{{Status: 200, Body: `{"_links":{"next":"https://api.atlassian.com` + jira + `/issue/P1-2"}}`}},
			stdout: `{"_links":{"next":"https://api.atlassian.com` + jira + `/issue/P1-2"}}` + issue2, counts: map[string]int{"issue": 2},
			sent: &sent{method: "GET", path: jira + "/issue/P1-2"}},
		{name: "a next link to another host, not followed", opts: Options{Path: "rest/api/3/issue/P1-1", Paginate: true},
			faults: []authtest.Fault{{Status: 200, Body: `{"_links":{"next":"https://evil.example/next"}}`}}, code: 1,
			stdout: `{"_links":{"next":"https://evil.example/next"}}`, stderr: "atl: the next page's link points at another host (evil.example): not followed\n",
			counts: map[string]int{"issue": 1}},
		{name: "a loop, streamed", opts: Options{Path: "rest/api/3/project/search", Paginate: true}, faults: []authtest.Fault{loop, loop}, code: 1,
			stdout: loop.Body + loop.Body, stderr: loopErr, counts: map[string]int{"projects": 2}},
		{name: "a loop, --slurp", opts: Options{Path: "rest/api/3/project/search", Paginate: true, Slurp: true}, faults: []authtest.Fault{loop, loop}, code: 1,
			stderr: loopErr, counts: map[string]int{"projects": 2}},
		{name: "a loop, --jq", opts: Options{Path: "rest/api/3/project/search", Paginate: true, JQ: ".values[]"}, faults: []authtest.Fault{loop, loop}, code: 1,
			stderr: loopErr, counts: map[string]int{"projects": 2}},
		{name: "a page not JSON", opts: Options{Path: "rest/api/3/project/search", Paginate: true}, code: 1,
			faults: []authtest.Fault{{Status: 200, Body: "oops", ContentType: "text/plain"}}, stdout: "oops", stderr: "atl: --paginate: page 1 is not JSON\n"},
		{name: "an error status on page 2", opts: Options{Path: "rest/api/3/project/search", Paginate: true}, code: 1,
			faults: []authtest.Fault{{PassThrough: true}, {Status: 500, Body: `{"message":"boom"}`}},
			stdout: `{"isLast":false,"maxResults":2,"self":"{API}` + jira + `/project/search?","startAt":0,"total":7,"values":[{"id":"10000","key":"P1","name":"Project 1"},{"id":"10001","key":"P2","name":"Project 2"}]}` +
				`{"message":"boom"}` + "\n",
			stderr: "atl: GET " + jira + "/project/search: HTTP 500 Internal Server Error\n", counts: map[string]int{"projects": 2}},
		{name: "an error status after a next link, on a terminal", opts: Options{Path: "rest/api/3/issue/P1-1", Paginate: true}, terminal: true, noColor: true, code: 1,
			faults: []authtest.Fault{{Status: 200, Body: `{"_links":{"next":"{API}` + jira + `/issue/\u202eevil\u009b2J"}}`}, {Status: 404, Body: `{}`}},
			stdout: "{\n  \"_links\": {\n    \"next\": \"{API}" + jira + "/issue/\\u202eevil\\u009b2J\"\n  }\n}\n{}\n",
			stderr: "atl: GET " + jira + "/issue/evil: HTTP 404 Not Found\n", counts: map[string]int{"issue": 2}},
	})
}

func TestRunAPIUsageErrors(t *testing.T) {
	runCases(t, []runCase{
		{name: "--product", opts: Options{Path: "x", Product: "bitbucket"}, login: noLogin, code: 2, stderr: "atl: --product must be jira or confluence, not \"bitbucket\"\n"},
		{name: "--slurp without --paginate", opts: Options{Path: "x", Slurp: true}, login: noLogin, code: 2, stderr: "atl: --slurp goes with --paginate\n"},
		{name: "a --jq that does not parse", opts: Options{Path: "x", JQ: ".["}, login: noLogin, code: 2, stderr: "atl: --jq: unexpected EOF\n"},
		{name: "a --jq that does not compile", opts: Options{Path: "x", JQ: "nosuchfunction"}, login: noLogin, code: 2, stderr: "atl: --jq: function not defined: nosuchfunction/0\n"},
		{name: "-H without a colon", opts: Options{Path: "x", Headers: []string{"NoColon"}}, login: noLogin, code: 2, stderr: "atl: -H \"NoColon\": want 'Name: value'\n"},
		{name: "-H with a space in the name", opts: Options{Path: "x", Headers: []string{"Bad Name: x"}}, login: noLogin, code: 2, stderr: "atl: -H \"Bad Name: x\": want 'Name: value'\n"},
		{name: "-H with no name", opts: Options{Path: "x", Headers: []string{": x"}}, login: noLogin, code: 2, stderr: "atl: -H \": x\": want 'Name: value'\n"},
		{name: "-H Authorization", opts: Options{Path: "x", Headers: []string{"authorization: Bearer other"}}, login: noLogin, code: 2, stderr: "atl: -H: atl api sends the login's Authorization itself\n"},
		{name: "-f without =", opts: Options{Path: "x", Fields: []string{"novalue"}}, login: noLogin, code: 2, stderr: "atl: -f \"novalue\": want key=value\n"},
		{name: "-F without a key", opts: Options{Path: "x", TypedFields: []string{"=x"}}, login: noLogin, code: 2, stderr: "atl: -F \"=x\": want key=value\n"},
		{name: "-F @ a missing file", opts: Options{Path: "x", TypedFields: []string{"d=@testdata/none"}}, login: noLogin, code: 2,
			stderr: "atl: -F d=@testdata/none: open testdata/none: no such file or directory\n"},
		{name: "--input a missing file", opts: Options{Path: "x", Input: "testdata/none"}, login: noLogin, code: 2,
			stderr: "atl: --input: open testdata/none: no such file or directory\n"},
		{name: "not logged in", opts: Options{Path: "rest/api/3/issue/P1-2"}, login: noLogin, code: 4, stderr: "atl: not logged in; run `atl login`\n"},
		{name: "a key that does not close", opts: Options{Path: "rest/api/3/issue", Fields: []string{"a[b=1"}}, code: 2,
			stderr: "atl: key \"a[b\": a [ is not closed\n", counts: map[string]int{"create-issue": 0}},
		{name: "a key both a value and an object", opts: Options{Path: "rest/api/3/issue", Fields: []string{"a=1", "a[b]=2"}}, code: 2,
			stderr: "atl: key \"a[b]\": a is already a value, not an object\n"},
	})
}

// runCases runs each case: run with the case's options and a login on a
// test server, then its exit code, stdout, stderr, waits and requests.
func runCases(t *testing.T, cases []runCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runOne(t, tc) })
	}
}

func runOne(t *testing.T, tc runCase) {
	e := clitest.New(t)
	switch tc.login {
	case loggedIn:
		e.Store("default", "")
	case dataLogin:
		access, _ := e.Srv.IssueTokens("offline_access", "read:jira-user", "read:jira-work", "write:jira-work", "read:space:confluence")
		e.Store("default", access)
	}
	api := e.Srv.URL()
	host := strings.TrimPrefix(api, "http://")
	expand := strings.NewReplacer("{API}", api, "{HOST}", host).Replace
	for _, f := range tc.faults {
		f.Body = expand(f.Body)
		e.Srv.InjectAPIFaults(f)
	}
	if tc.setup != nil {
		tc.setup(e)
	}
	e.F.IO.In = strings.NewReader(tc.stdin)
	e.F.IO.OutTerminal = tc.terminal
	var waits []time.Duration
	opts := tc.opts
	opts.IO, opts.Session, opts.Now = e.F.IO, e.F.Session, e.F.Now
	opts.Wait = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return tc.wait
	}
	opts.Color = !tc.noColor
	if opts.Product == "" {
		opts.Product = "jira" // the flag's default
	}
	opts.Path = expand(opts.Path)

	code := e.Report(run(context.Background(), &opts), "api")

	mask := strings.NewReplacer(api, "{API}", host, "{HOST}").Replace
	stdout, stderr := mask(e.Out.String()), mask(e.ErrOut.String())
	wantErr := tc.stderr
	if n := strings.Count(wantErr, "retry N of"); n > 0 {
		for i := 1; i <= n; i++ {
			wantErr = strings.Replace(wantErr, "retry N of", "retry "+string(rune('0'+i))+" of", 1)
		}
	}
	if code != tc.code || stderr != wantErr {
		t.Fatalf("exit %d, stderr %q; want %d, %q (stdout %q)", code, stderr, tc.code, wantErr, stdout)
	}
	if name, ok := strings.CutPrefix(tc.stdout, "golden:"); ok {
		clitest.Golden(t, *update, name, stdout)
	} else if stdout != tc.stdout {
		t.Fatalf("stdout\n%q, want\n%q", stdout, tc.stdout)
	}
	if !reflect.DeepEqual(waits, tc.waits) {
		t.Fatalf("waited %v, want %v", waits, tc.waits)
	}
	for name, n := range tc.counts {
		if got := e.Srv.Count(name); got != n {
			t.Fatalf("%d %s requests, want %d", got, name, n)
		}
	}
	if tc.sent != nil {
		checkSent(t, e.Srv.LastAPIRequest(), tc.sent)
	}
}

// checkSent compares what the server got last with want.
func checkSent(t *testing.T, got *authtest.APIRequest, want *sent) {
	t.Helper()
	if got == nil {
		t.Fatal("the server got no request")
	}
	if got.Method != want.method || got.Path != want.path || got.Query.Encode() != want.query || string(got.Body) != want.body {
		t.Fatalf("the server got %s %s ? %s body %q; want %s %s ? %s body %q", got.Method, got.Path, got.Query.Encode(), got.Body, want.method, want.path, want.query, want.body)
	}
	for k, v := range want.header {
		if got.Header.Get(k) != v {
			t.Fatalf("header %s: %q, want %q", k, got.Header.Get(k), v)
		}
	}
}

func TestNewCmdFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want Options // flags and PATH; Color
		err  string
	}{
		{name: "PATH alone", args: []string{"rest/api/3/myself"}, want: Options{Path: "rest/api/3/myself", Product: "jira", Color: true}},
		{name: "NO_COLOR", args: []string{"p"}, env: map[string]string{"NO_COLOR": "1"}, want: Options{Path: "p", Product: "jira"}},
		{name: "short flags", args: []string{"-X", "PATCH", "-H", "A: b", "-H", "C: d", "-f", "a=1", "-f", "a=2", "-F", "b=2", "-i", "-q", ".x", "p"},
			want: Options{Method: "PATCH", Headers: []string{"A: b", "C: d"}, Fields: []string{"a=1", "a=2"}, TypedFields: []string{"b=2"}, Include: true, JQ: ".x", Path: "p", Product: "jira", Color: true}},
		{name: "long flags", args: []string{"--method", "post", "--header", "A: b", "--raw-field", "k=v,w", "--field", "n=1", "--input", "-", "--include", "--silent",
			"--jq", ".[]", "--paginate", "--slurp", "--product", "confluence", "--site", "beta", "wiki/api/v2/spaces"},
			want: Options{Method: "post", Headers: []string{"A: b"}, Fields: []string{"k=v,w"}, TypedFields: []string{"n=1"}, Input: "-", Include: true, Silent: true,
				JQ: ".[]", Paginate: true, Slurp: true, Product: "confluence", Site: "beta", Path: "wiki/api/v2/spaces", Color: true}},
		{name: "no PATH", args: nil, err: "atl api takes one PATH (e.g. rest/api/3/myself); see `atl api --help`"},
		{name: "two PATHs", args: []string{"a", "b"}, err: "atl api takes one PATH (e.g. rest/api/3/myself); see `atl api --help`"},
		{name: "an unknown flag", args: []string{"--nope", "p"}, err: "unknown flag: --nope"},
		{name: "a flag without its value", args: []string{"p", "--jq"}, err: "flag needs an argument: --jq"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			for k, v := range tc.env {
				e.Vars[k] = v
			}
			var got *Options
			cmd := NewCmd(e.F, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tc.err != "" {
				if err == nil || err.Error() != tc.err || got != nil {
					t.Fatalf("err %v, ran %v; want %q", err, got != nil, tc.err)
				}
				return
			}
			if err != nil || got == nil {
				t.Fatalf("err %v, ran %v", err, got != nil)
			}
			if got.IO != e.F.IO || got.Session == nil || got.Now == nil || got.Wait == nil {
				t.Fatalf("dependencies: IO %p (want %p), Session %v, Now %v, Wait %v", got.IO, e.F.IO, got.Session != nil, got.Now != nil, got.Wait != nil)
			}
			flags := *got
			flags.IO, flags.Session, flags.Now, flags.Wait = nil, nil, nil, nil
			if !reflect.DeepEqual(flags, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", flags, tc.want)
			}
		})
	}
	// The completions of --product.
	cmd := NewCmd(clitest.New(t).F, nil)
	complete, ok := cmd.GetFlagCompletionFunc("product")
	if !ok {
		t.Fatal("no completion for --product")
	}
	if got, dir := complete(cmd, nil, ""); !reflect.DeepEqual(got, []string{"jira", "confluence"}) || dir != cobra.ShellCompDirectiveNoFileComp {
		t.Fatalf("--product completes %v, %v", got, dir)
	}
}
