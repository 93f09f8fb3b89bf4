// Package authtest provides an in-process fake of Atlassian Cloud's OAuth 2.0
// (3LO) authorization server and of the few API endpoints atl calls, in the
// spirit of net/http/httptest.
//
// A single Server answers both the "auth" endpoints (normally
// https://auth.atlassian.com: /authorize, /oauth/token) and the "api"
// endpoints (normally https://api.atlassian.com:
// /oauth/token/accessible-resources, /me, /ex/jira/{cloudid}/rest/api/3/myself).
// It implements the authorization code grant with mandatory PKCE (S256),
// rotating refresh tokens with reuse detection and Atlassian's limits (90
// days unused, 365 days after consent), the client-credentials grant of a
// service account, and a site's public /_edge/tenant_info, and lets tests
// inject faults into the token endpoint. Browse plays the user's browser.
package authtest

import (
	"cmp"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
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

// More defaults: the service account the client-credentials grant acts
// as, and Atlassian's limits on refresh tokens (one unused for 90 days,
// or any of a grant 365 days after the consent that made it, is
// refused).
const (
	DefaultServiceAccountID   = "712020:5f1d9ac2-7c3e-4a6b-9d10-2b8e4c6f0a17"
	DefaultServiceAccountName = "CI bot"
	DefaultRefreshIdle        = 90 * 24 * time.Hour
	DefaultGrantLife          = 365 * 24 * time.Hour
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
	// GrantScopes, if set, decides which of the scopes a code was asked
	// for are granted (a user or an app may grant fewer); nil grants them
	// all.
	GrantScopes func(asked []string) []string
	// Projects, Issues and Spaces are the Jira projects, Jira issues and
	// Confluence spaces the data endpoints page through; by default 7
	// projects, 5 issues and 5 spaces with generated names.
	Projects, Issues, Spaces int
	// PageSize is how many items a page of a data endpoint holds unless
	// the request asks for fewer; default 2.
	PageSize int
	// AbsoluteLinks makes Confluence's next links absolute, naming
	// https://api.atlassian.com as Atlassian's do, instead of relative.
	AbsoluteLinks bool
	// LoopPages makes the data endpoints' pages loop, as a faulty server's
	// might: Jira's offset pages answer from startAt 0 whatever is asked,
	// its token pages give the same nextPageToken ("page-" and the page
	// size) again and again, and a Confluence page's next link is the
	// page itself. No page is ever the last.
	LoopPages bool
	// ExposeCounts adds GET /_authtest/counts (the counters as JSON),
	// POST /_authtest/counts/reset and POST /_authtest/latency?d=DURATION
	// (SetLatency), for tools that run the server in another process
	// (atl-sandbox, benchmarks).
	ExposeCounts bool
	// Latency is how long every answer waits first, as if the server
	// were that far away (SetLatency changes it).
	Latency time.Duration
	// Deny makes the consent page deny instead of approve (see SetDeny).
	Deny bool
	// ServiceAccount is the account the client-credentials grant
	// (grant_type=client_credentials, with ClientID and ClientSecret, as
	// a service account's OAuth 2.0 credential) acts as: Jira's myself
	// and /me answer with it for such a token. Default
	// {DefaultServiceAccountID, DefaultServiceAccountName, ""}.
	ServiceAccount User
	// ServiceScopes are the scopes of the client-credentials grant's
	// tokens, fixed when the credential was made; default read:jira-user
	// read:jira-work write:jira-work. Such a grant has no refresh token.
	ServiceScopes []string
	// ServiceSitesListed makes accessible-resources list the sites for a
	// client-credentials token too; by default it lists none, and a
	// client finds the site through the site's /_edge/tenant_info.
	ServiceSitesListed bool
	// RefreshIdle and GrantLife are Atlassian's limits on refresh tokens
	// (by Now): one unused for RefreshIdle is refused, and so is any of
	// a grant GrantLife after its consent; DefaultRefreshIdle and
	// DefaultGrantLife.
	RefreshIdle, GrantLife time.Duration
	// Now is the clock used for token and code expiry; default time.Now.
	Now func() time.Time
	// Addr is the address to listen on, e.g. "127.0.0.1:8080"; default a
	// random port on the loopback interface.
	Addr string
	// Logf, if set, receives one line per request (method, path, status).
	Logf func(format string, args ...any)
	// TLS serves https, offering HTTP/2, with a certificate for 127.0.0.1
	// and ::1 that Certificate returns (for a client's trusted roots).
	TLS bool
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
	apiFaults     []Fault
	grantRevoked  bool
	lastToken     url.Values
	lastAuthorize url.Values
	lastAPI       *APIRequest
	summaries     map[string]string // issue key → summary, as edited (site.go)
	latency       time.Duration     // before every answer (latency.go)
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
	if opts.Projects == 0 {
		opts.Projects = 7
	}
	if opts.Issues == 0 {
		opts.Issues = 5
	}
	if opts.Spaces == 0 {
		opts.Spaces = 5
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 2
	}
	if opts.ServiceAccount == (User{}) {
		opts.ServiceAccount = User{AccountID: DefaultServiceAccountID, Name: DefaultServiceAccountName}
	}
	if opts.ServiceScopes == nil {
		opts.ServiceScopes = []string{"read:jira-user", "read:jira-work", "write:jira-work"}
	}
	opts.RefreshIdle = cmp.Or(opts.RefreshIdle, DefaultRefreshIdle)
	opts.GrantLife = cmp.Or(opts.GrantLife, DefaultGrantLife)
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
	s.latency = opts.Latency
	var h http.Handler = s.delayed(s.routes())
	if opts.Logf != nil {
		h = s.logRequests(h)
	}
	if opts.Addr == "" {
		s.ts = httptest.NewUnstartedServer(h)
	} else {
		l, err := net.Listen("tcp", opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("authtest: %w", err)
		}
		s.ts = &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	}
	if opts.TLS {
		s.ts.EnableHTTP2 = true
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	return s, nil
}

// Certificate returns the certificate of a server with Options.TLS, nil
// for one without.
func (s *Server) Certificate() *x509.Certificate { return s.ts.Certificate() }

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

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.handleAuthorize)
	mux.HandleFunc("POST /authorize/consent", s.handleConsent)
	mux.HandleFunc("POST /oauth/token", s.handleToken)
	mux.HandleFunc("GET /oauth/token/accessible-resources", s.handleResources)
	mux.HandleFunc("GET /me", s.handleMe)
	mux.HandleFunc("GET /_edge/tenant_info", s.handleTenantInfo)
	if s.opts.ExposeCounts {
		mux.HandleFunc("GET /_authtest/counts", func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			counts := maps.Clone(s.counts)
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, counts)
		})
		mux.HandleFunc("POST /_authtest/counts/reset", func(w http.ResponseWriter, r *http.Request) {
			s.ResetCounts()
			w.WriteHeader(http.StatusNoContent)
		})
		mux.HandleFunc("POST /_authtest/latency", s.handleSetLatency)
	}
	mux.HandleFunc("GET /ex/jira/{cloudid}/rest/api/3/myself", s.handleMyself)
	mux.HandleFunc("GET /ex/jira/{cloudid}/rest/api/3/project/search", s.data("projects", "read:jira-work", s.handleProjects))
	mux.HandleFunc("GET /ex/jira/{cloudid}/rest/api/3/search/jql", s.data("search", "read:jira-work", s.handleSearch))
	mux.HandleFunc("POST /ex/jira/{cloudid}/rest/api/3/search/jql", s.data("search", "read:jira-work", s.handleSearch))
	mux.HandleFunc("POST /ex/jira/{cloudid}/rest/api/3/issue", s.data("create-issue", "write:jira-work", s.handleCreateIssue))
	mux.HandleFunc("GET /ex/jira/{cloudid}/rest/api/3/issue/{key}", s.data("issue", "read:jira-work", s.handleIssue))
	mux.HandleFunc("GET /ex/confluence/{cloudid}/wiki/api/v2/spaces", s.data("spaces", "read:space:confluence", s.handleSpaces))
	s.siteRoutes(mux)
	return mux
}

// --- random values ---

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
