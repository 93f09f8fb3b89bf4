package authtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// APIRequest is what a data endpoint was sent (see LastAPIRequest).
type APIRequest struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// LastAPIRequest returns the last request a data endpoint answered (Jira
// projects, search and issues, Confluence spaces), or nil.
func (s *Server) LastAPIRequest() *APIRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastAPI == nil {
		return nil
	}
	c := *s.lastAPI
	c.Query = cloneValues(c.Query)
	c.Header = c.Header.Clone()
	c.Body = slices.Clone(c.Body)
	return &c
}

// InjectAPIFaults queues faults for the data endpoints, as
// InjectTokenFaults does for the token endpoint: each of the next data
// requests consumes one, in order. PassThrough answers the request and
// then applies the fault's Delay, Header, Reset and Trickle.
func (s *Server) InjectAPIFaults(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiFaults = append(s.apiFaults, f...)
}

// data wraps a data endpoint: it counts the request under name, records
// it, serves an injected fault, and checks the bearer token, the scope and
// the site before calling h.
func (s *Server) data(name, scope string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBodySize))
		s.mu.Lock()
		s.counts[name]++
		s.lastAPI = &APIRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}
		var f *Fault
		if len(s.apiFaults) > 0 {
			f = &s.apiFaults[0]
			s.apiFaults = s.apiFaults[1:]
		}
		s.mu.Unlock()
		serve := func(w http.ResponseWriter) {
			scopes, ok := s.bearer(w, r)
			if !ok || !requireScope(w, scopes, scope) {
				return
			}
			if !slices.ContainsFunc(s.opts.Sites, func(st Site) bool { return st.ID == r.PathValue("cloudid") }) {
				writeJSON(w, http.StatusNotFound, map[string]any{"errorMessages": []string{"Site not found."}})
				return
			}
			r.Body = io.NopCloser(strings.NewReader(string(body)))
			h(w, r)
		}
		switch {
		case f == nil:
			serve(w)
		case f.PassThrough:
			rec := httptest.NewRecorder()
			serve(rec)
			s.serveFault(w, r, f, rec)
		default:
			s.serveFault(w, r, f, nil)
		}
	}
}

// page reads the page size a request asks for (param), at most PageSize.
func (s *Server) page(r *http.Request, param string) int {
	n, err := strconv.Atoi(r.URL.Query().Get(param))
	if err != nil || n <= 0 || n > s.opts.PageSize {
		return s.opts.PageSize
	}
	return n
}

// apiBase is the address of the product API of the site a request
// names, on this server as the request reached it.
func (s *Server) apiBase(r *http.Request, product string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/ex/" + product + "/" + r.PathValue("cloudid")
}

// handleProjects pages through the projects in Jira's offset style:
// startAt, maxResults, total, isLast and values.
func (s *Server) handleProjects(w http.ResponseWriter, r *http.Request) {
	startAt, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
	startAt = max(startAt, 0)
	if s.opts.LoopPages {
		startAt = 0
	}
	n := s.page(r, "maxResults")
	values := []map[string]any{}
	for i := startAt; i < s.opts.Projects && len(values) < n; i++ {
		values = append(values, map[string]any{"id": strconv.Itoa(10000 + i), "key": fmt.Sprintf("P%d", i+1), "name": fmt.Sprintf("Project %d", i+1)})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"self":       s.apiBase(r, "jira") + "/rest/api/3/project/search?" + r.URL.RawQuery,
		"startAt":    startAt,
		"maxResults": n,
		"total":      s.opts.Projects,
		"isLast":     startAt+len(values) >= s.opts.Projects,
		"values":     values,
	})
}

// handleSearch pages through the issues in Jira's token style:
// nextPageToken and isLast (enhanced JQL search), asked for in the query
// (GET) or in a JSON body (POST).
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var b struct {
			JQL           string `json:"jql"`
			NextPageToken string `json:"nextPageToken"`
			MaxResults    int    `json:"maxResults"`
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{"Invalid JSON body."}})
			return
		}
		q := url.Values{"jql": {b.JQL}}
		if b.NextPageToken != "" {
			q.Set("nextPageToken", b.NextPageToken)
		}
		if b.MaxResults > 0 {
			q.Set("maxResults", strconv.Itoa(b.MaxResults))
		}
		r.URL.RawQuery = q.Encode()
	}
	start := 0
	if tok := r.URL.Query().Get("nextPageToken"); tok != "" {
		var err error
		if start, err = strconv.Atoi(strings.TrimPrefix(tok, "page-")); err != nil || !strings.HasPrefix(tok, "page-") {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{"Invalid nextPageToken."}})
			return
		}
	}
	n := s.page(r, "maxResults")
	issues := []map[string]any{}
	for i := start; i < s.opts.Issues && len(issues) < n; i++ {
		issues = append(issues, issue(i))
	}
	out := map[string]any{"issues": issues, "isLast": start+len(issues) >= s.opts.Issues}
	if next := start + len(issues); next < s.opts.Issues {
		out["nextPageToken"] = fmt.Sprintf("page-%d", next)
	}
	if s.opts.LoopPages {
		out["nextPageToken"], out["isLast"] = fmt.Sprintf("page-%d", n), false
	}
	writeJSON(w, http.StatusOK, out)
}

func issue(i int) map[string]any {
	return map[string]any{"id": strconv.Itoa(20000 + i), "key": fmt.Sprintf("P1-%d", i+1), "fields": map[string]any{"summary": fmt.Sprintf("Issue %d", i+1)}}
}

// handleIssue answers one issue, or Jira's 404.
func (s *Server) handleIssue(w http.ResponseWriter, r *http.Request) {
	for i := range s.opts.Issues {
		if it := issue(i); it["key"] == r.PathValue("key") || it["id"] == r.PathValue("key") {
			writeJSON(w, http.StatusOK, it)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"errorMessages": []string{"Issue does not exist or you do not have permission to see it."}, "errors": map[string]any{}})
}

// handleCreateIssue answers a JSON body with a new issue that quotes it
// (as "received").
func (s *Server) handleCreateIssue(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]any{"errorMessages": []string{"Content type must be application/json."}})
		return
	}
	var body any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{"Invalid JSON body."}})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": "20100", "key": "P1-100", "self": s.apiBase(r, "jira") + "/rest/api/3/issue/20100", "received": body})
}

// handleSpaces pages through the spaces in Confluence v2's style: a
// cursor, _links.next relative to the site's /ex/confluence/{cloudid}
// base (or absolute, on https://api.atlassian.com, with AbsoluteLinks),
// and the same link in a Link header.
func (s *Server) handleSpaces(w http.ResponseWriter, r *http.Request) {
	start := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		var err error
		if start, err = strconv.Atoi(strings.TrimPrefix(c, "c")); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []map[string]string{{"title": "Invalid cursor"}}})
			return
		}
	}
	n := s.page(r, "limit")
	results := []map[string]any{}
	for i := start; i < s.opts.Spaces && len(results) < n; i++ {
		results = append(results, map[string]any{"id": strconv.Itoa(30000 + i), "key": fmt.Sprintf("S%d", i+1), "name": fmt.Sprintf("Space %d", i+1)})
	}
	links := map[string]any{"base": "https://example.atlassian.net/wiki"}
	if next := start + len(results); next < s.opts.Spaces || s.opts.LoopPages {
		q := url.Values{"cursor": {fmt.Sprintf("c%d", next)}, "limit": {strconv.Itoa(n)}}
		link := "/wiki/api/v2/spaces?" + q.Encode()
		if s.opts.LoopPages {
			link = strings.TrimPrefix(r.URL.RequestURI(), "/ex/confluence/"+r.PathValue("cloudid"))
		}
		if s.opts.AbsoluteLinks {
			link = "https://api.atlassian.com/ex/confluence/" + r.PathValue("cloudid") + link
		}
		links["next"] = link
		w.Header().Set("Link", "<"+link+`>; rel="next"`)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "_links": links})
}
