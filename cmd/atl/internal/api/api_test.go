package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/cmd/atl/internal/cli"
)

func TestFieldsMakeABody(t *testing.T) {
	fields, err := parseFields([]string{"a=1", "n[x]=s", "list[]=x"}, []string{"b=2", "f=1.5", "t=true", "z=null", "s=0x10", "n[y][z]=false", "list[]=3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := body(fields)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(b)
	if want := `{"a":"1","b":2,"f":1.5,"list":["x",3],"n":{"x":"s","y":{"z":false}},"s":"0x10","t":true,"z":null}`; string(got) != want {
		t.Fatalf("body = %s, want %s", got, want)
	}
	for _, bad := range [][]string{{"a=1", "a[b]=2"}, {"a[b]=1", "a=2"}, {"a=1", "a[]=2"}, {"a[]=1", "a=2"}, {"a=1", "a=2"}, {"[x]=1"}, {"a[b=1"}, {"a[][b]=1"}} {
		fs, err := parseFields(bad, nil, nil)
		if err == nil {
			_, err = body(fs)
		}
		var ue *cli.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
	for _, bad := range []string{"novalue", "=x"} {
		if _, err := parseFields([]string{bad}, nil, nil); err == nil {
			t.Errorf("-f %q accepted", bad)
		}
		if _, err := parseFields(nil, []string{bad}, nil); err == nil {
			t.Errorf("-F %q accepted", bad)
		}
	}
	q := url.Values{}
	query(q, fields)
	if q.Get("n[y][z]") != "false" || q.Get("z") != "" || strings.Join(q["list[]"], ",") != "x,3" {
		t.Fatalf("query %v", q)
	}
	stdin, err := parseFields(nil, []string{"d=@-"}, strings.NewReader("from stdin"))
	if err != nil || stdin[0].value != "from stdin" {
		t.Fatalf("@-: %+v %v", stdin, err)
	}
	if _, err := parseFields(nil, []string{"d=@/nonexistent/file"}, nil); err == nil {
		t.Fatal("a missing @file was accepted")
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

func TestRetryWait(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header  string
		attempt int
		want    time.Duration
	}{
		{"", 1, 2 * time.Second},
		{"", 2, 4 * time.Second},
		{"7", 1, 7 * time.Second},
		{"0", 1, 0},
		{"600", 1, 60 * time.Second},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 1, 10 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 1, 0},
		{"soon", 3, 8 * time.Second},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set("Retry-After", tc.header)
		}
		if got := retryWait(h, tc.attempt, now); got != tc.want {
			t.Errorf("retryWait(%q, %d) = %v, want %v", tc.header, tc.attempt, got, tc.want)
		}
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

func TestFieldsAndInputShareTheBodyLimit(t *testing.T) {
	big := strings.NewReader(strings.Repeat("x", maxBodySize+1))
	if _, err := parseFields(nil, []string{"d=@-"}, big); err == nil || !strings.Contains(err.Error(), "larger than 67108864 bytes") {
		t.Fatalf("-F d=@- of maxBodySize+1 bytes: %v", err)
	}
	file := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(file, []byte(strings.Repeat("x", maxBodySize)), 0o600); err != nil {
		t.Fatal(err)
	}
	if fs, err := parseFields(nil, []string{"d=@" + file}, nil); err != nil || len(fs[0].value.(string)) != maxBodySize {
		t.Fatalf("-F d=@file of exactly maxBodySize bytes: %v", err)
	}
	if err := os.Truncate(file, maxBodySize+1); err != nil {
		t.Fatal(err)
	}
	if _, err := parseFields(nil, []string{"d=@" + file}, nil); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("-F d=@file of maxBodySize+1 bytes: %v", err)
	}
	if _, err := readBody("--input", file, nil); err == nil || err.Error() != "--input is larger than 67108864 bytes" {
		t.Fatalf("--input of maxBodySize+1 bytes: %v", err)
	}
}
