// The endpoints a Jira client library calls (its REST v2 as well as v3),
// whose answers link back to the site as Atlassian's do: by the API
// server's address ({API}/ex/jira/{cloudid}/…) or by the site's own
// (https://NAME.atlassian.net/…). And a large body, for streaming.

package authtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// siteRoutes adds the endpoints of this file to mux.
func (s *Server) siteRoutes(mux *http.ServeMux) {
	const jira = "/ex/jira/{cloudid}/rest/api/"
	mux.HandleFunc("GET "+jira+"{version}/serverInfo", s.data("serverInfo", "read:jira-user", s.handleServerInfo))
	mux.HandleFunc("GET "+jira+"2/myself", s.handleMyself)
	mux.HandleFunc("GET "+jira+"{version}/user", s.data("user", "read:jira-user", s.handleUser))
	mux.HandleFunc("GET "+jira+"2/field", s.data("field", "read:jira-work", s.handleFields))
	mux.HandleFunc("GET "+jira+"2/search", s.data("search-v2", "read:jira-work", s.handleSearchV2))
	mux.HandleFunc("GET "+jira+"2/issue/{key}", s.data("issue", "read:jira-work", s.handleIssueV2))
	mux.HandleFunc("PUT "+jira+"2/issue/{key}", s.data("edit-issue", "write:jira-work", s.handleEditIssue))
	mux.HandleFunc("GET "+jira+"3/large", s.data("large", "read:jira-work", s.handleLarge))
}

// siteURL is the own address of the site a request names.
func (s *Server) siteURL(r *http.Request) string {
	i := slices.IndexFunc(s.opts.Sites, func(st Site) bool { return st.ID == r.PathValue("cloudid") })
	return strings.TrimSuffix(s.opts.Sites[i].URL, "/") // data checked the site
}

func (s *Server) handleServerInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"baseUrl": s.siteURL(r), "version": "1001.0.0-SNAPSHOT", "versionNumbers": []int{1001, 0, 0},
		"deploymentType": "Cloud", "buildNumber": 100285, "buildDate": "2026-01-05T00:00:00.000+0000",
		"serverTime": s.opts.Now().UTC().Format("2006-01-02T15:04:05.000+0000"), "scmInfo": "0", "serverTitle": "Jira",
	})
}

// handleUser answers the user (?accountId=), whose self link is by the
// site's own address, as the self link of myself is.
func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) {
	u := s.opts.User
	if r.URL.Query().Get("accountId") != u.AccountID {
		writeJSON(w, http.StatusNotFound, map[string]any{"errorMessages": []string{"Specified user does not exist or you do not have required permissions"}, "errors": map[string]any{}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"self":      s.siteURL(r) + "/rest/api/3/user?accountId=" + url.QueryEscape(u.AccountID),
		"accountId": u.AccountID, "accountType": "atlassian", "displayName": u.Name, "emailAddress": u.Email,
		"active": true, "timeZone": "Europe/London",
	})
}

func (s *Server) handleFields(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, []map[string]any{{
		"id": "summary", "key": "summary", "name": "Summary", "custom": false, "orderable": true, "navigable": true,
		"searchable": true, "clauseNames": []string{"summary"}, "schema": map[string]any{"type": "string", "system": "summary"},
	}})
}

// issueV2 is issue i as REST v2 gives it: with its self link by the API
// server's address, and its summary as last edited.
func (s *Server) issueV2(r *http.Request, i int) map[string]any {
	it := issue(i)
	it["self"] = s.apiBase(r, "jira") + "/rest/api/2/issue/" + it["id"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	if summary, ok := s.summaries[it["key"].(string)]; ok {
		it["fields"] = map[string]any{"summary": summary}
	}
	return it
}

// findIssue is the index of the issue a request names by key or id, or
// -1.
func (s *Server) findIssue(r *http.Request) int {
	for i := range s.opts.Issues {
		if it := issue(i); it["key"] == r.PathValue("key") || it["id"] == r.PathValue("key") {
			return i
		}
	}
	return -1
}

func (s *Server) handleIssueV2(w http.ResponseWriter, r *http.Request) {
	if i := s.findIssue(r); i >= 0 {
		writeJSON(w, http.StatusOK, s.issueV2(r, i))
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"errorMessages": []string{"Issue does not exist or you do not have permission to see it."}, "errors": map[string]any{}})
}

// handleEditIssue sets an issue's summary ({"fields":{"summary":…}}).
func (s *Server) handleEditIssue(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Fields struct {
			Summary *string `json:"summary"`
		} `json:"fields"`
	}
	i := s.findIssue(r)
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || i < 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{"Invalid request."}})
		return
	}
	if b.Fields.Summary != nil {
		s.mu.Lock()
		if s.summaries == nil {
			s.summaries = map[string]string{}
		}
		s.summaries[issue(i)["key"].(string)] = *b.Fields.Summary
		s.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleSearchV2 pages through the issues in REST v2's offset style:
// startAt, maxResults, total.
func (s *Server) handleSearchV2(w http.ResponseWriter, r *http.Request) {
	startAt, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
	startAt = max(startAt, 0)
	n := s.page(r, "maxResults")
	issues := []map[string]any{}
	for i := startAt; i < s.opts.Issues && len(issues) < n; i++ {
		issues = append(issues, s.issueV2(r, i))
	}
	writeJSON(w, http.StatusOK, map[string]any{"expand": "schema,names", "startAt": startAt, "maxResults": n, "total": s.opts.Issues, "issues": issues})
}

// largeItem is the shape of each item of a large body, 128 bytes with
// the API's address of 38 bytes and a number of 7 digits.
const largeItem = `{"self":"%s/rest/api/3/issue/%07d","pad":"%s"}`

// handleLarge writes a JSON body of about ?size= bytes (with its
// Content-Length) as it makes it: {"values":[…]}, each item with a self
// link by the API server's address.
func (s *Server) handleLarge(w http.ResponseWriter, r *http.Request) {
	size, _ := strconv.Atoi(r.URL.Query().Get("size"))
	base := s.apiBase(r, "jira")
	itemLen := len(fmt.Sprintf(largeItem, base, 0, ""))
	pad := strings.Repeat("x", max(0, 128-itemLen))
	itemLen += len(pad)
	n := max(1, size/(itemLen+1))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(`{"values":[]}`)+n*itemLen+n-1))
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteString(`{"values":[`)
	for i := range n {
		if i > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, largeItem, base, i, pad)
	}
	bw.WriteString(`]}`)
	bw.Flush()
}
