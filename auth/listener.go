package auth

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

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

const (
	pageSuccess = "Signed in"
	pageError   = "Sign-in problem"
)

// page is the listener's one page: title, title, message.
const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>atl: %s</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}</style>
</head><body><h1>atl: %s</h1><p>%s</p></body></html>
`

// writePage writes a static page. Every value is HTML-escaped (both are
// text, in element content); the headers forbid scripts, framing, and
// leaking the callback URL (with its code) through a Referer.
func writePage(w http.ResponseWriter, status int, title, message string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	var buf bytes.Buffer
	title, message = html.EscapeString(title), html.EscapeString(message)
	fmt.Fprintf(&buf, page, title, title, message)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	// Put the whole page on the wire now: Login closes the listener and
	// its connections as soon as the accepted callback's handler is done.
	_ = http.NewResponseController(w).Flush()
}

// callbackServer is the listener's HTTP server: every request bounded in
// time and size (a local program could otherwise hold a connection open
// for the whole login), its handlers' context base.
func callbackServer(h http.Handler, base context.Context) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      60 * time.Second, // the page waits for the code exchange
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
}
