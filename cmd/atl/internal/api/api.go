// Package api is `atl api`: a call to the Jira or Confluence REST API
// as the logged-in user, its answer on stdout.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/internal/jsoncolor"
	"github.com/atl-cli/atl/internal/retry"
	"github.com/atl-cli/atl/internal/termtext"
	"github.com/itchyny/gojq"
	"github.com/spf13/cobra"
)

// maxBodySize bounds a request body and each response atl api reads.
const maxBodySize = 64 << 20

// Options are what `atl api` runs with: its dependencies, then its flags,
// then its PATH.
type Options struct {
	IO      *cli.IOStreams
	Session func(mods ...func(*auth.Options)) (*auth.Session, error)
	// Now is the time a Retry-After date is counted from.
	Now func() time.Time
	// Wait waits before a retry of a 429 or 503, or until ctx ends.
	Wait func(ctx context.Context, d time.Duration) error
	// Color colours JSON printed on a terminal (NO_COLOR is unset).
	Color bool

	Method      string
	Headers     []string
	Fields      []string
	TypedFields []string
	Input       string
	Include     bool
	Silent      bool
	JQ          string
	Paginate    bool
	Slurp       bool
	Product     string
	Site        string

	Path string
}

// NewCmd returns `atl api`. runF, when set, runs in place of the command
// (a test of its flags).
func NewCmd(f *cli.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Session: f.Session, Now: f.Now, Wait: f.Wait, Color: f.Getenv("NO_COLOR") == ""}
	cmd := &cobra.Command{
		Use:   "api PATH",
		Short: "Call the Jira or Confluence REST API as the logged-in user",
		Long: `Call Atlassian's REST API with the login's token, refreshing it as needed.

PATH is relative to the site's Jira API, {API}/ex/jira/{cloudid}/ (with
--product confluence, {API}/ex/confluence/{cloudid}/), or an absolute URL on
the API server. -f and -F build a JSON body (or, for GET and with --input, the
query): -f key=value is a string; -F key=value is typed (numbers, true, false,
null; @file and @- read a file or stdin, at most 64 MiB as with --input);
a[b]=c nests, a[]=x appends.

The response body goes to stdout, as it is; on a terminal, JSON is indented
and coloured (NO_COLOR turns colour off) with control and format characters
in its strings escaped as \uXXXX, and other text has them removed. An HTTP
status of 400 or more exits 1, with the body on stdout and one line on
stderr. 429 and 503 are retried after Atlassian's Retry-After (at most 60 s,
said on stderr), three times.

--paginate follows Jira's offset pages (startAt/total/isLast), Jira's token
pages (nextPageToken/isLast) and Confluence's cursor pages (_links.next, Link),
printing each page as it comes and keeping none; with --jq or --slurp, the
pages are merged into one result (their items in one list) first, holding at
most 256 MiB of pages. A next page already fetched (a link to the page
itself, a repeated nextPageToken or startAt) stops it with an error, as does
a page after the 10000th.`,
		Example: `  atl api rest/api/3/myself
  atl api rest/api/3/search/jql -f jql='project = OPS' -f fields=summary --paginate --jq '.issues[].key'
  atl api -X POST rest/api/3/issue -f fields[project][key]=OPS -f fields[summary]='Disk full' -f fields[issuetype][name]=Task
  atl api --product confluence wiki/api/v2/spaces --paginate --slurp
  atl api rest/api/3/project/search --paginate --jq '.values[].key'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cli.UsageErrorf("atl api takes one PATH (e.g. rest/api/3/myself); see `atl api --help`")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Method, "method", "X", "", "HTTP method (default GET, or POST with -f, -F or --input)")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "add a request header, 'Name: value' (repeatable)")
	fl.StringArrayVarP(&opts.Fields, "raw-field", "f", nil, "add a string parameter key=value (repeatable)")
	fl.StringArrayVarP(&opts.TypedFields, "field", "F", nil, "add a typed parameter key=value: number, true, false, null, @file (repeatable)")
	fl.StringVar(&opts.Input, "input", "", "send FILE (- for stdin) as the request body")
	fl.BoolVarP(&opts.Include, "include", "i", false, "print the status line and headers before the body")
	fl.BoolVar(&opts.Silent, "silent", false, "print no body")
	fl.StringVarP(&opts.JQ, "jq", "q", "", "filter the JSON response with a jq expression (gojq)")
	fl.BoolVar(&opts.Paginate, "paginate", false, "follow the pages until the last one")
	fl.BoolVar(&opts.Slurp, "slurp", false, "with --paginate, print one result merging the pages")
	fl.StringVar(&opts.Product, "product", "jira", "jira or confluence: the API a relative PATH is under")
	fl.StringVar(&opts.Site, "site", "", "the site to call: name, URL or cloud id (env ATL_SITE; default the login's)")
	_ = cmd.RegisterFlagCompletionFunc("site", cli.CompleteSites(f))
	_ = cmd.RegisterFlagCompletionFunc("product", cobra.FixedCompletions([]string{"jira", "confluence"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// apiStatusError is an answer of 400 or more: its body is on stdout.
type apiStatusError struct {
	method, path string
	status       int
}

func (e *apiStatusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %s", e.method, e.path, e.status, http.StatusText(e.status))
}

// run sends the request PATH and the flags describe and prints the answer
// (every page of it with --paginate).
func run(ctx context.Context, opts *Options) error {
	if opts.Product != "jira" && opts.Product != "confluence" {
		return cli.UsageErrorf("--product must be jira or confluence, not %q", opts.Product)
	}
	if opts.Slurp && !opts.Paginate {
		return cli.UsageErrorf("--slurp goes with --paginate")
	}
	var jq *gojq.Code
	if opts.JQ != "" {
		q, err := gojq.Parse(opts.JQ)
		if err == nil {
			jq, err = gojq.Compile(q)
		}
		if err != nil {
			return cli.UsageErrorf("--jq: %v", err)
		}
	}
	header, err := parseHeaders(opts.Headers)
	if err != nil {
		return err
	}
	fields, err := parseFields(opts.Fields, opts.TypedFields, opts.IO.In)
	if err != nil {
		return err
	}
	var raw []byte
	if opts.Input != "" {
		if raw, err = readBody("--input", opts.Input, opts.IO.In); err != nil {
			return err
		}
	}
	method := strings.ToUpper(opts.Method)
	if method == "" {
		method = http.MethodGet
		if len(fields) > 0 || opts.Input != "" {
			method = http.MethodPost
		}
	}

	s, err := opts.Session(cli.WithSite(opts.Site))
	if err != nil {
		return err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return err
	}
	if info.Dead != "" {
		_, err := s.TokenSource(ctx).Token() // says it plainly
		return err
	}
	base := info.APIURL + "/ex/" + opts.Product + "/" + url.PathEscape(info.Site.ID)
	target, err := apiURL(opts.Path, base, info.APIURL)
	if err != nil {
		return err
	}
	req := pageRequest{url: target}
	switch {
	case opts.Input != "":
		q := target.Query()
		query(q, fields)
		target.RawQuery = q.Encode()
		if header.Get("Content-Type") == "" {
			header.Set("Content-Type", "application/json")
		}
	case method == http.MethodGet || method == http.MethodHead || method == http.MethodDelete:
		q := target.Query()
		query(q, fields)
		target.RawQuery = q.Encode()
	case len(fields) > 0:
		if req.body, err = body(fields); err != nil {
			return err
		}
		header.Set("Content-Type", "application/json")
	}
	if header.Get("Accept") == "" {
		header.Set("Accept", "application/json")
	}

	c := &apiCall{opts: opts, hc: s.Client(ctx), header: header, method: method, raw: raw, jq: jq,
		color: opts.IO.OutTerminal && opts.Color, terminal: opts.IO.OutTerminal, mergeLimit: maxMerge}
	if opts.Paginate {
		return c.paginate(ctx, req, info.APIURL+"/ex/confluence/"+url.PathEscape(info.Site.ID), info.APIURL)
	}
	_, body, err := c.fetch(ctx, req)
	if err != nil {
		return err
	}
	if jq != nil {
		return c.printJQ(body)
	}
	c.printBody(body)
	return nil
}

// apiURL resolves PATH: relative to base, or absolute on the API server
// (or on Atlassian's, which the client maps onto the API in use).
func apiURL(path, base, api string) (*url.URL, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		u, err := url.Parse(path)
		if err != nil {
			return nil, cli.UsageErrorf("%q is not a URL", path)
		}
		a, _ := url.Parse(api)
		if (u.Scheme == a.Scheme && u.Host == a.Host) || (u.Scheme == "https" && u.Host == "api.atlassian.com") {
			return u, nil
		}
		return nil, cli.UsageErrorf("%s is not on the API server (%s): atl api sends the token there only", u.Host, a.Host)
	}
	u, err := url.Parse(base + "/" + strings.TrimLeft(path, "/"))
	if err != nil {
		return nil, cli.UsageErrorf("%q is not a path", path)
	}
	return u, nil
}

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

// apiCall sends the requests of one atl api run and prints the answers.
type apiCall struct {
	opts     *Options
	hc       *http.Client
	header   http.Header
	method   string
	raw      []byte
	jq       *gojq.Code
	color    bool
	terminal bool

	mergeLimit int // bytes of pages --paginate may hold to merge them
}

// apiRetries is how often a 429 or 503 is retried.
const apiRetries = 3

// maxRetryWait bounds the wait for one retry.
const maxRetryWait = 60 * time.Second

// do sends one request, retrying 429 and 503 answers after the wait the
// server asks for (bounded, said on stderr).
func (c *apiCall) do(ctx context.Context, pr pageRequest) (*http.Response, []byte, error) {
	payload := c.raw
	if pr.body != nil {
		payload, _ = json.Marshal(pr.body)
	}
	for attempt := 1; ; attempt++ {
		var rd io.Reader
		if payload != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, c.method, pr.url.String(), rd)
		if err != nil {
			return nil, nil, err
		}
		for k, vs := range c.header {
			req.Header[k] = vs
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			return nil, nil, unwrapURL(err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize+1))
		resp.Body.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: reading the answer: %w", c.method, pr.url.Path, err)
		}
		if len(body) > maxBodySize {
			return nil, nil, fmt.Errorf("%s %s: the answer is larger than %d bytes", c.method, pr.url.Path, maxBodySize)
		}
		retryable := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
		if !retryable || attempt > apiRetries {
			return resp, body, nil
		}
		wait := retryWait(resp.Header, attempt, c.opts.Now())
		fmt.Fprintf(c.opts.IO.ErrOut, "atl: %s (HTTP %d); trying again in %s (retry %d of %d)\n",
			map[bool]string{true: "rate limited by Atlassian", false: "Atlassian is unavailable"}[resp.StatusCode == 429],
			resp.StatusCode, wait, attempt, apiRetries)
		if err := c.opts.Wait(ctx, wait); err != nil {
			return nil, nil, err
		}
	}
}

// fetch sends one request (see do) and prints the status line and headers
// with --include. An answer of 400 or more is printed whole and returned
// as an *apiStatusError.
func (c *apiCall) fetch(ctx context.Context, req pageRequest) (*http.Response, []byte, error) {
	resp, body, err := c.do(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	if err := c.printHead(resp); err != nil {
		return nil, nil, err
	}
	if resp.StatusCode >= 400 {
		c.printBody(endLine(body)) // the error line on stderr starts a line of its own
		return nil, nil, &apiStatusError{method: c.method, path: req.url.Path, status: resp.StatusCode}
	}
	return resp, body, nil
}

// retryWait is the wait Retry-After asks for (seconds or an HTTP date),
// else a doubling one, at most maxRetryWait.
func retryWait(h http.Header, attempt int, now time.Time) time.Duration {
	d, ok := retry.After(h, now)
	if !ok {
		d = time.Duration(1<<attempt) * time.Second
	}
	return min(d, maxRetryWait)
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, redactedPath(ue.URL), ue.Err)
	}
	return err
}

func redactedPath(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Path
	}
	return "the request"
}

// printHead prints the status line and headers with --include.
func (c *apiCall) printHead(resp *http.Response) error {
	if !c.opts.Include {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", resp.Proto, resp.Status)
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	return c.write(b.String())
}

// printBody prints a body: on a terminal JSON indented (and coloured),
// anything else cleaned of control characters; elsewhere as it is.
func (c *apiCall) printBody(body []byte) {
	if c.opts.Silent || len(body) == 0 {
		return
	}
	out := c.opts.IO.Out
	if !c.terminal {
		_, _ = out.Write(body)
		return
	}
	if err := jsoncolor.Write(out, body, c.color); err != nil {
		_ = c.write(string(body))
		if !bytes.HasSuffix(body, []byte("\n")) {
			fmt.Fprintln(out)
		}
	}
}

// endLine is b ending with a newline (when not empty).
func endLine(b []byte) []byte {
	if len(b) == 0 || bytes.HasSuffix(b, []byte("\n")) {
		return b
	}
	return append(b, '\n')
}

// write prints text from the server, cleaned on a terminal.
func (c *apiCall) write(s string) error {
	if c.terminal {
		s = termtext.Lines(s)
	}
	_, err := io.WriteString(c.opts.IO.Out, s)
	return err
}

// printJQ prints the results of --jq on body (see runJQ).
func (c *apiCall) printJQ(body []byte) error {
	v, err := decodePage(body)
	if err != nil {
		return fmt.Errorf("--jq: the answer is not JSON")
	}
	return c.runJQ(v)
}

// runJQ prints the results of --jq on v, a decoded answer, one a line (see
// printJQResult).
func (c *apiCall) runJQ(v any) error {
	iter := c.jq.Run(plain(v))
	for {
		r, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, ok := r.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				return nil
			}
			return fmt.Errorf("--jq: %v", err)
		}
		if err := c.printJQResult(r); err != nil {
			return err
		}
	}
}

// printJQResult prints one result of --jq: a string as it is (cleaned on
// a terminal), another value as compact JSON (with control and format
// characters escaped on a terminal).
func (c *apiCall) printJQResult(r any) error {
	if s, ok := r.(string); ok {
		return c.write(s + "\n")
	}
	b, err := gojq.Marshal(r)
	if err != nil {
		return fmt.Errorf("--jq: %v", err)
	}
	if c.terminal {
		b = jsoncolor.Escape(b)
	}
	_, err = c.opts.IO.Out.Write(append(b, '\n'))
	return err
}

// plain turns json.Numbers into what gojq takes: ints and float64s.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.Atoi(x.String()); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = plain(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = plain(x[k])
		}
	}
	return v
}
