package authtest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

const unauthorizedBody = `{"code":401,"message":"Unauthorized"}`

// bearer authenticates the request's access token and returns the scopes of
// its grant. On failure it writes a 401 and returns ok == false.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) (scopes []string, ok bool) {
	scopes, _, ok = s.bearerGrant(w, r)
	return scopes, ok
}

// bearerGrant is bearer, also telling whether the grant is a service
// account's (client credentials).
func (s *Server) bearerGrant(w http.ResponseWriter, r *http.Request) (scopes []string, service, ok bool) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if strings.EqualFold(scheme, "Bearer") && tok != "" {
		now := s.opts.Now()
		s.mu.Lock()
		at := s.access[tok]
		if at != nil && !at.expired && !at.g.revoked && now.Before(at.expiry) {
			scopes, service, ok = slices.Clone(at.g.scopes), at.g.service, true
		}
		s.mu.Unlock()
	}
	if !ok {
		writeJSON(w, http.StatusUnauthorized, unauthorizedBody)
	}
	return scopes, service, ok
}

// user is the account a grant acts as: the service account for a
// client-credentials grant.
func (s *Server) user(service bool) User {
	if service {
		return s.opts.ServiceAccount
	}
	return s.opts.User
}

func requireScope(w http.ResponseWriter, scopes []string, want string) bool {
	if slices.Contains(scopes, want) {
		return true
	}
	writeJSON(w, http.StatusForbidden, map[string]any{"code": 403, "message": "Forbidden: the access token does not have the scope " + want})
	return false
}

type resource struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	AvatarURL string   `json:"avatarUrl"`
}

func (s *Server) handleResources(w http.ResponseWriter, r *http.Request) {
	s.inc("accessible-resources")
	scopes, service, ok := s.bearerGrant(w, r)
	if !ok {
		return
	}
	granted := slices.DeleteFunc(scopes, func(sc string) bool { return sc == "offline_access" })
	out := make([]resource, 0, len(s.opts.Sites))
	for _, st := range s.opts.Sites {
		if service && !s.opts.ServiceSitesListed {
			break // as Atlassian's, for a service account's token
		}
		sc := st.Scopes
		if sc == nil {
			sc = granted
		}
		out = append(out, resource{ID: st.ID, URL: st.URL, Name: st.Name, Scopes: sc, AvatarURL: st.AvatarURL})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	s.inc("me")
	scopes, service, ok := s.bearerGrant(w, r)
	if !ok || !requireScope(w, scopes, "read:me") {
		return
	}
	u := s.user(service)
	writeJSON(w, http.StatusOK, map[string]any{
		"account_id":     u.AccountID,
		"email":          u.Email,
		"name":           u.Name,
		"picture":        "",
		"account_status": "active",
		"nickname":       "",
	})
}

func (s *Server) handleMyself(w http.ResponseWriter, r *http.Request) {
	s.inc("myself")
	scopes, service, ok := s.bearerGrant(w, r)
	if !ok || !requireScope(w, scopes, "read:jira-user") {
		return
	}
	id := r.PathValue("cloudid")
	i := slices.IndexFunc(s.opts.Sites, func(st Site) bool { return st.ID == id })
	if i < 0 {
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 404, "message": "Not Found: no site with cloud id " + id})
		return
	}
	u := s.user(service)
	writeJSON(w, http.StatusOK, map[string]any{
		"accountId":    u.AccountID,
		"emailAddress": u.Email,
		"displayName":  u.Name,
		"active":       true,
		"timeZone":     "Europe/London",
		"self":         strings.TrimSuffix(s.opts.Sites[i].URL, "/") + "/rest/api/3/user?accountId=" + url.QueryEscape(u.AccountID),
	})
}

// handleTenantInfo answers a site's public /_edge/tenant_info, which
// needs no token: the cloud id of the site whose host the request
// names, else of the first site (the server stands in for every site,
// whose addresses are not its own).
func (s *Server) handleTenantInfo(w http.ResponseWriter, r *http.Request) {
	s.inc("tenant_info")
	site := s.opts.Sites[0]
	for _, st := range s.opts.Sites {
		if u, err := url.Parse(st.URL); err == nil && strings.EqualFold(u.Host, r.Host) {
			site = st
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"cloudId": site.ID})
}
