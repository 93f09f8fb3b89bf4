package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/cmd/atl/internal/siteapi"
)

// proxy serves one site of a login to the user's own tools.
type proxy struct {
	site *siteapi.API
	url  string // the proxy's own: http://127.0.0.1:PORT
	// hosts are the Host headers that name the proxy (lower case), each
	// with the replacer of the site's addresses by the proxy's as named so.
	hosts  map[string]*replacer
	key    [sha256.Size]byte
	rp     *httputil.ReverseProxy
	errOut io.Writer
	// profile is the login's, for the advice on a failed request.
	profile string
}

// newProxy returns the proxy of site listening on addr (127.0.0.1:PORT),
// sending requests through upstream (the login's client's transport,
// which adds the token) to those that carry key.
func newProxy(site *siteapi.API, upstream http.RoundTripper, key, addr string, errOut io.Writer) *proxy {
	_, port, _ := net.SplitHostPort(addr)
	p := &proxy{site: site, url: "http://" + addr, hosts: map[string]*replacer{}, key: sha256.Sum256([]byte(key)), errOut: errOut}
	addresses := site.Addresses()
	for _, h := range []string{"127.0.0.1", "localhost", "[::1]"} {
		p.hosts[h+":"+port] = newReplacer(addresses, "http://"+h+":"+port)
		if port == "80" {
			p.hosts[h] = newReplacer(addresses, "http://"+h)
		}
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        rewriteRequest,
		Transport:      upstream,
		ModifyResponse: p.rewriteResponse,
		ErrorHandler:   p.upstreamError,
		ErrorLog:       log.New(errOut, "atl proxy: ", 0),
		BufferPool:     buffers{},
	}
	return p
}

// server is the HTTP server of the proxy.
func (p *proxy) server() *http.Server {
	return &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(p.errOut, "atl proxy: ", 0),
	}
}

// route is where a request goes (to, upstream) and the replacer of the
// site's addresses in the answer by the proxy's as the client named it;
// it travels in the request's context (routeKey).
type route struct {
	to    *url.URL
	local *replacer
	path  string // the client's
}

type routeKey struct{}

// ServeHTTP lets in the requests of the user's own tools (see admit) and
// sends each to where it goes on the API server (siteapi's Route).
func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !p.admit(w, r) {
		return
	}
	to, err := p.site.Route(r.URL.EscapedPath(), r.URL.RawQuery)
	switch {
	case errors.Is(err, siteapi.ErrOtherSite):
		refuse(w, http.StatusForbidden, "atl proxy serves the sites of its login only")
		return
	case err != nil:
		refuse(w, http.StatusBadRequest, "atl proxy: "+err.Error()+" is not a path on the site")
		return
	}
	if err := replayable(r); err != nil {
		refuse(w, http.StatusBadRequest, "atl proxy: cannot read the request body")
		return
	}
	rt := &route{to: to, local: p.hosts[strings.ToLower(r.Host)], path: r.URL.Path}
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey{}, rt)))
}

// admit answers the requests that do not get in, and reports whether r
// does: CONNECT is refused (atl proxy is no forward proxy); the Host must
// name the proxy (a page of another site whose name resolves to 127.0.0.1
// sends its own: DNS rebinding); a request from a web page (Origin) is
// refused; and the request must carry the key.
func (p *proxy) admit(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case r.Method == http.MethodConnect:
		refuse(w, http.StatusMethodNotAllowed, "atl proxy is not a forward proxy: CONNECT is refused")
	case p.hosts[strings.ToLower(r.Host)] == nil:
		refuse(w, http.StatusForbidden, "atl proxy answers requests for "+p.url+" only (the Host header names another)")
	case r.Header.Get("Origin") != "":
		refuse(w, http.StatusForbidden, "atl proxy refuses requests from web pages (with an Origin header)")
	case !p.hasKey(r):
		w.Header().Set("WWW-Authenticate", `Basic realm="atl"`)
		refuse(w, http.StatusUnauthorized, "atl proxy needs its key: as the password (any user name) or as a bearer token")
	default:
		return true
	}
	return false
}

// hasKey reports whether r carries the key, as a bearer token or as
// Basic's password, compared in constant time.
func (p *proxy) hasKey(r *http.Request) bool {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	var got string
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		got = strings.TrimSpace(cred)
	case strings.EqualFold(scheme, "Basic"):
		_, got, _ = r.BasicAuth()
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], p.key[:]) == 1
}

// refuse answers a request the proxy does not send on, with Jira's shape
// of an error so that clients show the message.
func refuse(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string][]string{"errorMessages": {msg}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// rewriteRequest makes the request sent upstream: to where it goes, with
// the end-to-end headers of the client's (httputil has removed the
// hop-by-hop ones, and adds no X-Forwarded-*) but its Authorization and
// Cookie (the login's token is added by the transport), and without its
// Accept-Encoding, so that the transport asks for gzip itself and
// decompresses: JSON bodies are rewritten as they stream.
func rewriteRequest(pr *httputil.ProxyRequest) {
	pr.Out.URL = pr.In.Context().Value(routeKey{}).(*route).to
	pr.Out.Host = ""
	for _, h := range []string{"Authorization", "Cookie", "Accept-Encoding"} {
		pr.Out.Header.Del(h)
	}
}

// rewriteResponse rewrites the site's addresses to the proxy's in the
// Location, Content-Location and Link headers and in a JSON body: one of
// a known length up to a read's worth (most answers) whole, with its new
// Content-Length; any other as it streams, without one.
func (p *proxy) rewriteResponse(resp *http.Response) error {
	rw := resp.Request.Context().Value(routeKey{}).(*route).local
	for _, h := range []string{"Location", "Content-Location", "Link"} {
		for i, v := range resp.Header.Values(h) {
			resp.Header[http.CanonicalHeaderKey(h)][i] = rw.String(v)
		}
	}
	if resp.Request.Method == http.MethodHead || !isJSON(resp.Header) {
		return nil
	}
	if resp.ContentLength >= 0 && resp.ContentLength <= readBuffer {
		return rewriteWhole(resp, rw)
	}
	resp.Body = rw.Reader(resp.Body)
	resp.Header.Del("Content-Length")
	resp.ContentLength = -1
	return nil
}

// rewriteWhole rewrites a short body of a known length at once.
func rewriteWhole(resp *http.Response, rw *replacer) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, resp.ContentLength))
	resp.Body.Close()
	if err != nil {
		return err
	}
	out, _ := rw.replace(nil, body, true)
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	return nil
}

// isJSON reports whether a response's body is JSON, not encoded.
func isJSON(h http.Header) bool {
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return false
	}
	ct, _, _ := strings.Cut(strings.ToLower(h.Get("Content-Type")), ";")
	ct = strings.TrimSpace(ct)
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}

// upstreamError answers a request that could not be sent or answered
// upstream (502), saying why on stderr too; a client that went away gets
// nothing. r is the request sent upstream.
func (p *proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the address, with its query, is not for a log
	}
	_, advice := cli.Advise(err, cli.Invocation{Command: "proxy", Profile: p.profile})
	msg := fmt.Sprintf("%s %s: %v", r.Method, r.Context().Value(routeKey{}).(*route).path, err)
	if advice != "" {
		msg += "; " + advice
	}
	fmt.Fprintln(p.errOut, "atl proxy: "+cli.OneLine(msg))
	refuse(w, http.StatusBadGateway, "atl proxy: "+cli.OneLine(msg))
}

// maxReplay bounds the request body the proxy holds, so that it can send
// it again after a refresh (auth's client does on a 401); a longer body
// streams upstream, once.
const maxReplay = 1 << 20

// replayable makes r's body, when it is at most maxReplay bytes, one that
// can be read again (GetBody).
func replayable(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 || r.ContentLength > maxReplay {
		return nil
	}
	head, err := io.ReadAll(io.LimitReader(r.Body, maxReplay+1))
	if err != nil {
		return err
	}
	if len(head) > maxReplay {
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
		return nil
	}
	r.Body.Close()
	r.ContentLength, r.TransferEncoding = int64(len(head)), nil
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(head)), nil }
	r.Body, _ = r.GetBody()
	return nil
}
