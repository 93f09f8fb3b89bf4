package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/atl-cli/atl/cmd/atl/internal/siteapi"
	"github.com/atl-cli/atl/store"
	"github.com/itchyny/gojq"
)

// pager is a server of pages for paginate, and the call that reads them.
type pager struct {
	srv  *httptest.Server
	c    *apiCall
	out  *bytes.Buffer
	mu   sync.Mutex
	hits int
}

// newPager serves pages from page (given the request and how many came
// before it) and returns a call of paginate's, merging when slurp is set.
func newPager(t *testing.T, slurp bool, page func(r *http.Request, n int) (header http.Header, body string)) *pager {
	t.Helper()
	p := &pager{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		n := p.hits
		p.hits++
		p.mu.Unlock()
		h, body := page(r, n)
		for k, v := range h {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(p.srv.Close)
	f, out, _, _ := clitest.NewFactory(t, nil)
	p.out = out
	p.c = &apiCall{opts: &Options{IO: f.IO, Now: f.Now, Wait: f.Wait, Paginate: true, Slurp: slurp}, request: &request{header: http.Header{}, method: http.MethodGet}, hc: p.srv.Client(), mergeLimit: maxMerge}
	return p
}

func (p *pager) run(t *testing.T, path string, body map[string]any) error {
	t.Helper()
	u, err := url.Parse(p.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		p.c.method = http.MethodPost
	}
	return p.c.paginate(t.Context(), pageRequest{url: u, body: body}, testSite(t, p.srv.URL, "c"))
}

// testSite is the API of a login whose site has the cloud id id and
// whose API server is api (ATL_API_URL).
func testSite(t *testing.T, api, id string) *siteapi.API {
	t.Helper()
	e := clitest.New(t)
	e.Vars["ATL_API_URL"] = api
	e.Store("default", "")
	l := e.Login("default")
	m, g, err := l.Load()
	if err != nil {
		t.Fatal(err)
	}
	m.Site.ID, m.Sites = id, []store.Site{{ID: id, URL: m.Site.URL, Name: m.Site.Name}}
	if err := l.Save(m, g); err != nil {
		t.Fatal(err)
	}
	s, err := e.F.Session()
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	site, err := siteapi.New(info)
	if err != nil {
		t.Fatal(err)
	}
	return site
}

func (p *pager) requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits
}

func TestPaginateStopsAtALoop(t *testing.T) {
	for _, tc := range []struct {
		name  string
		path  string
		body  map[string]any
		page  func(r *http.Request, n int) (http.Header, string)
		pages int    // pages fetched
		err   string // the error's end
	}{
		{"a next link to the page itself", "/ex/confluence/c/wiki/api/v2/spaces?limit=1", nil, func(r *http.Request, n int) (http.Header, string) {
			return nil, `{"results":[{"n":` + strconv.Itoa(n) + `}],"_links":{"next":"/wiki/api/v2/spaces?limit=1"}}`
		}, 1, "after page 1, the next link (/ex/confluence/c/wiki/api/v2/spaces) asks for a page already fetched"},
		{"a Link header back to an earlier page", "/ex/confluence/c/wiki/api/v2/pages", nil, func(r *http.Request, n int) (http.Header, string) {
			next := map[int]string{0: "/wiki/api/v2/pages?cursor=b", 1: "/wiki/api/v2/pages?cursor=c"}[n]
			if n >= 2 {
				next = "/wiki/api/v2/pages?cursor=b"
			}
			return http.Header{"Link": {"<" + next + `>; rel="next"`}}, `{"results":[]}`
		}, 3, "after page 3, the next link (/ex/confluence/c/wiki/api/v2/pages) asks for a page already fetched"},
		{"a repeated nextPageToken (GET)", "/ex/jira/c/rest/api/3/search/jql?jql=x", nil, func(r *http.Request, n int) (http.Header, string) {
			return nil, `{"issues":[{"n":` + strconv.Itoa(n) + `}],"nextPageToken":"tok-1","isLast":false}`
		}, 2, `after page 2, nextPageToken "tok-1" asks for a page already fetched`},
		{"a repeated nextPageToken (POST)", "/ex/jira/c/rest/api/3/search/jql", map[string]any{"jql": "x"}, func(r *http.Request, n int) (http.Header, string) {
			return nil, `{"issues":[{"n":` + strconv.Itoa(n) + `}],"nextPageToken":"tok-` + strconv.Itoa(min(n, 3)) + `","isLast":false}`
		}, 5, `after page 5, nextPageToken "tok-3" asks for a page already fetched`},
		{"a long token is cut short in the error", "/ex/jira/c/rest/api/3/search/jql", nil, func(r *http.Request, n int) (http.Header, string) {
			return nil, `{"issues":[1],"nextPageToken":"` + strings.Repeat("t", 500) + `\u009b"}`
		}, 2, `after page 2, nextPageToken "` + strings.Repeat("t", 40) + `…" asks for a page already fetched`},
		{"an offset that does not advance", "/ex/jira/c/rest/api/3/project/search", nil, func(r *http.Request, n int) (http.Header, string) {
			return nil, `{"startAt":0,"maxResults":2,"total":9,"isLast":false,"values":[1,2]}`
		}, 2, "after page 2, startAt 2 asks for a page already fetched"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPager(t, false, tc.page)
			err := p.run(t, tc.path, tc.body)
			if err == nil || err.Error() != "--paginate: the pages loop: "+tc.err {
				t.Fatalf("got %v, want an error ending %q", err, tc.err)
			}
			if p.requests() != tc.pages {
				t.Fatalf("%d requests, want %d", p.requests(), tc.pages)
			}
			// The pages fetched were printed as they came.
			if got := strings.Count(p.out.String(), "{"); got < tc.pages {
				t.Fatalf("%d pages printed: %q", got, p.out.String())
			}
		})
	}
}

// TestPaginateDoesNotLoopOnDistinctPages: the same cursor on different
// paths makes different pages.
func TestPaginateDoesNotLoopOnDistinctPages(t *testing.T) {
	p := newPager(t, true, func(r *http.Request, n int) (http.Header, string) {
		if n < 4 {
			return nil, `{"results":[` + strconv.Itoa(n) + `],"_links":{"next":"/wiki/api/v2/p` + strconv.Itoa(n) + `?cursor=same"}}`
		}
		return nil, `{"results":[4]}`
	})
	if err := p.run(t, "/ex/confluence/c/wiki/api/v2/p?cursor=same", nil); err != nil || p.requests() != 5 {
		t.Fatalf("%v after %d requests", err, p.requests())
	}
	if p.out.String() != `{"_links":{},"results":[0,1,2,3,4]}`+"\n" {
		t.Fatalf("merged %q", p.out.String())
	}
}

func TestPaginateCapsWhatAMergeHolds(t *testing.T) {
	item := strings.Repeat("x", 300<<10)
	page := func(r *http.Request, n int) (http.Header, string) {
		return nil, fmt.Sprintf(`{"issues":[%q],"nextPageToken":"t%d"}`, item, n)
	}
	for _, jq := range []bool{false, true} {
		p := newPager(t, !jq, page)
		if jq {
			code, err := gojq.Compile(parseJQ(t, ".issues | length"))
			if err != nil {
				t.Fatal(err)
			}
			p.c.jq = code
		}
		p.c.mergeLimit = 1 << 20
		err := p.run(t, "/ex/jira/c/rest/api/3/search/jql", nil)
		want := "--paginate: the pages to merge for --slurp or --jq are over 1 MiB at page 4; without them, pages print one at a time"
		if err == nil || err.Error() != want || p.requests() != 4 || p.out.Len() != 0 {
			t.Fatalf("jq %v: %v after %d requests, printed %d bytes; want %q", jq, err, p.requests(), p.out.Len(), want)
		}
	}
	// Streamed, the same pages are not held: no cap.
	p := newPager(t, false, func(r *http.Request, n int) (http.Header, string) {
		if n == 9 {
			return nil, `{"issues":[]}`
		}
		return page(r, n)
	})
	p.c.mergeLimit = 1 << 20
	if err := p.run(t, "/ex/jira/c/rest/api/3/search/jql", nil); err != nil || p.requests() != 10 {
		t.Fatalf("streamed: %v after %d requests", err, p.requests())
	}
}

func parseJQ(t *testing.T, q string) *gojq.Query {
	t.Helper()
	parsed, err := gojq.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

// TestStreamedPagesAreNotHeld pages through 150 pages of 256 KiB and
// measures, from the server, the live heap while paginate waits for the
// 20th and the last: pages printed as they come are dropped, so it does
// not grow with their number.
func TestStreamedPagesAreNotHeld(t *testing.T) {
	const pages = 150
	item := strings.Repeat("x", 256<<10)
	var at20, atLast uint64
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	p := newPager(t, false, func(r *http.Request, n int) (http.Header, string) {
		switch n {
		case 20:
			at20 = heap()
		case pages - 1:
			atLast = heap()
			return nil, `{"values":[],"startAt":0}`
		}
		start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
		b, _ := json.Marshal(map[string]any{"startAt": start, "total": pages * 10, "values": []string{item}})
		return nil, string(b)
	})
	p.c.opts.IO.Out = io.Discard
	if err := p.run(t, "/ex/jira/c/rest/api/3/project/search", nil); err != nil || p.requests() != pages {
		t.Fatalf("%v after %d requests", err, p.requests())
	}
	// 129 pages held would be 129 × 256 KiB = 32 MiB more.
	if atLast > at20+8<<20 {
		t.Fatalf("the live heap grew from %d to %d bytes over %d pages", at20, atLast, pages-21)
	}
}

// TestHelpNamesThePaginationLimits: what atl api --help and the README say
// are the limits in the code.
func TestHelpNamesThePaginationLimits(t *testing.T) {
	f, _, _, _ := clitest.NewFactory(t, nil)
	long := strings.Join(strings.Fields(NewCmd(f, nil).Long), " ")
	readme, err := os.ReadFile("../../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(readme)), " ")
	for _, want := range []string{fmt.Sprintf("at most %d MiB of pages", maxMerge>>20), fmt.Sprintf("after the %d", maxPages), fmt.Sprintf("at most %d MiB", maxBodySize>>20)} {
		if !strings.Contains(long, want) {
			t.Errorf("atl api --help lacks %q", want)
		}
	}
	for _, want := range []string{fmt.Sprintf("at most %d MiB of pages", maxMerge>>20), fmt.Sprintf("at most %d MiB as with `--input`", maxBodySize>>20)} {
		if !strings.Contains(flat, want) {
			t.Errorf("README.md lacks %q", want)
		}
	}
}
func TestNextPage(t *testing.T) {
	base, _ := url.Parse("http://api.test/ex/jira/c/rest/api/3/project/search?maxResults=2")
	page := func(s string) map[string]any {
		v, err := decodePage([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v.(map[string]any)
	}
	cur := pageRequest{url: base}
	site := testSite(t, "http://api.test", "c")
	for _, tc := range []struct {
		name, page, link, want string
	}{
		{"offset", `{"startAt":0,"maxResults":2,"total":5,"values":[1,2]}`, "", "startAt=2"},
		{"offset, last by total", `{"startAt":4,"total":5,"values":[1]}`, "", ""},
		{"offset, last by isLast", `{"startAt":0,"isLast":true,"values":[1,2]}`, "", ""},
		{"offset, empty page", `{"startAt":8,"values":[]}`, "", ""},
		{"token", `{"issues":[1],"nextPageToken":"abc","isLast":false}`, "", "nextPageToken=abc"},
		{"token, last", `{"issues":[1],"isLast":true}`, "", ""},
		{"confluence relative", `{"results":[1],"_links":{"next":"/wiki/api/v2/spaces?cursor=x"}}`, "", "http://api.test/ex/confluence/c/wiki/api/v2/spaces?cursor=x"},
		{"confluence Link header", `{"results":[1]}`, `</wiki/api/v2/pages?cursor=y>; rel="next"`, "http://api.test/ex/confluence/c/wiki/api/v2/pages?cursor=y"},
		{"atlassian's absolute link", `{"_links":{"next":"https://api.atlassian.com/ex/confluence/c/wiki/api/v2/spaces?cursor=z"}}`, "", "https://api.atlassian.com/ex/confluence/c/wiki/api/v2/spaces?cursor=z"},
		{"no paging", `{"key":"v"}`, "", ""},
	} {
		h := http.Header{}
		if tc.link != "" {
			h.Set("Link", tc.link)
		}
		next, err := nextPage(cur, h, page(tc.page), site)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		switch {
		case tc.want == "" && next != nil:
			t.Errorf("%s: a next page %v", tc.name, next.url)
		case tc.want != "" && (next == nil || !strings.Contains(next.url.String(), tc.want)):
			t.Errorf("%s: next %v, want %s", tc.name, next, tc.want)
		}
	}
	// A POST search pages in its body.
	next, _ := nextPage(pageRequest{url: base, body: map[string]any{"jql": "x"}}, http.Header{}, page(`{"nextPageToken":"t2"}`), site)
	if next.body["nextPageToken"] != "t2" || next.body["jql"] != "x" || next.url.RawQuery != base.RawQuery {
		t.Fatalf("body paging: %+v", next)
	}
	// A link to another host is not followed.
	if _, err := nextPage(cur, http.Header{}, page(`{"_links":{"next":"https://evil.example/next"}}`), site); err == nil || !strings.Contains(err.Error(), "evil.example") {
		t.Fatalf("a link elsewhere: %v", err)
	}
}

func TestMerge(t *testing.T) {
	var pages []any
	for _, p := range []string{`{"startAt":0,"maxResults":2,"values":[1,2],"isLast":false}`, `{"startAt":2,"maxResults":2,"values":[3],"isLast":true}`} {
		v, _ := decodePage([]byte(p))
		pages = append(pages, v)
	}
	got, _ := json.Marshal(merge(pages))
	if string(got) != `{"isLast":true,"maxResults":3,"startAt":0,"values":[1,2,3]}` {
		t.Fatalf("merged %s", got)
	}
	pages = nil
	for _, p := range []string{`[1,2]`, `[3]`} {
		v, _ := decodePage([]byte(p))
		pages = append(pages, v)
	}
	if got, _ := json.Marshal(merge(pages)); string(got) != `[1,2,3]` {
		t.Fatalf("merged arrays %s", got)
	}
	pages = nil
	for _, p := range []string{`{"results":[1],"_links":{"next":"/n","base":"b"}}`, `{"results":[2],"_links":{"base":"b"}}`} {
		v, _ := decodePage([]byte(p))
		pages = append(pages, v)
	}
	if got, _ := json.Marshal(merge(pages)); string(got) != `{"_links":{"base":"b"},"results":[1,2]}` {
		t.Fatalf("merged confluence %s", got)
	}
}

func TestLinkNext(t *testing.T) {
	for header, want := range map[string]string{
		`</a?cursor=1>; rel="next"`:                "/a?cursor=1",
		`</a>; rel=next`:                           "/a",
		`</prev>; rel="prev", </next>; rel="next"`: "/next",
		`</b>; title="x"; REL="next last"`:         "/b",
		`</a>; rel="prev"`:                         "",
		`/a; rel="next"`:                           "",
		`</a>`:                                     "",
		``:                                         "",
		`</a>; rel="nextish"`:                      "",
		` <https://api.atlassian.com/x> ;rel = "next" `: "https://api.atlassian.com/x",
	} {
		if got := linkNext(header); got != want {
			t.Errorf("linkNext(%q) = %q, want %q", header, got, want)
		}
	}
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
