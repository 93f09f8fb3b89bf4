package authtest

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

var authorizeParams = []string{"audience", "client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge", "code_challenge_method", "prompt"}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.counts["authorize"]++
	s.lastAuthorize = cloneValues(q)
	s.mu.Unlock()

	for _, k := range authorizeParams {
		if len(q[k]) > 1 {
			errorPage(w, http.StatusBadRequest, "Duplicate parameter: "+k)
			return
		}
	}
	// Never redirect before both client and redirect_uri are known good.
	if q.Get("client_id") != s.opts.ClientID {
		errorPage(w, http.StatusBadRequest, "Invalid client_id.")
		return
	}
	redirectURI := q.Get("redirect_uri")
	if redirectURI == "" || redirectURI != s.opts.RedirectURI {
		errorPage(w, http.StatusBadRequest, "The redirect_uri does not match the callback URL registered for this app.")
		return
	}

	state := q.Get("state")
	scopes := strings.Fields(q.Get("scope"))
	challenge := q.Get("code_challenge")
	fail := func(code, desc string) {
		v := url.Values{"error": {code}, "error_description": {desc}}
		if state != "" {
			v.Set("state", state)
		}
		redirect(w, redirectURI, v)
	}
	switch {
	case q.Get("audience") != DefaultAudience:
		fail("invalid_request", "audience must be "+DefaultAudience)
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "response_type must be code")
	case len(scopes) == 0:
		fail("invalid_scope", "scope is required")
	case state == "":
		fail("invalid_request", "state is required")
	case challenge == "":
		fail("invalid_request", "code_challenge is required (PKCE)")
	case q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "code_challenge_method must be S256")
	case len(challenge) != 43 || strings.Trim(challenge, tokenAlphabet) != "":
		fail("invalid_request", "code_challenge must be 43 characters of base64url")
	default:
		id := randomToken(32)
		s.mu.Lock()
		s.pending[id] = &pendingAuth{
			clientID:    s.opts.ClientID,
			redirectURI: redirectURI,
			state:       state,
			challenge:   challenge,
			scopes:      scopes,
			expiry:      s.opts.Now().Add(AuthCodeTTL),
		}
		decision := "approve"
		if s.deny {
			decision = "deny"
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		consentPage.Execute(w, map[string]any{
			"ClientID": s.opts.ClientID,
			"Email":    s.opts.User.Email,
			"Scopes":   scopes,
			"Request":  id,
			"Decision": decision,
		})
	}
}

var consentPage = template.Must(template.New("consent").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Authorize {{.ClientID}}</title></head>
<body>
<h1>Authorize {{.ClientID}}</h1>
<p>{{.ClientID}} is requesting access to the Atlassian account {{.Email}}:</p>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="/authorize/consent">
<input type="hidden" name="request" value="{{.Request}}">
<input type="hidden" name="decision" value="{{.Decision}}">
<button type="submit">{{if eq .Decision "approve"}}Accept{{else}}Deny{{end}}</button>
</form>
<script>document.forms[0].submit()</script>
</body>
</html>
`))

func errorPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Error</title></head>\n<body><h1>Something went wrong</h1><p>%s</p></body></html>\n", html.EscapeString(msg))
}

// redirect answers 302 to base with v appended to its query.
func redirect(w http.ResponseWriter, base string, v url.Values) {
	u, err := url.Parse(base)
	if err != nil {
		errorPage(w, http.StatusBadRequest, "Invalid redirect_uri.")
		return
	}
	if u.RawQuery == "" {
		u.RawQuery = v.Encode()
	} else {
		u.RawQuery += "&" + v.Encode()
	}
	w.Header().Set("Location", u.String())
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusFound)
}

// --- /authorize/consent ---

func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	s.inc("consent")
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBodySize)
	if err := r.ParseForm(); err != nil {
		errorPage(w, http.StatusBadRequest, "Malformed consent form.")
		return
	}
	id := r.PostForm.Get("request")
	decision := r.PostForm.Get("decision")
	now := s.opts.Now()
	s.mu.Lock()
	p := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()
	if p == nil || !now.Before(p.expiry) {
		errorPage(w, http.StatusBadRequest, "Unknown or expired authorization request.")
		return
	}
	switch decision {
	case "approve":
		code := randomToken(43)
		s.mu.Lock()
		s.codes[code] = &authCode{
			clientID:    p.clientID,
			redirectURI: p.redirectURI,
			challenge:   p.challenge,
			scopes:      p.scopes,
			expiry:      now.Add(AuthCodeTTL),
		}
		s.mu.Unlock()
		redirect(w, p.redirectURI, url.Values{"code": {code}, "state": {p.state}})
	case "deny":
		redirect(w, p.redirectURI, url.Values{
			"error":             {"access_denied"},
			"error_description": {"The user denied access to the app."},
			"state":             {p.state},
		})
	default:
		errorPage(w, http.StatusBadRequest, "Invalid decision.")
	}
}
