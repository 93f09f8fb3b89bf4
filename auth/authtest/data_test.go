package authtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

const jira = "/ex/jira/" + DefaultSiteID + "/rest/api/3"

func TestOffsetPages(t *testing.T) {
	e := newEnv(t, Options{Projects: 5})
	tok, _ := e.s.IssueTokens("read:jira-work")
	var keys []string
	for startAt := 0; ; {
		r := e.api(t, jira+"/project/search?startAt="+strconv.Itoa(startAt), tok)
		var p struct {
			StartAt, MaxResults, Total int
			IsLast                     bool
			Values                     []struct{ Key string }
		}
		if err := json.Unmarshal([]byte(r.body), &p); err != nil || r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if p.StartAt != startAt || p.MaxResults != 2 || p.Total != 5 {
			t.Fatalf("page %+v", p)
		}
		for _, v := range p.Values {
			keys = append(keys, v.Key)
		}
		if p.IsLast {
			break
		}
		startAt += len(p.Values)
	}
	if strings.Join(keys, " ") != "P1 P2 P3 P4 P5" {
		t.Fatalf("keys %q", keys)
	}
}

func TestTokenPages(t *testing.T) {
	e := newEnv(t, Options{Issues: 3})
	tok, _ := e.s.IssueTokens("read:jira-work")
	r := e.api(t, jira+"/search/jql?jql=project%3DP1", tok)
	if !strings.Contains(r.body, `"nextPageToken":"page-2"`) || !strings.Contains(r.body, `"isLast":false`) {
		t.Fatalf("first page %s", r.body)
	}
	r = e.api(t, jira+"/search/jql?nextPageToken=page-2", tok)
	if strings.Contains(r.body, "nextPageToken") || !strings.Contains(r.body, `"isLast":true`) || !strings.Contains(r.body, `"key":"P1-3"`) {
		t.Fatalf("last page %s", r.body)
	}
	if e.s.LastAPIRequest().Query.Get("nextPageToken") != "page-2" {
		t.Fatal("LastAPIRequest")
	}
	if r := e.api(t, jira+"/search/jql?nextPageToken=bogus", tok); r.status != 400 {
		t.Fatalf("bogus token: %d", r.status)
	}
}

func TestConfluencePages(t *testing.T) {
	for _, abs := range []bool{false, true} {
		e := newEnv(t, Options{Spaces: 3, AbsoluteLinks: abs})
		tok, _ := e.s.IssueTokens("read:space:confluence")
		r := e.api(t, "/ex/confluence/"+DefaultSiteID+"/wiki/api/v2/spaces", tok)
		want := "/wiki/api/v2/spaces?cursor=c2&limit=2"
		if abs {
			want = "https://api.atlassian.com/ex/confluence/" + DefaultSiteID + want
		}
		if r.header.Get("Link") != "<"+want+`>; rel="next"` || !strings.Contains(r.body, `"next":"`+strings.ReplaceAll(want, "&", `\u0026`)+`"`) {
			t.Fatalf("first page: Link %q, %s", r.header.Get("Link"), r.body)
		}
		r = e.api(t, "/ex/confluence/"+DefaultSiteID+"/wiki/api/v2/spaces?cursor=c2&limit=2", tok)
		if r.header.Get("Link") != "" || strings.Contains(r.body, `"next"`) || !strings.Contains(r.body, `"key":"S3"`) {
			t.Fatalf("last page: %s", r.body)
		}
	}
}

func TestLoopPages(t *testing.T) {
	e := newEnv(t, Options{LoopPages: true, Projects: 5, Issues: 5, Spaces: 5})
	tok, _ := e.s.IssueTokens("read:jira-work", "read:space:confluence")
	for _, startAt := range []string{"0", "2", "4"} {
		if r := e.api(t, jira+"/project/search?startAt="+startAt, tok); !strings.Contains(r.body, `"startAt":0`) || !strings.Contains(r.body, `"isLast":false`) {
			t.Fatalf("offset page at %s: %s", startAt, r.body)
		}
	}
	for _, q := range []string{"", "?nextPageToken=page-2", "?nextPageToken=page-4"} {
		if r := e.api(t, jira+"/search/jql"+q, tok); !strings.Contains(r.body, `"nextPageToken":"page-2"`) || !strings.Contains(r.body, `"isLast":false`) {
			t.Fatalf("token page %q: %s", q, r.body)
		}
	}
	for _, path := range []string{"/wiki/api/v2/spaces", "/wiki/api/v2/spaces?cursor=c4&limit=2"} {
		r := e.api(t, "/ex/confluence/"+DefaultSiteID+path, tok)
		if r.header.Get("Link") != "<"+path+`>; rel="next"` || !strings.Contains(r.body, `"next":"`+strings.ReplaceAll(path, "&", `\u0026`)+`"`) {
			t.Fatalf("cursor page %s: Link %q, %s", path, r.header.Get("Link"), r.body)
		}
	}
}

func TestCreateIssueAndFaults(t *testing.T) {
	e := newEnv(t, Options{})
	tok, _ := e.s.IssueTokens("read:jira-work", "write:jira-work")
	post := func(ct, body string) response {
		req, _ := http.NewRequest("POST", e.s.URL()+jira+"/issue", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", ct)
		r, err := roundTrip(nil, req)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := post("application/json", `{"fields":{"summary":"s"}}`); r.status != 201 || !strings.Contains(r.body, `"received":{"fields":{"summary":"s"}}`) {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r := post("text/plain", `x`); r.status != 415 {
		t.Fatalf("text body: %d", r.status)
	}
	e.s.InjectAPIFaults(Fault{Status: 429, Header: map[string]string{"Retry-After": "2"}}, Fault{PassThrough: true, Header: map[string]string{"X-Seen": "1"}})
	if r := e.api(t, jira+"/issue/P1-1", tok); r.status != 429 || r.header.Get("Retry-After") != "2" {
		t.Fatalf("fault: %d", r.status)
	}
	if r := e.api(t, jira+"/issue/P1-1", tok); r.status != 200 || r.header.Get("X-Seen") != "1" || !strings.Contains(r.body, `"summary":"Issue 1"`) {
		t.Fatalf("pass-through: %d %s", r.status, r.body)
	}
	if r := e.api(t, jira+"/issue/NOPE-1", tok); r.status != 404 || !strings.Contains(r.body, "errorMessages") {
		t.Fatalf("missing issue: %d", r.status)
	}
	if r := e.api(t, "/ex/jira/00000000-0000-0000-0000-000000000000/rest/api/3/issue/P1-1", tok); r.status != 404 {
		t.Fatalf("another site: %d", r.status)
	}
	if e.s.Count("issue") != 4 || e.s.Count("create-issue") != 2 {
		t.Fatalf("counts %d %d", e.s.Count("issue"), e.s.Count("create-issue"))
	}
}

func TestExposedCounts(t *testing.T) {
	e := newEnv(t, Options{ExposeCounts: true})
	e.api(t, "/me", "")
	r := e.api(t, "/_authtest/counts", "")
	if r.status != 200 || r.body != `{"me":1}` {
		t.Fatalf("counts: %d %s", r.status, r.body)
	}
	req, _ := http.NewRequest("POST", e.s.URL()+"/_authtest/counts/reset", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("reset: %v", err)
	}
	if e.s.Count("me") != 0 {
		t.Fatal("not reset")
	}
	if r := e.api(t, "/_authtest/counts", ""); newEnv(t, Options{}).api(t, "/_authtest/counts", "").status != 404 || r.status != 200 {
		t.Fatal("counts exposed without ExposeCounts")
	}
}
