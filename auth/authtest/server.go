// Package authtest provides an in-process fake of Atlassian Cloud's OAuth 2.0
// (3LO) authorization server and of the few API endpoints atl calls, in the
// spirit of net/http/httptest.
//
// A single Server answers both the "auth" endpoints (normally
// https://auth.atlassian.com: /authorize, /oauth/token) and the "api"
// endpoints (normally https://api.atlassian.com:
// /oauth/token/accessible-resources, /me, /ex/jira/{cloudid}/rest/api/3/myself).
// It implements the authorization code grant with mandatory PKCE (S256),
// rotating refresh tokens with reuse detection, and lets tests inject faults
// into the token endpoint. Browse plays the user's browser.
package authtest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults used when the corresponding Options field is zero.
const (
	DefaultSiteID      = "11111111-2222-3333-4444-555555555555"
	DefaultSiteURL     = "https://example.atlassian.net"
	DefaultSiteName    = "example"
	DefaultAccountID   = "5b10ac8d82e05b22cc7d4ef5"
	DefaultUserName    = "Ada Lovelace"
	DefaultUserEmail   = "ada@example.com"
	DefaultAccessTTL   = time.Hour
	DefaultTokenBytes  = 64
	DefaultAudience    = "api.atlassian.com"
	AuthCodeTTL        = 10 * time.Minute
	TrickleInterval    = 200 * time.Millisecond
	maxRequestBodySize = 1 << 20
)

// InvalidRefreshTokenBody is the exact body of the 403 answer to an unknown,
// rotated or revoked refresh token.
const InvalidRefreshTokenBody = `{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}`

// Site is an Atlassian Cloud site (a "resource") reported by
// /oauth/token/accessible-resources and addressable as /ex/jira/{ID}/....
type Site struct {
	ID, URL, Name, AvatarURL string
	// Scopes reported for the site; nil means the scopes granted to the
	// token used for the request (without offline_access).
	Scopes []string
}

// User is the account that signs in.
type User struct{ AccountID, Name, Email string }

// Options configures a Server. Only ClientID is required.
type Options struct {
	ClientID string // required client id
	// ClientSecret, if non-empty, must be presented by token requests (form or
	// JSON body client_secret, or HTTP Basic). If empty the client is public.
	ClientSecret string
	// RedirectURI is the registered callback; authorize and token requests
	// must match it byte for byte.
	RedirectURI string
	// Sites defaults to one site {DefaultSiteID, DefaultSiteURL, DefaultSiteName}.
	Sites []Site
	// User defaults to {DefaultAccountID, DefaultUserName, DefaultUserEmail}.
	User User
	// AccessTTL is the lifetime (and expires_in) of access tokens; default 1h.
	AccessTTL time.Duration
	// TokenBytes is the length in characters of generated access and
	// refresh tokens; default 64.
	TokenBytes int
	// ReuseInterval is how long a rotated refresh token may still be
	// used, as Atlassian's 10-minute leeway allows. Zero (the default) is
	// strict: any reuse of a rotated token revokes the whole grant. Reuse
	// after the interval always does.
	ReuseInterval time.Duration
	// Deny makes the consent page deny instead of approve (see SetDeny).
	Deny bool
	// Now is the clock used for token and code expiry; default time.Now.
	Now func() time.Time
	// Addr is the address to listen on, e.g. "127.0.0.1:8080"; default a
	// random port on the loopback interface.
	Addr string
	// Logf, if set, receives one line per request (method, path, status).
	Logf func(format string, args ...any)
}

// Fault is an abnormal answer of the token endpoint, queued with
// Server.InjectTokenFaults.
type Fault struct {
	Status      int               // HTTP status to answer; default 500
	Body        string            // raw body
	ContentType string            // default application/json
	Header      map[string]string // extra response headers, e.g. {"Retry-After": "1"}
	Delay       time.Duration     // sleep before answering (aborted when the client goes away)
	Trickle     bool              // write the body one byte every 200ms
	Reset       bool              // drop the connection without answering (TCP reset)
	// PassThrough handles the request normally (a code is redeemed, a refresh
	// token really rotates) and then applies Delay, Reset, Trickle and Header
	// to the real answer: with Reset, the answer is lost. Status, Body and
	// ContentType are ignored.
	PassThrough bool
}

// Server is a fake Atlassian authorization and API server listening on a
// loopback address. It is safe for concurrent use.
type Server struct {
	opts Options
	ts   *httptest.Server
	done chan struct{}
	once sync.Once

	mu            sync.Mutex
	deny          bool
	counts        map[string]int
	pending       map[string]*pendingAuth
	codes         map[string]*authCode
	access        map[string]*accessToken
	refresh       map[string]*refreshToken
	grants        []*grant
	faults        []Fault
	grantRevoked  bool
	lastToken     url.Values
	lastAuthorize url.Values
}

type grant struct {
	clientID string
	scopes   []string
	revoked  bool
}

type accessToken struct {
	g       *grant
	expiry  time.Time
	expired bool
}

type refreshToken struct {
	g      *grant
	used   bool
	usedAt time.Time
}

type pendingAuth struct {
	clientID, redirectURI, state, challenge string
	scopes                                  []string
	expiry                                  time.Time
}

type authCode struct {
	clientID, redirectURI, challenge string
	scopes                           []string
	expiry                           time.Time
	used                             bool
}

// NewServer starts a Server and returns it. It panics if opts.ClientID is
// empty or the server cannot listen; use Start to get an error instead.
// The caller should call Close when finished.
func NewServer(opts Options) *Server {
	s, err := Start(opts)
	if err != nil {
		panic(err)
	}
	return s
}

// Start is like NewServer but returns an error instead of panicking.
func Start(opts Options) (*Server, error) {
	if opts.ClientID == "" {
		return nil, errors.New("authtest: Options.ClientID is required")
	}
	if len(opts.Sites) == 0 {
		opts.Sites = []Site{{ID: DefaultSiteID, URL: DefaultSiteURL, Name: DefaultSiteName}}
	} else {
		sites := make([]Site, len(opts.Sites))
		for i, st := range opts.Sites {
			st.Scopes = slices.Clone(st.Scopes)
			sites[i] = st
		}
		opts.Sites = sites
	}
	if opts.User == (User{}) {
		opts.User = User{AccountID: DefaultAccountID, Name: DefaultUserName, Email: DefaultUserEmail}
	}
	if opts.AccessTTL <= 0 {
		opts.AccessTTL = DefaultAccessTTL
	}
	if opts.TokenBytes <= 0 {
		opts.TokenBytes = DefaultTokenBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:    opts,
		done:    make(chan struct{}),
		deny:    opts.Deny,
		counts:  make(map[string]int),
		pending: make(map[string]*pendingAuth),
		codes:   make(map[string]*authCode),
		access:  make(map[string]*accessToken),
		refresh: make(map[string]*refreshToken),
	}
	var h http.Handler = s.routes()
	if opts.Logf != nil {
		h = s.logRequests(h)
	}
	if opts.Addr == "" {
		s.ts = httptest.NewServer(h)
		return s, nil
	}
	l, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("authtest: %w", err)
	}
	s.ts = &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	s.ts.Start()
	return s, nil
}

// URL returns the base URL of the server, e.g. "http://127.0.0.1:40123",
// with no trailing slash. It serves as both the auth base URL and the API
// base URL.
func (s *Server) URL() string { return s.ts.URL }

// Close aborts pending delays and trickles, shuts the server down and waits
// for outstanding requests.
func (s *Server) Close() {
	s.once.Do(func() { close(s.done) })
	s.ts.Close()
}

// SetDeny sets whether consent pages served from now on deny (true) or
// approve (false) the request.
func (s *Server) SetDeny(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = deny
}

// Count returns how many requests were counted under name since the start or
// the last ResetCounts. Names: "authorize", "consent", "token" (every token
// request), "token:authorization_code", "token:refresh_token" (and
// "token:<grant_type>" for any other grant type), "accessible-resources",
// "me", "myself".
func (s *Server) Count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[name]
}

// ResetCounts sets every counter to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.counts)
}

// InjectTokenFaults queues faults: each of the next token-endpoint requests
// (any grant type, valid or not) consumes one fault, in order, instead of
// getting the normal answer.
func (s *Server) InjectTokenFaults(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// RevokeGrants kills every refresh token and access token issued so far, as
// if the user had revoked the app. It does not make GrantRevoked true.
func (s *Server) RevokeGrants() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.grants {
		g.revoked = true
	}
}

// ExpireAccessTokens makes the API endpoints treat every access token issued
// so far as expired. Refresh tokens are unaffected.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, at := range s.access {
		at.expired = true
	}
}

// GrantRevoked reports whether a grant was revoked because a rotated
// refresh token was used again.
func (s *Server) GrantRevoked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grantRevoked
}

// LastTokenRequest returns a copy of the body fields (form or JSON) of the
// last token request, or nil if there was none. HTTP Basic credentials are
// not included.
func (s *Server) LastTokenRequest() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneValues(s.lastToken)
}

// LastAuthorizeQuery returns a copy of the query of the last /authorize
// request, or nil if there was none.
func (s *Server) LastAuthorizeQuery() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneValues(s.lastAuthorize)
}

// IssueTokens mints tokens for a new grant of scopes to the configured client
// without going through the browser flow, as a successful code exchange
// would. refreshToken is empty unless scopes include offline_access.
func (s *Server) IssueTokens(scopes ...string) (accessToken, refreshToken string) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &grant{clientID: s.opts.ClientID, scopes: slices.Clone(scopes)}
	s.grants = append(s.grants, g)
	tr := s.issueLocked(g, now)
	return tr.AccessToken, tr.RefreshToken
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

func (s *Server) inc(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[name]++
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.handleAuthorize)
	mux.HandleFunc("POST /authorize/consent", s.handleConsent)
	mux.HandleFunc("POST /oauth/token", s.handleToken)
	mux.HandleFunc("GET /oauth/token/accessible-resources", s.handleResources)
	mux.HandleFunc("GET /me", s.handleMe)
	mux.HandleFunc("GET /ex/jira/{cloudid}/rest/api/3/myself", s.handleMyself)
	return mux
}

// --- random values ---

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// randomToken returns n random characters of the base64url alphabet.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails
	for i := range b {
		b[i] = tokenAlphabet[b[i]&63]
	}
	return string(b)
}

// --- /authorize ---

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

// --- /oauth/token ---

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
	g := &grant{clientID: c.clientID, scopes: c.scopes}
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
	case t.g.revoked:
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
	if slices.Contains(g.scopes, "offline_access") {
		tr.RefreshToken = randomToken(s.opts.TokenBytes)
		s.refresh[tr.RefreshToken] = &refreshToken{g: g}
	}
	return tr
}

// --- faults ---

// sleep waits for d, or until the request or the server is done; it reports
// whether the full duration elapsed.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f *Fault, rec *httptest.ResponseRecorder) {
	if !s.sleep(r, f.Delay) {
		return
	}
	if f.Reset {
		resetConn(w)
		return
	}
	var status int
	var body []byte
	if rec != nil {
		maps.Copy(w.Header(), rec.Header())
		status, body = rec.Code, rec.Body.Bytes()
	} else {
		status, body = f.Status, []byte(f.Body)
		if status == 0 {
			status = http.StatusInternalServerError
		}
		ct := f.ContentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
	}
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if !f.Trickle {
		w.Write(body)
		return
	}
	rc := http.NewResponseController(w)
	rc.Flush()
	for i := range body {
		if i > 0 && !s.sleep(r, TrickleInterval) {
			return
		}
		if _, err := w.Write(body[i : i+1]); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// resetConn drops the connection without answering, with a TCP RST if
// possible.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// --- API endpoints ---

const unauthorizedBody = `{"code":401,"message":"Unauthorized"}`

// bearer authenticates the request's access token and returns the scopes of
// its grant. On failure it writes a 401 and returns ok == false.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) (scopes []string, ok bool) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if strings.EqualFold(scheme, "Bearer") && tok != "" {
		now := s.opts.Now()
		s.mu.Lock()
		at := s.access[tok]
		if at != nil && !at.expired && !at.g.revoked && now.Before(at.expiry) {
			scopes = slices.Clone(at.g.scopes)
			ok = true
		}
		s.mu.Unlock()
	}
	if !ok {
		writeJSON(w, http.StatusUnauthorized, unauthorizedBody)
	}
	return scopes, ok
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
	scopes, ok := s.bearer(w, r)
	if !ok {
		return
	}
	granted := slices.DeleteFunc(scopes, func(sc string) bool { return sc == "offline_access" })
	out := make([]resource, 0, len(s.opts.Sites))
	for _, st := range s.opts.Sites {
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
	scopes, ok := s.bearer(w, r)
	if !ok || !requireScope(w, scopes, "read:me") {
		return
	}
	u := s.opts.User
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
	scopes, ok := s.bearer(w, r)
	if !ok || !requireScope(w, scopes, "read:jira-user") {
		return
	}
	id := r.PathValue("cloudid")
	i := slices.IndexFunc(s.opts.Sites, func(st Site) bool { return st.ID == id })
	if i < 0 {
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 404, "message": "Not Found: no site with cloud id " + id})
		return
	}
	u := s.opts.User
	writeJSON(w, http.StatusOK, map[string]any{
		"accountId":    u.AccountID,
		"emailAddress": u.Email,
		"displayName":  u.Name,
		"active":       true,
		"timeZone":     "Europe/London",
		"self":         strings.TrimSuffix(s.opts.Sites[i].URL, "/") + "/rest/api/3/user?accountId=" + url.QueryEscape(u.AccountID),
	})
}

// --- logging ---

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := "-" // hijacked, aborted or nothing written
			if sw.status != 0 {
				status = strconv.Itoa(sw.status)
			}
			s.opts.Logf("%s %s %s", r.Method, r.URL.Path, status)
		}()
		h.ServeHTTP(sw, r)
	})
}
