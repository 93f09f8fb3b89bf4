// Package loopback is the callback address of a native app's OAuth
// sign-in (RFC 8252): a loopback http URL with a fixed port, checked so
// that a browser requests it byte for byte, and the listeners that serve
// it; and the loopback listener of a local server (Listen).
package loopback

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Callback is a parsed loopback redirect URL.
type Callback struct {
	URL   string   // as given, sent byte for byte in both requests
	Path  string   // the path the listener answers on
	Port  int      // the fixed port
	Binds []string // the host:port addresses to listen on
	Hosts []string // the Host header values the listener accepts
}

// Parse checks that s is a loopback redirect URL atl can serve:
// http, host 127.0.0.1, [::1] or localhost, an explicit port, no user info,
// query or fragment, and a path a browser requests unchanged. A localhost URL
// is served on both 127.0.0.1 and ::1, since the browser may resolve it to
// either.
func Parse(s string) (*Callback, error) {
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

// ErrPortInUse reports that another program listens on the callback's
// port.
var ErrPortInUse = errors.New("the port is in use by another program")

// Listen binds every address of cb. An IPv6 address the machine does not
// have is skipped when another address was bound. A port another program
// holds is an error wrapping ErrPortInUse.
func (cb *Callback) Listen() ([]net.Listener, error) {
	var lc net.ListenConfig
	return cb.listenWith(func(addr string) (net.Listener, error) { return listenTCP(&lc, addr) })
}

// listenWith is listen with the function that binds one address.
func (cb *Callback) listenWith(bind func(addr string) (net.Listener, error)) ([]net.Listener, error) {
	var ls []net.Listener
	for _, addr := range cb.Binds {
		l, err := bind(addr)
		if err != nil {
			if isAddrNotAvail(err) && len(cb.Binds) > 1 {
				continue
			}
			for _, l := range ls {
				l.Close()
			}
			if isAddrInUse(err) {
				return nil, fmt.Errorf("cannot listen on %s: %w", addr, ErrPortInUse)
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

// Check checks that s is a callback URL Parse accepts and that its
// addresses can be bound now (a port in use is an error wrapping
// ErrPortInUse).
func Check(s string) error {
	cb, err := Parse(s)
	if err != nil {
		return err
	}
	ls, err := cb.Listen()
	for _, l := range ls {
		l.Close()
	}
	return err
}
