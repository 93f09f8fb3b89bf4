package api

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/cmd/atl/internal/siteapi"
	"github.com/itchyny/gojq"
)

// maxBodySize bounds a request body and each response atl api reads.
const maxBodySize = 64 << 20

// request is what the flags ask atl api to send, read before anything is
// sent: the method, the headers, the -f and -F fields, the --input body,
// and the --jq filter for the answer.
type request struct {
	method string
	header http.Header
	fields []field
	input  bool   // --input is given
	raw    []byte // --input's body
	jq     *gojq.Code
}

// newRequest checks the flags and reads the files they name (-F key=@file,
// --input): every mistake in them is found before the login is opened.
// The method is -X's, else GET, or POST when there is something to send.
func newRequest(opts *Options) (*request, error) {
	if opts.Product != "jira" && opts.Product != "confluence" {
		return nil, cli.UsageErrorf("--product must be jira or confluence, not %q", opts.Product)
	}
	if opts.Slurp && !opts.Paginate {
		return nil, cli.UsageErrorf("--slurp goes with --paginate")
	}
	r := &request{input: opts.Input != ""}
	var err error
	if r.jq, err = compileJQ(opts.JQ); err != nil {
		return nil, err
	}
	if r.header, err = parseHeaders(opts.Headers); err != nil {
		return nil, err
	}
	if r.fields, err = parseFields(opts.Fields, opts.TypedFields, opts.IO.In); err != nil {
		return nil, err
	}
	if r.input {
		if r.raw, err = readBody("--input", opts.Input, opts.IO.In); err != nil {
			return nil, err
		}
	}
	r.method = strings.ToUpper(opts.Method)
	if r.method == "" {
		r.method = http.MethodGet
		if len(r.fields) > 0 || r.input {
			r.method = http.MethodPost
		}
	}
	return r, nil
}

// compileJQ compiles a --jq expression; "" is none (nil).
func compileJQ(expr string) (*gojq.Code, error) {
	if expr == "" {
		return nil, nil
	}
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, cli.UsageErrorf("--jq: %v", err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, cli.UsageErrorf("--jq: %v", err)
	}
	return code, nil
}

// first is the request for PATH (see apiURL) on the site's product API,
// the first page with
// --paginate. The fields go in the query with --input and for GET, HEAD
// and DELETE, else in a JSON body; a body is sent as JSON unless -H says
// otherwise, and JSON is what is accepted unless -H says otherwise.
func (r *request) first(path string, site *siteapi.API, product string) (pageRequest, error) {
	target, err := apiURL(path, site, product)
	if err != nil {
		return pageRequest{}, err
	}
	pr := pageRequest{url: target}
	switch {
	case r.input:
		q := target.Query()
		query(q, r.fields)
		target.RawQuery = q.Encode()
		if r.header.Get("Content-Type") == "" {
			r.header.Set("Content-Type", "application/json")
		}
	case r.method == http.MethodGet || r.method == http.MethodHead || r.method == http.MethodDelete:
		q := target.Query()
		query(q, r.fields)
		target.RawQuery = q.Encode()
	case len(r.fields) > 0:
		if pr.body, err = body(r.fields); err != nil {
			return pageRequest{}, err
		}
		r.header.Set("Content-Type", "application/json")
	}
	if r.header.Get("Accept") == "" {
		r.header.Set("Accept", "application/json")
	}
	return pr, nil
}

// apiURL resolves PATH: relative to the site's product API, or absolute
// on the API server (or on Atlassian's, which the client maps onto the
// API in use).
func apiURL(path string, site *siteapi.API, product string) (*url.URL, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		u, err := url.Parse(path)
		if err != nil {
			return nil, cli.UsageErrorf("%q is not a URL", path)
		}
		if site.On(u) {
			return u, nil
		}
		return nil, cli.UsageErrorf("%s is not on the API server (%s): atl api sends the token there only", u.Host, site.Host())
	}
	u, err := url.Parse(site.Base(product) + "/" + strings.TrimLeft(path, "/"))
	if err != nil {
		return nil, cli.UsageErrorf("%q is not a path", path)
	}
	return u, nil
}

// parseHeaders reads -H 'Name: value' lines. Authorization is atl's own.
func parseHeaders(hs []string) (http.Header, error) {
	h := http.Header{}
	for _, line := range hs {
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, cli.UsageErrorf("-H %q: want 'Name: value'", line)
		}
		if strings.EqualFold(name, "Authorization") {
			return nil, cli.UsageErrorf("-H: atl api sends the login's Authorization itself")
		}
		h.Add(name, strings.TrimSpace(value))
	}
	return h, nil
}

// readBody reads a body a flag names: a file, or stdin for "-", whole, at
// most maxBodySize bytes. flag says which ("--input", "-F key=@file") in
// errors.
func readBody(flag, name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, cli.UsageErrorf("%s: %v", flag, err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxBodySize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if len(b) > maxBodySize {
		return nil, cli.UsageErrorf("%s is larger than %d bytes", flag, maxBodySize)
	}
	return b, nil
}
