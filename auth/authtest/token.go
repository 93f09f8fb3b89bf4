package authtest

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
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
	"time"
)

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			panic(err)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// parseTokenBody reads a form or JSON token request body.
func parseTokenBody(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBodySize))
	if err != nil {
		return nil, err
	}
	mt := "application/x-www-form-urlencoded"
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, err
		}
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		return url.ParseQuery(string(body))
	case "application/json":
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			return nil, err
		}
		v := make(url.Values, len(m))
		for k, x := range m {
			switch x := x.(type) {
			case nil:
			case string:
				v.Set(k, x)
			case json.Number:
				v.Set(k, x.String())
			case bool:
				v.Set(k, strconv.FormatBool(x))
			default:
				return nil, fmt.Errorf("field %s: not a scalar", k)
			}
		}
		return v, nil
	default:
		return nil, fmt.Errorf("unsupported content type %q", mt)
	}
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	params, perr := parseTokenBody(w, r)
	gt := params.Get("grant_type")
	s.mu.Lock()
	s.counts["token"]++
	if gt != "" {
		s.counts["token:"+gt]++
	}
	s.lastToken = cloneValues(params)
	if s.lastToken == nil {
		s.lastToken = url.Values{}
	}
	var f *Fault
	if len(s.faults) > 0 {
		f = &s.faults[0]
		s.faults = s.faults[1:]
	}
	s.mu.Unlock()

	switch {
	case f == nil:
		s.token(w, r, params, perr)
	case f.PassThrough:
		rec := httptest.NewRecorder()
		s.token(rec, r, params, perr)
		s.serveFault(w, r, f, rec)
	default:
		s.serveFault(w, r, f, nil)
	}
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, params url.Values, perr error) {
	if perr != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Malformed request body: "+perr.Error())
		return
	}
	// Client authentication comes first.
	id, secret := params.Get("client_id"), params.Get("client_secret")
	basic := false
	if u, p, ok := r.BasicAuth(); ok {
		basic = true
		id, secret = formUnescape(u), formUnescape(p)
	}
	if id != s.opts.ClientID ||
		(s.opts.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) != 1) {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="authtest"`)
		}
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Unauthorized client: unknown client_id or wrong client_secret.")
		return
	}
	switch gt := params.Get("grant_type"); gt {
	case "authorization_code":
		s.tokenFromCode(w, params)
	case "refresh_token":
		s.tokenFromRefresh(w, params)
	case "client_credentials":
		s.tokenFromClient(w)
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required.")
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "Unsupported grant type: " + gt})
	}
}

func formUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// S256Challenge returns the PKCE S256 code challenge of verifier:
// base64url(sha256(verifier)) without padding.
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (s *Server) tokenFromCode(w http.ResponseWriter, params url.Values) {
	code := params.Get("code")
	if code == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "code is required.")
		return
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.codes[code]
	if c == nil || c.used || !now.Before(c.expiry) || c.clientID != s.opts.ClientID {
		oauthError(w, http.StatusForbidden, "invalid_grant", "Invalid authorization code.")
		return
	}
	c.used = true // any redemption attempt burns the code
	if params.Get("redirect_uri") != c.redirectURI {
		oauthError(w, http.StatusForbidden, "invalid_grant", "redirect_uri does not match the authorization request.")
		return
	}
	v := params.Get("code_verifier")
	if !validVerifier(v) || subtle.ConstantTimeCompare([]byte(S256Challenge(v)), []byte(c.challenge)) != 1 {
		oauthError(w, http.StatusForbidden, "invalid_grant", "Invalid code_verifier.")
		return
	}
	scopes := c.scopes
	if s.opts.GrantScopes != nil {
		scopes = s.opts.GrantScopes(slices.Clone(scopes))
	}
	g := &grant{clientID: c.clientID, scopes: scopes, created: now}
	s.grants = append(s.grants, g)
	writeJSON(w, http.StatusOK, s.issueLocked(g, now))
}

// tokenFromClient answers the client-credentials grant of a service
// account: an access token of ServiceScopes, and no refresh token.
func (s *Server) tokenFromClient(w http.ResponseWriter) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &grant{clientID: s.opts.ClientID, scopes: slices.Clone(s.opts.ServiceScopes), created: now, service: true}
	s.grants = append(s.grants, g)
	writeJSON(w, http.StatusOK, s.issueLocked(g, now))
}

func (s *Server) tokenFromRefresh(w http.ResponseWriter, params url.Values) {
	rt := params.Get("refresh_token")
	if rt == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "refresh_token is required.")
		return
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.refresh[rt]
	switch {
	case t == nil || t.g.clientID != s.opts.ClientID:
		writeJSON(w, http.StatusForbidden, InvalidRefreshTokenBody)
		return
	case t.used && !t.g.revoked && now.Sub(t.usedAt) < s.opts.ReuseInterval:
		// Within the reuse interval the old token still works, once more.
	case t.used:
		// Reuse of a rotated refresh token: revoke the whole grant.
		if !t.g.revoked {
			t.g.revoked = true
			s.grantRevoked = true
		}
		writeJSON(w, http.StatusForbidden, InvalidRefreshTokenBody)
		return
	case t.g.revoked, now.Sub(t.issued) >= s.opts.RefreshIdle, now.Sub(t.g.created) >= s.opts.GrantLife:
		writeJSON(w, http.StatusForbidden, InvalidRefreshTokenBody)
		return
	}
	if !t.used {
		t.used, t.usedAt = true, now
	}
	writeJSON(w, http.StatusOK, s.issueLocked(t.g, now))
}

// issueLocked mints an access token (and a refresh token if the grant has
// offline_access) for g. s.mu must be held.
func (s *Server) issueLocked(g *grant, now time.Time) tokenResponse {
	tr := tokenResponse{
		AccessToken: randomToken(s.opts.TokenBytes),
		ExpiresIn:   int(s.opts.AccessTTL / time.Second),
		TokenType:   "Bearer",
		Scope:       strings.Join(g.scopes, " "),
	}
	s.access[tr.AccessToken] = &accessToken{g: g, expiry: now.Add(s.opts.AccessTTL)}
	if slices.Contains(g.scopes, "offline_access") && !g.service {
		tr.RefreshToken = randomToken(s.opts.TokenBytes)
		s.refresh[tr.RefreshToken] = &refreshToken{g: g, issued: now}
	}
	return tr
}
