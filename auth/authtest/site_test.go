package authtest

import (
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

const jira2 = "/ex/jira/" + DefaultSiteID + "/rest/api/2"

func TestSiteLinksByTheSiteAndTheAPI(t *testing.T) {
	e := newEnv(t, Options{Issues: 3})
	tok, _ := e.s.IssueTokens("read:jira-user", "read:jira-work", "write:jira-work")
	api := e.s.URL() + "/ex/jira/" + DefaultSiteID
	for path, want := range map[string]string{
		jira2 + "/serverInfo":                        `"baseUrl":"` + DefaultSiteURL + `"`,
		jira + "/serverInfo":                         `"deploymentType":"Cloud"`,
		jira2 + "/myself":                            `"self":"` + DefaultSiteURL + `/rest/api/3/user?accountId=` + DefaultAccountID + `"`,
		jira + "/user?accountId=" + DefaultAccountID: `"self":"` + DefaultSiteURL + `/rest/api/3/user?accountId=` + DefaultAccountID + `"`,
		jira2 + "/field":                             `"id":"summary"`,
		jira2 + "/issue/P1-2":                        `{"fields":{"summary":"Issue 2"},"id":"20001","key":"P1-2","self":"` + api + `/rest/api/2/issue/20001"}`,
		jira2 + "/search?startAt=2":                  `"issues":[{"fields":{"summary":"Issue 3"},"id":"20002","key":"P1-3","self":"` + api + `/rest/api/2/issue/20002"}],"maxResults":2,"startAt":2,"total":3`,
	} {
		if r := e.api(t, path, tok); r.status != 200 || !strings.Contains(r.body, want) {
			t.Errorf("GET %s: %d %s\nwant %s", path, r.status, r.body, want)
		}
	}
	if r := e.api(t, jira+"/user?accountId=other", tok); r.status != 404 {
		t.Errorf("another user: %d %s", r.status, r.body)
	}
	// PUT to the self link edits the issue.
	req, _ := http.NewRequest("PUT", api+"/rest/api/2/issue/20001", strings.NewReader(`{"fields":{"summary":"Renamed"},"update":{}}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	if r, err := do(t, nil, req); err != nil || r.status != 204 {
		t.Fatalf("PUT: %v %+v", err, r)
	}
	if r := e.api(t, jira2+"/issue/P1-2", tok); !strings.Contains(r.body, `"summary":"Renamed"`) || e.s.Count("edit-issue") != 1 {
		t.Fatalf("after the edit: %s", r.body)
	}
}

func TestLargeBody(t *testing.T) {
	e := newEnv(t, Options{})
	tok, _ := e.s.IssueTokens("read:jira-work")
	r := e.api(t, jira+"/large?size=100000", tok)
	var v struct{ Values []struct{ Self, Pad string } }
	if err := json.Unmarshal([]byte(r.body), &v); err != nil || r.status != 200 {
		t.Fatalf("%d %v", r.status, err)
	}
	if n := len(r.body); n > 100000 || n < 99000 || len(v.Values) != 100000/129 || r.header.Get("Content-Length") != strconv.Itoa(n) {
		t.Fatalf("%d bytes (Content-Length %s), %d items", n, r.header.Get("Content-Length"), len(v.Values))
	}
	if want := e.s.URL() + "/ex/jira/" + DefaultSiteID + "/rest/api/3/issue/0000772"; v.Values[772].Self != want {
		t.Fatalf("self %s, want %s", v.Values[772].Self, want)
	}
}

func TestTLS(t *testing.T) {
	e := newEnv(t, Options{TLS: true})
	if !strings.HasPrefix(e.s.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %s", e.s.URL())
	}
	roots := x509.NewCertPool()
	roots.AddCert(e.s.Certificate())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = roots
	tok, _ := e.s.IssueTokens("read:jira-work")
	req, _ := http.NewRequest("GET", e.s.URL()+jira+"/project/search", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.ProtoMajor != 2 || !strings.Contains(string(b), `"self":"`+e.s.URL()+"/ex/jira/") {
		t.Fatalf("%s: %s", resp.Proto, b)
	}
	if newEnv(t, Options{}).s.Certificate() != nil {
		t.Fatal("a certificate without TLS")
	}
}
