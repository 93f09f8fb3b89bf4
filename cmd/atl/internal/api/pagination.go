package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/atl-cli/atl/cmd/atl/internal/siteapi"
	"github.com/atl-cli/atl/internal/termtext"
)

// Atlassian pages its lists in three ways, and atl api --paginate follows
// each until the last page:
//   - Jira's offset pages: startAt, maxResults, total, isLast, and the
//     items (values, issues, …): the next page starts after the items;
//   - Jira's token pages (enhanced search): nextPageToken until isLast;
//   - Confluence v2's cursor pages: _links.next (and a Link header), a
//     path relative to the site's Confluence API, or an address on the
//     API server or on https://api.atlassian.com, mapped onto the API in
//     use (siteapi's Link).
//
// A next page that was already asked for (the same address and body: a
// link to the page itself, a repeated nextPageToken, a startAt that does
// not advance) means the pages loop, and is an error.

// maxPages bounds how many pages --paginate fetches.
const maxPages = 10000

// maxMerge bounds the JSON of the pages --paginate holds to merge them
// (--slurp, --jq): apiCall.mergeLimit. A streamed page is printed and
// dropped.
const maxMerge = 256 << 20

// paginate fetches req and the pages after it until the last. It prints
// each page as it comes, or, with --slurp or --jq, holds them (at most
// c.mergeLimit bytes of JSON) and prints one result merging them after the
// last. It stops with an error at a page already asked for and after
// maxPages pages.
func (c *apiCall) paginate(ctx context.Context, req pageRequest, site *siteapi.API) error {
	merging := c.opts.Slurp || c.jq != nil
	asked := map[[sha256.Size]byte]bool{req.key(): true} // at most maxPages of 32 bytes
	var pages []any
	held := 0
	for n := 1; ; n++ {
		resp, body, err := c.fetch(ctx, req)
		if err != nil {
			return err
		}
		if !merging {
			c.printBody(body)
		}
		page, err := decodePage(body)
		if err != nil {
			return fmt.Errorf("--paginate: page %d is not JSON", n)
		}
		if merging {
			if held += len(body); held > c.mergeLimit {
				return fmt.Errorf("--paginate: the pages to merge for --slurp or --jq are over %d MiB at page %d; without them, pages print one at a time", c.mergeLimit>>20, n)
			}
			pages = append(pages, page)
		}
		obj, _ := page.(map[string]any)
		next, err := nextPage(req, resp.Header, obj, site)
		if err != nil {
			return err
		}
		if next == nil {
			break
		}
		k := next.key()
		if asked[k] {
			return fmt.Errorf("--paginate: the pages loop: after page %d, %s asks for a page already fetched", n, next.via)
		}
		asked[k] = true
		if n >= maxPages {
			return fmt.Errorf("--paginate: stopped after %d pages", maxPages)
		}
		req = *next
	}
	if !merging {
		return nil
	}
	merged := merge(pages)
	if c.jq != nil {
		return c.runJQ(merged)
	}
	b, _ := json.Marshal(merged)
	c.printBody(endLine(b))
	return nil
}

// itemKeys are the names Jira gives the items of an offset page.
var itemKeys = []string{"values", "issues", "results", "worklogs", "comments", "changelogs", "histories", "users", "groups"}

// pageItems returns the name and the items of a page's item list.
func pageItems(page map[string]any) (string, []any) {
	for _, k := range itemKeys {
		if items, ok := page[k].([]any); ok {
			return k, items
		}
	}
	return "", nil
}

// linkNext returns the rel="next" address of a Link header, if any.
func linkNext(header string) string {
	for _, part := range strings.Split(header, ",") {
		addr, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		addr = strings.TrimSpace(addr)
		if !ok || !strings.HasPrefix(addr, "<") || !strings.HasSuffix(addr, ">") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(p, "=")
			v = strings.Trim(strings.TrimSpace(v), `"`)
			if strings.EqualFold(strings.TrimSpace(k), "rel") && slices.Contains(strings.Fields(v), "next") {
				return addr[1 : len(addr)-1]
			}
		}
	}
	return ""
}

// pageRequest is how the next page is asked for.
type pageRequest struct {
	url  *url.URL
	body map[string]any // a JSON body (POST searches), or nil
	via  string         // what leads to it, for errors: the link, token or offset
}

// key identifies what r asks for (its address and body) in a few bytes.
func (r pageRequest) key() [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(r.url.String()))
	if r.body != nil {
		b, _ := json.Marshal(r.body) // keys sorted: the same body, the same bytes
		h.Write([]byte{0})
		h.Write(b)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// nextPage returns the request for the page after page (the response's
// decoded body), or nil after the last page. A link is the site's (see
// followLink); one to any other host is an error, and is not followed.
func nextPage(cur pageRequest, header http.Header, page map[string]any, site *siteapi.API) (*pageRequest, error) {
	if isLast, _ := page["isLast"].(bool); isLast {
		return nil, nil
	}
	link := ""
	if link = linkNext(header.Get("Link")); link == "" {
		links, _ := page["_links"].(map[string]any)
		link, _ = links["next"].(string)
	}
	if link != "" {
		next, err := followLink(link, site)
		if err != nil {
			return nil, err
		}
		return &pageRequest{url: next, via: "the next link (" + next.Path + ")"}, nil
	}
	if token, _ := page["nextPageToken"].(string); token != "" {
		next := cur.with("nextPageToken", token)
		next.via = fmt.Sprintf("nextPageToken %q", termtext.Clean(token, 40))
		return next, nil
	}
	startAt, isOffset := number(page["startAt"])
	if !isOffset {
		return nil, nil
	}
	_, items := pageItems(page)
	next := startAt + len(items)
	if total, ok := number(page["total"]); len(items) == 0 || (ok && next >= total) {
		return nil, nil
	}
	r := cur.with("startAt", next)
	r.via = fmt.Sprintf("startAt %d", next)
	return r, nil
}

// with is cur asking for key=value: in the JSON body if there is one,
// else in the query.
func (cur pageRequest) with(key string, value any) *pageRequest {
	u := *cur.url
	next := &pageRequest{url: &u}
	if cur.body != nil {
		next.body = map[string]any{}
		for k, v := range cur.body {
			next.body[k] = v
		}
		next.body[key] = value
		return next
	}
	q := u.Query()
	q.Set(key, fmt.Sprint(value))
	u.RawQuery = q.Encode()
	return next
}

// followLink resolves a next-page link: a path is relative to the site's
// Confluence API; an absolute address must be on the API in use or on
// Atlassian's (which atl's client maps onto the API in use).
func followLink(link string, site *siteapi.API) (*url.URL, error) {
	u, err := site.Link(link)
	var foreign *siteapi.ForeignError
	switch {
	case errors.As(err, &foreign):
		return nil, fmt.Errorf("the next page's link points at another host (%s): not followed", foreign.Host)
	case err != nil:
		return nil, fmt.Errorf("the next page's link is not an address")
	}
	return u, nil
}

func number(v any) (int, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.Atoi(x.String())
		return n, err == nil
	case float64:
		return int(x), true
	}
	return 0, false
}

// decodePage decodes a page's JSON body, keeping numbers exact.
func decodePage(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// merge makes one result of pages: arrays are joined; objects become the
// first page with the items of all the pages, marked as the last page.
func merge(pages []any) any {
	if len(pages) == 0 {
		return nil
	}
	if _, ok := pages[0].([]any); ok {
		var all []any
		for _, p := range pages {
			if a, ok := p.([]any); ok {
				all = append(all, a...)
			}
		}
		return all
	}
	first, ok := pages[0].(map[string]any)
	if !ok {
		return pages
	}
	key, _ := pageItems(first)
	if key == "" {
		return pages
	}
	out := map[string]any{}
	for k, v := range first {
		out[k] = v
	}
	var items []any
	for _, p := range pages {
		if m, ok := p.(map[string]any); ok {
			_, its := pageItems(m)
			items = append(items, its...)
		}
	}
	out[key] = items
	delete(out, "nextPageToken")
	if links, ok := out["_links"].(map[string]any); ok {
		l := map[string]any{}
		for k, v := range links {
			if k != "next" {
				l[k] = v
			}
		}
		out["_links"] = l
	}
	if _, ok := out["isLast"]; ok {
		out["isLast"] = true
	}
	if _, ok := out["maxResults"]; ok {
		out["maxResults"] = len(items)
	}
	return out
}
