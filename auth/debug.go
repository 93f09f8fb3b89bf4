package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// redacted replaces every secret in a debug trace.
const redacted = "[REDACTED]"

// secretFields are the parameter and JSON field names whose values a trace
// never shows.
var secretFields = map[string]bool{
	"code": true, "code_verifier": true, "refresh_token": true, "access_token": true,
	"id_token": true, "client_secret": true, "password": true, "token": true,
}

// secretHeaders are the headers whose values a trace never shows.
var secretHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true,
}

// DebugTransport traces every HTTP request and response to Out, with
// secrets (tokens, codes, verifiers, client secrets, credentials in
// headers) replaced by [REDACTED]. Bodies that are neither JSON nor forms
// are summarised, not shown.
type DebugTransport struct {
	Base http.RoundTripper // http.DefaultTransport when nil
	Out  io.Writer

	mu sync.Mutex
}

// RoundTrip implements http.RoundTripper.
func (t *DebugTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s\n", req.Method, redactURL(req.URL))
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
		fmt.Fprintf(&b, "< error after %s: %v\n", time.Since(start).Round(time.Millisecond), stripURL(err))
		t.write(b.String())
		return nil, err
	}
	fmt.Fprintf(&b, "< %s (%s)\n", resp.Status, time.Since(start).Round(time.Millisecond))
	writeHeaders(&b, "< ", resp.Header)
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(raw), resp.Body), resp.Body}
	if rerr == nil {
		writeBody(&b, "< ", resp.Header.Get("Content-Type"), raw)
	}
	t.write(b.String())
	return resp, nil
}

func (t *DebugTransport) write(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = io.WriteString(t.Out, s)
}

type readCloser struct {
	io.Reader
	io.Closer
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		c.RawQuery = redactValues(c.Query()).Encode()
	}
	return c.String()
}

func redactValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		for _, s := range vs {
			if secretFields[strings.ToLower(k)] {
				s = redacted
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
			if secretHeaders[http.CanonicalHeaderKey(k)] {
				scheme, _, _ := strings.Cut(v, " ")
				v = CleanText(scheme, 20) + " " + redacted
			}
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, CleanText(v, 200))
		}
	}
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
			fmt.Fprintf(b, "%s%s\n", prefix, CleanText(string(out), 4000))
			return
		}
	}
	fmt.Fprintf(b, "%s[%d bytes of %s not shown]\n", prefix, len(raw), CleanText(mt, 60))
}

func redactJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if secretFields[strings.ToLower(k)] {
				x[k] = redacted
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
