package auth

import (
	"crypto/subtle"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// startLink is the one-time address on the listener that sends the
// browser on to the consent page, so that the authorize URL, with its
// state and PKCE challenge, is on no command line (where every local user
// can read it). It redirects once: a request that carries its key (the
// link shown in the terminal, or the private page of privateRedirect), or,
// where the platform tells who opened a connection, a request without the
// key from a program of the user's own. A second fetch means someone else
// has the link: it ends a login still waiting, and a login whose link was
// fetched twice is never stored (see reusedErr).
type startLink struct {
	path   string
	key    string
	target string // the authorize URL
	// fromUser reports whether the connection from remote to the
	// listener's local address was opened by a program of the user's
	// own; nil where the platform cannot tell.
	fromUser func(local, remote netip.AddrPort) bool
	reused   chan<- error
	// spent runs at the first fetch: the link has served its purpose.
	spent func()

	mu      sync.Mutex
	fetches int
}

func (s *startLink) serve(w http.ResponseWriter, r *http.Request) {
	if refused(w, r) {
		return
	}
	keys, keyed := r.URL.Query()["k"]
	switch {
	case keyed:
		if len(keys) != 1 || subtle.ConstantTimeCompare([]byte(keys[0]), []byte(s.key)) != 1 {
			writePage(w, http.StatusNotFound, pageError, "Not found.")
			return
		}
	case s.fromUser == nil:
		writePage(w, http.StatusNotFound, pageError, "Not found.")
		return
	case !s.openedByUser(r):
		writePage(w, http.StatusForbidden, pageError, "This sign-in link opens only in a browser of the user who started the login. Open the address shown in the terminal instead.")
		return
	}
	s.mu.Lock()
	s.fetches++
	first := s.fetches == 1
	s.mu.Unlock()
	if !first {
		// The page goes on the wire before the login ends (and closes
		// the listener).
		writePage(w, http.StatusConflict, pageError, "This sign-in link was already opened once, so atl stopped the login. Start again from the terminal.")
		select {
		case s.reused <- ErrLinkReused:
		default:
		}
		return
	}
	if s.spent != nil {
		s.spent()
	}
	h := w.Header()
	h.Set("Location", s.target)
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusFound)
}

// openedByUser reports whether r came on a connection a program of the
// user's own opened.
func (s *startLink) openedByUser(r *http.Request) bool {
	la, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if la == nil {
		return false
	}
	local, err1 := netip.ParseAddrPort(la.String())
	remote, err2 := netip.ParseAddrPort(r.RemoteAddr)
	return err1 == nil && err2 == nil && s.fromUser(local, remote)
}

// reusedErr is ErrLinkReused once the link was fetched twice, else nil.
func (s *startLink) reusedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fetches > 1 {
		return ErrLinkReused
	}
	return nil
}

// redirectPage is the private page that sends the browser on to the
// start link: the link is in the file, and only the file's name is on
// the browser's command line.
const redirectPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=%s">
<title>atl: sign in</title></head>
<body><p>Taking you to the sign-in page. If nothing happens, <a href="%s">continue</a>.</p></body></html>
`

// privateRedirect writes a page that sends the browser on to link into a
// new directory only the user can enter (0700; on Windows, one in the
// user's own temporary directory), readable by the user only (0600), as
// Jupyter does. It returns the page's file URL and a function that
// removes the directory, which may be called more than once.
func privateRedirect(link string) (page string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "atl-sign-in-")
	if err != nil {
		return "", nil, fmt.Errorf("making the sign-in page: %w", err)
	}
	var once sync.Once
	remove = func() { once.Do(func() { _ = os.RemoveAll(dir) }) }
	path := filepath.Join(dir, "sign-in.html")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		esc := html.EscapeString(link)
		_, err = fmt.Fprintf(f, redirectPage, esc, esc)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		remove()
		return "", nil, fmt.Errorf("making the sign-in page: %w", err)
	}
	slashed := filepath.ToSlash(path)
	if !strings.HasPrefix(slashed, "/") {
		slashed = "/" + slashed // C:/Users/… on Windows
	}
	return (&url.URL{Scheme: "file", Path: slashed}).String(), remove, nil
}
