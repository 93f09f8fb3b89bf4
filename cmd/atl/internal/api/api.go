// Package api is `atl api`: a call to the Jira or Confluence REST API
// as the logged-in user, its answer on stdout.
package api

import (
	"context"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/cmd/atl/internal/siteapi"
	"github.com/spf13/cobra"
)

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

// long is the help of atl api.
const long = `Call Atlassian's REST API with the login's token, refreshing it as needed.

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
a page after the 10000th.`

// examples are atl api's examples in its help.
const examples = `  atl api rest/api/3/myself
  atl api rest/api/3/search/jql -f jql='project = OPS' -f fields=summary --paginate --jq '.issues[].key'
  atl api -X POST rest/api/3/issue -f fields[project][key]=OPS -f fields[summary]='Disk full' -f fields[issuetype][name]=Task
  atl api --product confluence wiki/api/v2/spaces --paginate --slurp
  atl api rest/api/3/project/search --paginate --jq '.values[].key'`

// NewCmd returns `atl api`. runF, when set, runs in place of the command
// (a test of its flags).
func NewCmd(f *cli.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Session: f.Session, Now: f.Now, Wait: f.Wait, Color: f.Getenv("NO_COLOR") == ""}
	cmd := &cobra.Command{
		Use:     "api PATH",
		Short:   "Call the Jira or Confluence REST API as the logged-in user",
		Long:    long,
		Example: examples,
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

// run sends the request PATH and the flags describe and prints the answer
// (every page of it with --paginate).
func run(ctx context.Context, opts *Options) error {
	req, err := newRequest(opts)
	if err != nil {
		return err
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
	site, err := siteapi.New(info)
	if err != nil {
		return err
	}
	first, err := req.first(opts.Path, site, opts.Product)
	if err != nil {
		return err
	}
	c := &apiCall{request: req, opts: opts, hc: s.Client(ctx),
		color: opts.IO.OutTerminal && opts.Color, terminal: opts.IO.OutTerminal, mergeLimit: maxMerge}
	if opts.Paginate {
		return c.paginate(ctx, first, site)
	}
	_, body, err := c.fetch(ctx, first)
	if err != nil {
		return err
	}
	if c.jq != nil {
		return c.printJQ(body)
	}
	c.printBody(body)
	return nil
}
