// Package httpdebug traces HTTP requests and responses for --debug, with
// every secret replaced by [REDACTED].
package httpdebug

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/atl-cli/atl/internal/termtext"
)

// Redacted replaces every secret in a trace.
const Redacted = "[REDACTED]"

// maxBody bounds how much of a body a trace reads.
const maxBody = 1 << 20

// secretFields are the parameter and JSON field names whose values a trace
// never shows. They are compared as encoding/json matches field names:
// without regard to case (strings.EqualFold).
var secretFields = []string{
	"code", "code_verifier", "refresh_token", "access_token",
	"id_token", "client_secret", "password", "token",
}

func isSecretField(name string) bool {
	for _, f := range secretFields {
		if strings.EqualFold(name, f) {
			return true
		}
	}
	return false
}

// knownSchemes are the Authorization schemes a trace names; any other
// first word of the value might be the credential itself.
var knownSchemes = []string{"Basic", "Bearer", "Digest", "Negotiate", "NTLM"}

// Transport traces every HTTP request and response to Out, with secrets
// (tokens, codes, verifiers, client secrets, credentials in headers)
// replaced by [REDACTED]. Bodies that are neither JSON nor forms are
// summarised, not shown. It is safe for concurrent use.
type Transport struct {
	Base http.RoundTripper // http.DefaultTransport when nil
	Out  io.Writer

	mu sync.Mutex
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s\n", req.Method, termtext.Clean(redactURL(req.URL), 2000))
	writeHeaders(&b, "> ", req.Header)
	if req.Body != nil && req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			raw, _ := io.ReadAll(io.LimitReader(body, maxBody))
			body.Close()
			writeBody(&b, "> ", req.Header.Get("Content-Type"), raw)
		}
	}
	start := time.Now()
	resp, err := base.RoundTrip(req)
	if err != nil {
		fmt.Fprintf(&b, "< error after %s: %s\n", time.Since(start).Round(time.Millisecond), termtext.OneLine(stripURL(err).Error(), 500))
		t.write(b.String())
		return nil, err
	}
	fmt.Fprintf(&b, "< %s (%s)\n", termtext.Clean(resp.Status, 100), time.Since(start).Round(time.Millisecond))
	writeHeaders(&b, "< ", resp.Header)
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(raw), resp.Body), resp.Body}
	if rerr == nil {
		writeBody(&b, "< ", resp.Header.Get("Content-Type"), raw)
	}
	t.write(b.String())
	return resp, nil
}

func (t *Transport) write(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = io.WriteString(t.Out, s)
}

type readCloser struct {
	io.Reader
	io.Closer
}

// stripURL removes the request URL from a transport error: the trace has
// already shown it (redacted).
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redactURL is u without its user information and with the values of
// secret query parameters (secretFields) replaced by [REDACTED].
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		c.RawQuery = redactValues(c.Query()).Encode()
	}
	return c.String()
}

// redactURLString is redactURL of the URL (or relative reference) s; all
// of s is [REDACTED] when it does not parse.
func redactURLString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return Redacted
	}
	return redactURL(u)
}

// redactLink is a Link header with each URL, between < and > (a URI
// reference holds neither), redacted.
func redactLink(v string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(v, '<')
		if open < 0 {
			break
		}
		end := strings.IndexByte(v[open:], '>')
		if end < 0 {
			break
		}
		b.WriteString(v[:open+1])
		b.WriteString(redactURLString(v[open+1 : open+end]))
		b.WriteByte('>')
		v = v[open+end+1:]
	}
	b.WriteString(v)
	return b.String()
}

// redactRefresh is a Refresh header ("5; url='…'") with its URL redacted.
// It is read as browsers read it: the delay, then after ';', ',' or
// spaces the URL, optionally after "url=" and in quotes.
func redactRefresh(v string) string {
	i := 0
	for i < len(v) && strings.IndexByte(" \t0123456789.;,", v[i]) >= 0 {
		i++
	}
	if rest := v[i:]; len(rest) >= 3 && strings.EqualFold(rest[:3], "url") {
		if after := strings.TrimLeft(rest[3:], " \t"); strings.HasPrefix(after, "=") {
			i = len(v) - len(strings.TrimLeft(after[1:], " \t"))
		}
	}
	head, target := v[:i], v[i:]
	switch {
	case target == "":
		return v // a delay alone
	case target[0] == '\'' || target[0] == '"':
		// Quoted: the URL ends at the closing quote (what may follow it
		// is ignored, and not shown), else at the end.
		q := target[:1]
		u, _, closed := strings.Cut(target[1:], q)
		if !closed {
			q = ""
		}
		return head + target[:1] + redactURLString(u) + q
	}
	return head + redactURLString(target)
}

func redactValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		for _, s := range vs {
			if isSecretField(k) {
				s = Redacted
			}
			out.Add(k, s)
		}
	}
	return out
}

func writeHeaders(b *strings.Builder, prefix string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, termtext.Clean(k, 100), termtext.Clean(headerValue(k, v), 200))
		}
	}
}

// headerValue is what a trace shows of header k's value v: credentials
// never, cookies by name only, URLs (a redirect's Location, a Link, …)
// redacted as request URLs are.
func headerValue(k, v string) string {
	switch http.CanonicalHeaderKey(k) {
	case "Authorization", "Proxy-Authorization":
		scheme, _, _ := strings.Cut(strings.TrimSpace(v), " ")
		for _, known := range knownSchemes {
			if strings.EqualFold(scheme, known) {
				return known + " " + Redacted
			}
		}
		return Redacted
	case "Cookie":
		var names []string
		for _, c := range strings.Split(v, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(c), "=")
			names = append(names, name+"="+Redacted)
		}
		return strings.Join(names, "; ")
	case "Set-Cookie":
		name, _, _ := strings.Cut(strings.TrimSpace(v), "=")
		return name + "=" + Redacted
	case "Location", "Content-Location", "Referer":
		return redactURLString(strings.TrimSpace(v))
	case "Refresh":
		return redactRefresh(v)
	case "Link":
		return redactLink(v)
	}
	return v
}

func writeBody(b *strings.Builder, prefix, contentType string, raw []byte) {
	if len(raw) == 0 {
		return
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		if v, err := url.ParseQuery(string(raw)); err == nil {
			fmt.Fprintf(b, "%s%s\n", prefix, redactValues(v).Encode())
			return
		}
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || json.Valid(raw):
		var v any
		if err := json.Unmarshal(raw, &v); err == nil {
			out, _ := json.Marshal(redactJSON(v))
			fmt.Fprintf(b, "%s%s\n", prefix, termtext.Clean(string(out), 4000))
			return
		}
	}
	fmt.Fprintf(b, "%s[%d bytes of %s not shown]\n", prefix, len(raw), termtext.Clean(mt, 60))
}

func redactJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if isSecretField(k) {
				x[k] = Redacted
			} else {
				x[k] = redactJSON(e)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = redactJSON(e)
		}
	}
	return v
}
