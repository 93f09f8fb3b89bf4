package auth

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Callback is a parsed loopback redirect URL.
type Callback struct {
	URL   string   // as given, sent byte for byte in both requests
	Path  string   // the path the listener answers on
	Port  int      // the fixed port
	Binds []string // the host:port addresses to listen on
	Hosts []string // the Host header values the listener accepts
}

// ParseCallback checks that s is a loopback redirect URL atl can serve:
// http, host 127.0.0.1, [::1] or localhost, an explicit port, no user info,
// query or fragment, and a path a browser requests unchanged. A localhost URL
// is served on both 127.0.0.1 and ::1, since the browser may resolve it to
// either.
func ParseCallback(s string) (*Callback, error) {
	for i := 0; i < len(s); i++ {
		// Only characters a URI may hold: a browser would encode anything
		// else and the redirect would no longer match byte for byte.
		if c := s[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"<>\^`+"`"+`{|}`, c) >= 0 {
			return nil, fmt.Errorf("callback URL %q has a character a URL cannot hold", s)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("callback URL %q is not a URL", s)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("callback URL %q must start with http:// (a loopback redirect needs no TLS)", s)
	}
	// A bare "?" or "#" leaves RawQuery and Fragment empty, so look at s.
	if u.User != nil || u.Opaque != "" || strings.ContainsAny(s, "?#") {
		return nil, fmt.Errorf("callback URL %q must not have user info, a query or a fragment", s)
	}
	host, portStr := u.Hostname(), u.Port()
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("callback URL %q needs an explicit port, the one registered for the app", s)
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if seg == "." || seg == ".." {
			// A browser removes dot segments before requesting the path.
			return nil, fmt.Errorf("callback URL %q must not have . or .. in its path", s)
		}
	}
	cb := &Callback{URL: s, Path: u.Path, Port: port}
	if cb.Path == "" {
		cb.Path = "/"
	}
	// A browser sends the port as a plain number, and omits it from Host
	// when it is the default port 80.
	portStr = strconv.Itoa(port)
	switch host {
	case "127.0.0.1", "::1":
		cb.Binds = []string{net.JoinHostPort(host, portStr)}
	case "localhost":
		cb.Binds = []string{net.JoinHostPort("127.0.0.1", portStr), net.JoinHostPort("::1", portStr)}
	default:
		return nil, fmt.Errorf("callback URL %q must use host 127.0.0.1, [::1] or localhost", s)
	}
	hostOnly := host
	if strings.Contains(host, ":") {
		hostOnly = "[" + host + "]"
	}
	cb.Hosts = []string{net.JoinHostPort(host, portStr)}
	if port == 80 {
		cb.Hosts = append(cb.Hosts, hostOnly)
	}
	return cb, nil
}

// PortInUseError reports that the callback port is taken.
type PortInUseError struct {
	Addr string
	Err  error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("cannot listen on %s: the port is in use by another program; stop it, or register another callback URL for the app and set ATL_CALLBACK_URL to it", e.Addr)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// listen binds every address of cb. An IPv6 address the machine does not
// have is skipped when another address was bound.
func (cb *Callback) listen() ([]net.Listener, error) {
	var ls []net.Listener
	var lc net.ListenConfig
	for _, addr := range cb.Binds {
		l, err := listenTCP(&lc, addr)
		if err != nil {
			if isAddrNotAvail(err) && len(cb.Binds) > 1 {
				continue
			}
			for _, l := range ls {
				l.Close()
			}
			if isAddrInUse(err) {
				return nil, &PortInUseError{Addr: addr, Err: err}
			}
			return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
		}
		ls = append(ls, l)
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("cannot listen on any loopback address for %s", cb.URL)
	}
	return ls, nil
}

// callbackResult is what the one accepted callback carries.
type callbackResult struct {
	code string
	err  error
}

// callbackHandler answers the browser's redirect. It accepts exactly one
// request with the right state; everything else gets an error page and
// leaves the login waiting, so a stray or forged request cannot end it.
type callbackHandler struct {
	cb    *Callback
	state string

	mu      sync.Mutex
	used    bool
	results chan<- callbackResult // buffered, capacity 1
	outcome <-chan error          // the exchange's result, for the page
	// pageDone is closed once the accepted callback's page is on the wire
	// (or its request ended without one).
	pageDone chan<- struct{}
}

func (h *callbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !h.hostAllowed(r.Host) {
		writePage(w, http.StatusMisdirectedRequest, pageError, "This request was not addressed to atl's sign-in listener.")
		return
	}
	if r.URL.Path != h.cb.Path {
		writePage(w, http.StatusNotFound, pageError, "Not found.")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writePage(w, http.StatusMethodNotAllowed, pageError, "Method not allowed.")
		return
	}
	if isPrefetch(r) {
		writePage(w, http.StatusServiceUnavailable, pageError, "Prefetch is not served.")
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writePage(w, http.StatusBadRequest, pageError, "The sign-in response is malformed.")
		return
	}
	for _, vs := range q {
		if len(vs) > 1 {
			writePage(w, http.StatusBadRequest, pageError, "The sign-in response repeats a parameter.")
			return
		}
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(h.state)) != 1 {
		writePage(w, http.StatusBadRequest, pageError, "This sign-in response does not belong to the login atl is waiting for (state mismatch). Start again from the terminal.")
		return
	}
	code, errCode := q.Get("code"), q.Get("error")
	if code == "" && errCode == "" {
		writePage(w, http.StatusBadRequest, pageError, "The sign-in response has no authorization code.")
		return
	}

	h.mu.Lock()
	if h.used {
		h.mu.Unlock()
		writePage(w, http.StatusBadRequest, pageError, "This sign-in was already completed.")
		return
	}
	h.used = true
	h.mu.Unlock()
	defer close(h.pageDone)

	if errCode != "" {
		var err error = &AuthorizeError{Code: CleanText(errCode, 64), Description: CleanText(q.Get("error_description"), 200)}
		if errCode == "access_denied" {
			err = ErrAccessDenied
		}
		h.results <- callbackResult{err: err}
		writePage(w, http.StatusOK, pageError, "Sign-in was not completed: "+err.Error()+". You can close this tab.")
		return
	}
	h.results <- callbackResult{code: code}
	select {
	case err := <-h.outcome:
		if err != nil {
			writePage(w, http.StatusOK, pageError, "Sign-in failed. The terminal says why. You can close this tab.")
			return
		}
		writePage(w, http.StatusOK, pageSuccess, "You are signed in to atl. You can close this tab and return to the terminal.")
	case <-r.Context().Done():
	}
}

func (h *callbackHandler) hostAllowed(host string) bool {
	for _, h := range h.cb.Hosts {
		if host == h {
			return true
		}
	}
	return false
}

// isPrefetch reports a speculative request a browser makes on its own;
// answering it must not spend the one callback.
func isPrefetch(r *http.Request) bool {
	for _, h := range []string{"Sec-Purpose", "Purpose", "X-Purpose", "X-Moz"} {
		if v := r.Header.Get(h); v != "" {
			return true
		}
	}
	return false
}

const (
	pageSuccess = "Signed in"
	pageError   = "Sign-in problem"
)

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>atl: {{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}</style>
</head><body><h1>atl: {{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

// writePage writes a static page. Every value is HTML-escaped by the
// template; the headers forbid scripts, framing, and leaking the callback
// URL (with its code) through a Referer.
func writePage(w http.ResponseWriter, status int, title, message string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	var buf bytes.Buffer
	_ = pageTemplate.Execute(&buf, struct{ Title, Message string }{title, message})
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	// Put the whole page on the wire now: Login closes the listener and
	// its connections as soon as the accepted callback's handler is done.
	_ = http.NewResponseController(w).Flush()
}

// maxConns bounds the connections the listener serves at once; more wait
// in the kernel's backlog. Slow clients are cut off by the server's header
// timeout, so they cannot hold the slots for long.
const maxConns = 64

// limitListener serves at most n connections at once.
type limitListener struct {
	net.Listener
	sem chan struct{}
}

func newLimitListener(l net.Listener, n int) net.Listener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
