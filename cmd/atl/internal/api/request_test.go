package api

import "testing"

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
