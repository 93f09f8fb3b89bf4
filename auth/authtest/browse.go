package authtest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// maxPageSize bounds how much of each page Browse reads.
const maxPageSize = 4 << 20

// Browse plays the user's browser: it GETs authorizeURL (following
// redirects), and if the answer is a 2xx HTML page with a form (the consent
// page), it submits the form's fields as a browser would (running the page's
// auto-submit script) and follows redirects, including the final one to the
// loopback callback. It returns the status and body of the final response.
// A non-2xx page or a page without a form is returned as is. err is non-nil
// only if a request failed (for instance the callback server was not
// listening). A nil client means a new zero http.Client. A file: URL is
// read as a browser opens a local page, and its meta refresh is followed.
func Browse(ctx context.Context, client *http.Client, authorizeURL string) (status int, body string, err error) {
	if client == nil {
		client = &http.Client{}
	}
	if strings.HasPrefix(authorizeURL, "file:") {
		next, err := refreshTarget(authorizeURL)
		if err != nil {
			return 0, "", fmt.Errorf("authtest: browse %s: %w", authorizeURL, err)
		}
		authorizeURL = next
	}
	resp, body, err := fetch(ctx, client, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return 0, "", fmt.Errorf("authtest: browse %s: %w", authorizeURL, err)
	}
	if resp.StatusCode/100 != 2 || !strings.Contains(resp.Header.Get("Content-Type"), "html") {
		return resp.StatusCode, body, nil
	}
	f, ok := parseForm(body)
	if !ok {
		return resp.StatusCode, body, nil
	}
	action, err := resp.Request.URL.Parse(f.action)
	if err != nil {
		return 0, "", fmt.Errorf("authtest: browse: bad form action %q: %w", f.action, err)
	}
	var resp2 *http.Response
	if f.method == http.MethodPost {
		resp2, body, err = fetch(ctx, client, http.MethodPost, action.String(), f.fields)
	} else {
		action.RawQuery = f.fields.Encode()
		resp2, body, err = fetch(ctx, client, http.MethodGet, action.String(), nil)
	}
	if err != nil {
		return 0, "", fmt.Errorf("authtest: browse: submitting form to %s: %w", action, err)
	}
	return resp2.StatusCode, body, nil
}

func fetch(ctx context.Context, client *http.Client, method, target string, form url.Values) (*http.Response, string, error) {
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPageSize))
	if err != nil {
		return nil, "", err
	}
	return resp, string(b), nil
}

// refreshTarget reads the local page at fileURL and returns the address
// its meta refresh sends the browser to.
func refreshTarget(fileURL string) (string, error) {
	u, err := url.Parse(fileURL)
	if err != nil {
		return "", err
	}
	path := u.Path
	if len(path) > 2 && path[2] == ':' { // /C:/… on Windows
		path = path[1:]
	}
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		return "", err
	}
	for _, m := range metaRe.FindAllStringSubmatch(string(b), -1) {
		a := attrs(m[1])
		if !strings.EqualFold(a["http-equiv"], "refresh") {
			continue
		}
		_, target, ok := strings.Cut(a["content"], "url=")
		if ok && target != "" {
			return target, nil
		}
	}
	return "", errors.New("the page has no meta refresh")
}

type htmlForm struct {
	method string
	action string
	fields url.Values
}

var (
	formRe  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form\s*>`)
	metaRe  = regexp.MustCompile(`(?is)<meta\b([^>]*)>`)
	inputRe = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	attrRe  = regexp.MustCompile(`(?s)([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>` + "`" + `]+)))?`)
)

// parseForm extracts the first form of page: its method, action and the
// fields a submission without a submitter button would send. It is a
// deliberately small parser for simple, well-formed pages.
func parseForm(page string) (htmlForm, bool) {
	m := formRe.FindStringSubmatch(page)
	if m == nil {
		return htmlForm{}, false
	}
	fa := attrs(m[1])
	f := htmlForm{method: http.MethodGet, action: fa["action"], fields: url.Values{}}
	if strings.EqualFold(fa["method"], "post") {
		f.method = http.MethodPost
	}
	for _, im := range inputRe.FindAllStringSubmatch(m[2], -1) {
		a := attrs(im[1])
		name, hasName := a["name"]
		if !hasName || name == "" {
			continue
		}
		if _, disabled := a["disabled"]; disabled {
			continue
		}
		switch strings.ToLower(a["type"]) {
		case "submit", "button", "image", "reset", "file":
			continue
		case "checkbox", "radio":
			if _, checked := a["checked"]; !checked {
				continue
			}
			if _, ok := a["value"]; !ok {
				a["value"] = "on"
			}
		}
		f.fields.Add(name, a["value"])
	}
	return f, true
}

// attrs parses the attributes of a start tag (the text after the tag name).
func attrs(s string) map[string]string {
	out := make(map[string]string)
	for _, m := range attrRe.FindAllStringSubmatch(s, -1) {
		name := strings.ToLower(m[1])
		if _, dup := out[name]; dup {
			continue // the first occurrence wins, as in HTML
		}
		out[name] = html.UnescapeString(m[2] + m[3] + m[4])
	}
	return out
}
