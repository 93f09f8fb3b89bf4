package authtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

const (
	testClientID = "test-client"
	testSecret   = "s3cret"
	testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B
	testScopes   = "read:me read:jira-user offline_access"
)

// callback is the loopback redirect target the app under test would run.
type callback struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []url.Values
}

func newCallback(t *testing.T) *callback {
	t.Helper()
	cb := &callback{}
	cb.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		cb.mu.Lock()
		cb.got = append(cb.got, q)
		cb.mu.Unlock()
		if q.Get("error") != "" {
			http.Error(w, "sign-in failed: "+q.Get("error"), http.StatusForbidden)
			return
		}
		io.WriteString(w, "signed in")
	}))
	t.Cleanup(cb.srv.Close)
	return cb
}

func (cb *callback) last(t *testing.T) url.Values {
	t.Helper()
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if len(cb.got) == 0 {
		t.Fatal("callback was never called")
	}
	return cb.got[len(cb.got)-1]
}

func (cb *callback) calls() int {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return len(cb.got)
}

type env struct {
	s  *Server
	cb *callback
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	cb := newCallback(t)
	if opts.ClientID == "" {
		opts.ClientID = testClientID
	}
	if opts.RedirectURI == "" {
		opts.RedirectURI = cb.srv.URL + "/callback"
	}
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return &env{s: s, cb: cb}
}

func (e *env) authorizeURL(scopes string, mod func(url.Values)) string {
	q := url.Values{
		"audience":              {"api.atlassian.com"},
		"client_id":             {e.s.opts.ClientID},
		"scope":                 {scopes},
		"redirect_uri":          {e.s.opts.RedirectURI},
		"state":                 {"st-123"},
		"response_type":         {"code"},
		"prompt":                {"consent"},
		"code_challenge":        {S256Challenge(testVerifier)},
		"code_challenge_method": {"S256"},
	}
	if mod != nil {
		mod(q)
	}
	return e.s.URL() + "/authorize?" + q.Encode()
}

// login runs the browser part of the flow and returns the authorization code.
func (e *env) login(t *testing.T, scopes string) string {
	t.Helper()
	status, body, err := Browse(context.Background(), nil, e.authorizeURL(scopes, nil))
	if err != nil || status != 200 || body != "signed in" {
		t.Fatalf("Browse = %d %q %v", status, body, err)
	}
	q := e.cb.last(t)
	if q.Get("state") != "st-123" || q.Get("code") == "" {
		t.Fatalf("callback query = %v", q)
	}
	return q.Get("code")
}

func (e *env) codeParams(code string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {e.s.opts.ClientID},
		"client_secret": {e.s.opts.ClientSecret},
		"code":          {code},
		"redirect_uri":  {e.s.opts.RedirectURI},
		"code_verifier": {testVerifier},
	}
}

func (e *env) refreshParams(rt string) url.Values {
	return url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {e.s.opts.ClientID},
		"client_secret": {e.s.opts.ClientSecret},
		"refresh_token": {rt},
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, client *http.Client, req *http.Request) (response, error) {
	t.Helper()
	return roundTrip(client, req)
}

// roundTrip sends req with client (http.DefaultClient when nil) and reads
// the whole answer.
func roundTrip(client *http.Client, req *http.Request) (response, error) {
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}, err
}

func (e *env) postToken(t *testing.T, params url.Values) response {
	t.Helper()
	r, err := e.tryToken(nil, params)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) tryToken(client *http.Client, params url.Values) (response, error) {
	req, _ := http.NewRequest("POST", e.s.URL()+"/oauth/token", strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return roundTrip(client, req)
}

func (e *env) tokens(t *testing.T, params url.Values) tokenResponse {
	t.Helper()
	r := e.postToken(t, params)
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	var tr tokenResponse
	if err := json.Unmarshal([]byte(r.body), &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

func (e *env) api(t *testing.T, path, token string) response {
	t.Helper()
	req, _ := http.NewRequest("GET", e.s.URL()+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	r, err := do(t, nil, req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantError(t *testing.T, r response, status int, code string) {
	t.Helper()
	var e struct{ Error string }
	json.Unmarshal([]byte(r.body), &e)
	if r.status != status || e.Error != code {
		t.Fatalf("got %d %s, want %d %s", r.status, r.body, status, code)
	}
}

const myselfPath = "/ex/jira/" + DefaultSiteID + "/rest/api/3/myself"
