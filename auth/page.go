package auth

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"strconv"
)

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
