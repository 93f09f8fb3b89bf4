package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/atl-cli/atl/internal/apiurl"
)

// Client returns an HTTP client for the Atlassian API. It sends the
// login's access token (from TokenSource(ctx)) to the login's API server
// only: never to another host, never over plain HTTP unless the API URL
// itself is plain HTTP. A request for https://api.atlassian.com goes to
// the login's API URL when that is another (ATL_API_URL, a test server).
// On a 401 it refreshes the token once and retries the request once, when
// its body can be sent again (no body, or GetBody set, as
// http.NewRequest does for in-memory bodies). Timeouts and redirect rules
// are those of the Session's HTTP client.
func (s *Session) Client(ctx context.Context) *http.Client {
	return s.httpClient(&bearerTransport{
		base:    s.transport(),
		api:     s.apiURL,
		noRetry: s.envToken != "", // a token from the environment cannot be refreshed
		token: func(stale string) (string, error) {
			tok, err := s.token(ctx, stale)
			if err != nil {
				return "", err
			}
			return tok.AccessToken, nil
		},
	})
}

// httpClient is the Session's HTTP client with transport t, refusing a
// redirect from https to plain http.
func (s *Session) httpClient(t http.RoundTripper) *http.Client {
	next := s.hc.CheckRedirect
	return &http.Client{
		Transport: t,
		Timeout:   s.hc.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			// via holds at least the request that was redirected.
			if strings.EqualFold(via[len(via)-1].URL.Scheme, "https") && !strings.EqualFold(req.URL.Scheme, "https") {
				return errors.New("refusing a redirect from https to " + req.URL.Scheme)
			}
			if next != nil {
				return next(req, via)
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		},
	}
}

func (s *Session) transport() http.RoundTripper {
	if s.hc.Transport != nil {
		return s.hc.Transport
	}
	return http.DefaultTransport
}

// apiURL returns the API base URL the login's tokens go to.
func (s *Session) apiURL() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.api != "" {
		return s.api, nil
	}
	if s.given() {
		api, err := s.apiFor(DefaultAPIURL)
		s.api = api
		return api, err
	}
	if _, err := s.use(); err != nil {
		return "", err
	}
	return s.api, nil
}

// bearerTransport adds an access token to requests for the API server.
type bearerTransport struct {
	base http.RoundTripper
	api  func() (string, error)
	// token returns a valid access token; given the one the server just
	// refused (stale), a newer one.
	token func(stale string) (string, error)
	// noRetry skips the refresh after a 401 (a token that cannot be
	// refreshed, as during a login).
	noRetry bool
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// The token first: getting it tells the API server (from the token
	// cache, or the keychain), so that a cache hit reads nothing else.
	tok, err := t.token("")
	if err != nil {
		closeBody(req)
		return nil, err
	}
	api, err := t.api()
	if err != nil {
		closeBody(req)
		return nil, err
	}
	base, err := url.Parse(api)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	target := apiurl.OnAPI(req.URL, base)
	if !apiurl.SameOrigin(target, base) {
		return t.base.RoundTrip(req)
	}
	resp, err := t.base.RoundTrip(withBearer(req, target, tok))
	if err != nil || resp.StatusCode != http.StatusUnauthorized || t.noRetry {
		return resp, err
	}
	body, ok := rewind(req)
	if !ok {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	// The token was refused before its expiry (revoked, or clocks
	// disagree): one forced refresh, then one more try.
	fresh, err := t.token(tok)
	if err != nil {
		if body != nil {
			body.Close()
		}
		return nil, err
	}
	retry := withBearer(req, target, fresh)
	retry.Body = body
	return t.base.RoundTrip(retry)
}

// withBearer returns a copy of req for target with the access token.
func withBearer(req *http.Request, target *url.URL, token string) *http.Request {
	r := req.Clone(req.Context())
	if target != req.URL {
		r.URL, r.Host = target, ""
	}
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// rewind returns a fresh copy of req's body for a retry, and whether one
// can be had.
func rewind(req *http.Request) (io.ReadCloser, bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	b, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	return b, true
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// maxBody bounds every response body read.
const maxBody = 1 << 20

// getJSON GETs api+path with hc and decodes the JSON answer into v.
func getJSON(ctx context.Context, hc *http.Client, api, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, stripURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return &APIError{Method: http.MethodGet, Path: path, Status: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("GET %s: reading the response: %w", path, err)
	}
	if len(body) > maxBody {
		return fmt.Errorf("GET %s: response larger than %d bytes", path, maxBody)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: the response is not the JSON expected", path)
	}
	return nil
}

// stripURL removes the request URL from a transport error: it is long and
// adds nothing to a message that already names the path.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
