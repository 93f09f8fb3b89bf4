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

	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
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
	return p.c.paginate(t.Context(), pageRequest{url: u, body: body}, p.srv.URL+"/ex/confluence/c", p.srv.URL)
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
	const conf, api = "http://api.test/ex/confluence/c", "http://api.test"
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
		next, err := nextPage(cur, h, page(tc.page), conf, api)
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
	next, _ := nextPage(pageRequest{url: base, body: map[string]any{"jql": "x"}}, http.Header{}, page(`{"nextPageToken":"t2"}`), conf, api)
	if next.body["nextPageToken"] != "t2" || next.body["jql"] != "x" || next.url.RawQuery != base.RawQuery {
		t.Fatalf("body paging: %+v", next)
	}
	// A link to another host is not followed.
	if _, err := nextPage(cur, http.Header{}, page(`{"_links":{"next":"https://evil.example/next"}}`), conf, api); err == nil || !strings.Contains(err.Error(), "evil.example") {
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
