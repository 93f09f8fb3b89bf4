package api

import (
	"context"
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/spf13/cobra"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// site is the cloud id of the test server's one site.
const site = authtest.DefaultSiteID

// jira is the path of the site's Jira API on the test server.
const jira = "/ex/jira/" + site + "/rest/api/3"

// nasty is server text a terminal may act on or that hides what follows:
// C1 controls (U+009B is CSI, U+0085 NEL), a bidi override and isolates,
// marks, zero-width characters, a tag character.
const nasty = "Ship \u009b2J\u202egnp.exe \u2066x\u2069 \u200e\u200f\ufeff\u061c\u0085\u200b \U000e0041 end"

// cleaned is nasty as it shows on a terminal.
const cleaned = "Ship gnp.exe x   end"

// issue2 is the test server's answer for issue P1-2.
const issue2 = `{"fields":{"summary":"Issue 2"},"id":"20001","key":"P1-2"}`

// date is a fixed Date header, for exact -i output.
var date = map[string]string{"Date": "Sun, 29 Nov 2026 12:00:00 GMT"}

// login is the login a case runs with.
type login int

const (
	loggedIn  login = iota // e.Store("default", ""): Jira reads only
	dataLogin              // a token for every data endpoint (Confluence, POST issue)
	noLogin
)

// sent is what the test server's data endpoints got last.
type sent struct {
	method, path, query, body string
	header                    map[string]string // headers to check ("" for absent)
}

// runCase is one run of atl api. In Path, fault bodies and expected
// output, {API} is the test server's URL and {HOST} its host.
type runCase struct {
	name     string
	opts     Options // its flags and PATH
	login    login
	terminal bool
	noColor  bool
	stdin    string
	faults   []authtest.Fault
	setup    func(e *clitest.Env)
	wait     error // what Wait returns
	code     int
	stdout   string // exact, or "golden:NAME" for testdata/NAME
	stderr   string
	waits    []time.Duration
	counts   map[string]int // server requests by name
	sent     *sent
}

func TestRunAPIOutput(t *testing.T) {
	summary := `{"key":"P1-1","fields":{"summary":"` + nasty + `","escaped":"\u009b\u202e"}}`
	runCases(t, []runCase{
		{name: "a JSON body off a terminal, byte for byte", opts: Options{Path: "rest/api/3/issue/P1-2"}, stdout: issue2,
			counts: map[string]int{"issue": 1}, sent: &sent{method: "GET", path: jira + "/issue/P1-2", header: map[string]string{"Accept": "application/json", "Content-Type": ""}}},
		{name: "server text off a terminal, byte for byte", opts: Options{Path: "rest/api/3/issue/P1-1"},
			faults: []authtest.Fault{{Status: 200, Body: nasty + "\x1b]0;title\x07", ContentType: "text/plain"}}, stdout: nasty + "\x1b]0;title\x07"},
		{name: "a JSON body on a terminal, indented and coloured", opts: Options{Path: "rest/api/3/issue/P1-2"}, terminal: true, stdout: "golden:terminal-color.txt"},
		{name: "a JSON body on a terminal, NO_COLOR", opts: Options{Path: "rest/api/3/issue/P1-2"}, terminal: true, noColor: true,
			stdout: "{\n  \"fields\": {\n    \"summary\": \"Issue 2\"\n  },\n  \"id\": \"20001\",\n  \"key\": \"P1-2\"\n}\n"},
		{name: "server text in JSON on a terminal, escaped", opts: Options{Path: "rest/api/3/issue/P1-1"}, terminal: true, noColor: true,
			faults: []authtest.Fault{{Status: 200, Body: `{"` + nasty + `":` + summary + `}`}}, stdout: "golden:terminal-escaped.txt"},
		{name: "server text in JSON on a terminal, escaped in colour", opts: Options{Path: "rest/api/3/issue/P1-1"}, terminal: true,
			faults: []authtest.Fault{{Status: 200, Body: `{"` + nasty + `":` + summary + `}`}}, stdout: "golden:terminal-escaped-color.txt"},
		{name: "a text body on a terminal, cleaned", opts: Options{Path: "rest/api/3/issue/P1-1"}, terminal: true,
			faults: []authtest.Fault{{Status: 200, Body: nasty + "\n\x1b]0;title\x07line 2", ContentType: "text/plain"}}, stdout: cleaned + "\nline 2\n"},
		{name: "-i", opts: Options{Path: "rest/api/3/issue/P1-2", Include: true}, faults: []authtest.Fault{{PassThrough: true, Header: date}},
			stdout: "HTTP/1.1 200 OK\nCache-Control: no-store\nContent-Length: 58\nContent-Type: application/json\nDate: Sun, 29 Nov 2026 12:00:00 GMT\n\n" + issue2},
		{name: "-i on a terminal, headers cleaned", opts: Options{Path: "rest/api/3/issue/P1-2", Include: true}, terminal: true, noColor: true,
			faults: []authtest.Fault{{Status: 200, Body: `{}`, Header: map[string]string{"Date": date["Date"], "X-Note": nasty}}},
			stdout: "HTTP/1.1 200 OK\nContent-Length: 2\nContent-Type: application/json\nDate: Sun, 29 Nov 2026 12:00:00 GMT\nX-Note: " + cleaned + "\n\n{}\n"},
		{name: "--silent", opts: Options{Path: "rest/api/3/issue/P1-2", Silent: true}, counts: map[string]int{"issue": 1}},
		{name: "--silent -i: the head only", opts: Options{Path: "rest/api/3/issue/P1-2", Silent: true, Include: true}, faults: []authtest.Fault{{PassThrough: true, Header: date}},
			stdout: "HTTP/1.1 200 OK\nCache-Control: no-store\nContent-Length: 58\nContent-Type: application/json\nDate: Sun, 29 Nov 2026 12:00:00 GMT\n\n"},
		{name: "--jq: strings raw, other values compact", opts: Options{Path: "rest/api/3/issue/P1-2", JQ: `.fields.summary, .key, .fields, (.id | tonumber), 1.5, null, true, [.key]`},
			stdout: "Issue 2\nP1-2\n{\"summary\":\"Issue 2\"}\n20001\n1.5\nnull\ntrue\n[\"P1-2\"]\n"},
		{name: "--jq off a terminal: strings as they are", opts: Options{Path: "rest/api/3/issue/P1-1", JQ: ".fields.summary"},
			faults: []authtest.Fault{{Status: 200, Body: summary}}, stdout: nasty + "\n"},
		{name: "--jq on a terminal: strings cleaned, JSON escaped", opts: Options{Path: "rest/api/3/issue/P1-1", JQ: ".fields.summary, .fields"}, terminal: true,
			faults: []authtest.Fault{{Status: 200, Body: summary}},
			stdout: cleaned + "\n" + `{"escaped":"\u009b\u202e","summary":"Ship \u009b2J\u202egnp.exe \u2066x\u2069 \u200e\u200f\ufeff\u061c\u0085\u200b \udb40\udc41 end"}` + "\n"},
		{name: "--jq halt", opts: Options{Path: "rest/api/3/issue/P1-2", JQ: ".key, halt, .id"}, stdout: "P1-2\n"},
		{name: "--jq error", opts: Options{Path: "rest/api/3/issue/P1-2", JQ: `.key, error("no such field")`}, code: 1,
			stdout: "P1-2\n", stderr: "atl: --jq: error: no such field\n"},
		{name: "--jq on an answer not JSON", opts: Options{Path: "rest/api/3/issue/P1-2", JQ: "."}, code: 1,
			faults: []authtest.Fault{{Status: 200, Body: "plain", ContentType: "text/plain"}}, stderr: "atl: --jq: the answer is not JSON\n"},
		{name: "an error status: the body, one line, exit 1", opts: Options{Path: "rest/api/3/issue/NOPE-9"}, code: 1,
			stdout: `{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}` + "\n",
			stderr: "atl: GET " + jira + "/issue/NOPE-9: HTTP 404 Not Found\n"},
		{name: "an error status with --jq: the body as it is", opts: Options{Path: "rest/api/3/issue/P1-2", JQ: ".x"}, code: 1,
			faults: []authtest.Fault{{Status: 400, Body: `{"errorMessages":["bad"]}`}},
			stdout: `{"errorMessages":["bad"]}` + "\n", stderr: "atl: GET " + jira + "/issue/P1-2: HTTP 400 Bad Request\n"},
		{name: "an error status with --silent", opts: Options{Path: "rest/api/3/issue/NOPE-9", Silent: true}, code: 1,
			stderr: "atl: GET " + jira + "/issue/NOPE-9: HTTP 404 Not Found\n"},
		{name: "an error status with -i", opts: Options{Path: "rest/api/3/issue/P1-2", Include: true}, code: 1,
			faults: []authtest.Fault{{Status: 403, Body: `{"message":"no"}`, Header: date}},
			stdout: "HTTP/1.1 403 Forbidden\nContent-Length: 16\nContent-Type: application/json\nDate: Sun, 29 Nov 2026 12:00:00 GMT\n\n{\"message\":\"no\"}\n",
			stderr: "atl: GET " + jira + "/issue/P1-2: HTTP 403 Forbidden\n"},
		{name: "an error status on a terminal", opts: Options{Path: "rest/api/3/issue/P1-1"}, terminal: true, noColor: true, code: 1,
			faults: []authtest.Fault{{Status: 502, Body: "<html>" + nasty + "</html>", ContentType: "text/html"}},
			stdout: "<html>" + cleaned + "</html>\n", stderr: "atl: GET " + jira + "/issue/P1-1: HTTP 502 Bad Gateway\n"},
		{name: "an error status on a terminal, JSON", opts: Options{Path: "rest/api/3/issue/P1-1"}, terminal: true, noColor: true, code: 1,
			faults: []authtest.Fault{{Status: 400, Body: `{"errorMessages":["` + nasty + `"]}`}},
			stdout: "{\n  \"errorMessages\": [\n    \"Ship \\u009b2J\\u202egnp.exe \\u2066x\\u2069 \\u200e\\u200f\\ufeff\\u061c\\u0085\\u200b \\udb40\\udc41 end\"\n  ]\n}\n",
			stderr: "atl: GET " + jira + "/issue/P1-1: HTTP 400 Bad Request\n"},
	})
}

func TestRunAPIUsageErrors(t *testing.T) {
	runCases(t, []runCase{
		{name: "--product", opts: Options{Path: "x", Product: "bitbucket"}, login: noLogin, code: 2, stderr: "atl: --product must be jira or confluence, not \"bitbucket\"\n"},
		{name: "--slurp without --paginate", opts: Options{Path: "x", Slurp: true}, login: noLogin, code: 2, stderr: "atl: --slurp goes with --paginate\n"},
		{name: "a --jq that does not parse", opts: Options{Path: "x", JQ: ".["}, login: noLogin, code: 2, stderr: "atl: --jq: unexpected EOF\n"},
		{name: "a --jq that does not compile", opts: Options{Path: "x", JQ: "nosuchfunction"}, login: noLogin, code: 2, stderr: "atl: --jq: function not defined: nosuchfunction/0\n"},
		{name: "-H without a colon", opts: Options{Path: "x", Headers: []string{"NoColon"}}, login: noLogin, code: 2, stderr: "atl: -H \"NoColon\": want 'Name: value'\n"},
		{name: "-H with a space in the name", opts: Options{Path: "x", Headers: []string{"Bad Name: x"}}, login: noLogin, code: 2, stderr: "atl: -H \"Bad Name: x\": want 'Name: value'\n"},
		{name: "-H with no name", opts: Options{Path: "x", Headers: []string{": x"}}, login: noLogin, code: 2, stderr: "atl: -H \": x\": want 'Name: value'\n"},
		{name: "-H Authorization", opts: Options{Path: "x", Headers: []string{"authorization: Bearer other"}}, login: noLogin, code: 2, stderr: "atl: -H: atl api sends the login's Authorization itself\n"},
		{name: "-f without =", opts: Options{Path: "x", Fields: []string{"novalue"}}, login: noLogin, code: 2, stderr: "atl: -f \"novalue\": want key=value\n"},
		{name: "-F without a key", opts: Options{Path: "x", TypedFields: []string{"=x"}}, login: noLogin, code: 2, stderr: "atl: -F \"=x\": want key=value\n"},
		{name: "-F @ a missing file", opts: Options{Path: "x", TypedFields: []string{"d=@testdata/none"}}, login: noLogin, code: 2,
			stderr: "atl: -F d=@testdata/none: open testdata/none: no such file or directory\n"},
		{name: "--input a missing file", opts: Options{Path: "x", Input: "testdata/none"}, login: noLogin, code: 2,
			stderr: "atl: --input: open testdata/none: no such file or directory\n"},
		{name: "not logged in", opts: Options{Path: "rest/api/3/issue/P1-2"}, login: noLogin, code: 4, stderr: "atl: not logged in; run `atl login`\n"},
		{name: "a key that does not close", opts: Options{Path: "rest/api/3/issue", Fields: []string{"a[b=1"}}, code: 2,
			stderr: "atl: key \"a[b\": a [ is not closed\n", counts: map[string]int{"create-issue": 0}},
		{name: "a key both a value and an object", opts: Options{Path: "rest/api/3/issue", Fields: []string{"a=1", "a[b]=2"}}, code: 2,
			stderr: "atl: key \"a[b]\": a is already a value, not an object\n"},
	})
}

// runCases runs each case: run with the case's options and a login on a
// test server, then its exit code, stdout, stderr, waits and requests.
func runCases(t *testing.T, cases []runCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runOne(t, tc) })
	}
}

func runOne(t *testing.T, tc runCase) {
	e := clitest.New(t)
	switch tc.login {
	case loggedIn:
		e.Store("default", "")
	case dataLogin:
		access, _ := e.Srv.IssueTokens("offline_access", "read:jira-user", "read:jira-work", "write:jira-work", "read:space:confluence")
		e.Store("default", access)
	}
	api := e.Srv.URL()
	host := strings.TrimPrefix(api, "http://")
	expand := strings.NewReplacer("{API}", api, "{HOST}", host).Replace
	for _, f := range tc.faults {
		f.Body = expand(f.Body)
		e.Srv.InjectAPIFaults(f)
	}
	if tc.setup != nil {
		tc.setup(e)
	}
	e.F.IO.In = strings.NewReader(tc.stdin)
	e.F.IO.OutTerminal = tc.terminal
	var waits []time.Duration
	opts := tc.opts
	opts.IO, opts.Session, opts.Now = e.F.IO, e.F.Session, e.F.Now
	opts.Wait = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return tc.wait
	}
	opts.Color = !tc.noColor
	if opts.Product == "" {
		opts.Product = "jira" // the flag's default
	}
	opts.Path = expand(opts.Path)

	code := e.Report(run(context.Background(), &opts), "api")

	mask := strings.NewReplacer(api, "{API}", host, "{HOST}").Replace
	stdout, stderr := mask(e.Out.String()), mask(e.ErrOut.String())
	wantErr := tc.stderr
	if n := strings.Count(wantErr, "retry N of"); n > 0 {
		for i := 1; i <= n; i++ {
			wantErr = strings.Replace(wantErr, "retry N of", "retry "+string(rune('0'+i))+" of", 1)
		}
	}
	if code != tc.code || stderr != wantErr {
		t.Fatalf("exit %d, stderr %q; want %d, %q (stdout %q)", code, stderr, tc.code, wantErr, stdout)
	}
	if name, ok := strings.CutPrefix(tc.stdout, "golden:"); ok {
		clitest.Golden(t, *update, name, stdout)
	} else if stdout != tc.stdout {
		t.Fatalf("stdout\n%q, want\n%q", stdout, tc.stdout)
	}
	if !reflect.DeepEqual(waits, tc.waits) {
		t.Fatalf("waited %v, want %v", waits, tc.waits)
	}
	for name, n := range tc.counts {
		if got := e.Srv.Count(name); got != n {
			t.Fatalf("%d %s requests, want %d", got, name, n)
		}
	}
	if tc.sent != nil {
		checkSent(t, e.Srv.LastAPIRequest(), tc.sent)
	}
}

// checkSent compares what the server got last with want.
func checkSent(t *testing.T, got *authtest.APIRequest, want *sent) {
	t.Helper()
	if got == nil {
		t.Fatal("the server got no request")
	}
	if got.Method != want.method || got.Path != want.path || got.Query.Encode() != want.query || string(got.Body) != want.body {
		t.Fatalf("the server got %s %s ? %s body %q; want %s %s ? %s body %q", got.Method, got.Path, got.Query.Encode(), got.Body, want.method, want.path, want.query, want.body)
	}
	for k, v := range want.header {
		if got.Header.Get(k) != v {
			t.Fatalf("header %s: %q, want %q", k, got.Header.Get(k), v)
		}
	}
}

func TestNewCmdFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want Options // flags and PATH; Color
		err  string
	}{
		{name: "PATH alone", args: []string{"rest/api/3/myself"}, want: Options{Path: "rest/api/3/myself", Product: "jira", Color: true}},
		{name: "NO_COLOR", args: []string{"p"}, env: map[string]string{"NO_COLOR": "1"}, want: Options{Path: "p", Product: "jira"}},
		{name: "short flags", args: []string{"-X", "PATCH", "-H", "A: b", "-H", "C: d", "-f", "a=1", "-f", "a=2", "-F", "b=2", "-i", "-q", ".x", "p"},
			want: Options{Method: "PATCH", Headers: []string{"A: b", "C: d"}, Fields: []string{"a=1", "a=2"}, TypedFields: []string{"b=2"}, Include: true, JQ: ".x", Path: "p", Product: "jira", Color: true}},
		{name: "long flags", args: []string{"--method", "post", "--header", "A: b", "--raw-field", "k=v,w", "--field", "n=1", "--input", "-", "--include", "--silent",
			"--jq", ".[]", "--paginate", "--slurp", "--product", "confluence", "--site", "beta", "wiki/api/v2/spaces"},
			want: Options{Method: "post", Headers: []string{"A: b"}, Fields: []string{"k=v,w"}, TypedFields: []string{"n=1"}, Input: "-", Include: true, Silent: true,
				JQ: ".[]", Paginate: true, Slurp: true, Product: "confluence", Site: "beta", Path: "wiki/api/v2/spaces", Color: true}},
		{name: "no PATH", args: nil, err: "atl api takes one PATH (e.g. rest/api/3/myself); see `atl api --help`"},
		{name: "two PATHs", args: []string{"a", "b"}, err: "atl api takes one PATH (e.g. rest/api/3/myself); see `atl api --help`"},
		{name: "an unknown flag", args: []string{"--nope", "p"}, err: "unknown flag: --nope"},
		{name: "a flag without its value", args: []string{"p", "--jq"}, err: "flag needs an argument: --jq"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			for k, v := range tc.env {
				e.Vars[k] = v
			}
			got, err := clitest.Parse(e, NewCmd, tc.args...)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err || got != nil {
					t.Fatalf("err %v, ran %v; want %q", err, got != nil, tc.err)
				}
				return
			}
			if err != nil || got == nil {
				t.Fatalf("err %v, ran %v", err, got != nil)
			}
			if got.IO != e.F.IO || got.Session == nil || got.Now == nil || got.Wait == nil {
				t.Fatalf("dependencies: IO %p (want %p), Session %v, Now %v, Wait %v", got.IO, e.F.IO, got.Session != nil, got.Now != nil, got.Wait != nil)
			}
			flags := *got
			flags.IO, flags.Session, flags.Now, flags.Wait = nil, nil, nil, nil
			if !reflect.DeepEqual(flags, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", flags, tc.want)
			}
		})
	}
	// The completions of --product.
	cmd := NewCmd(clitest.New(t).F, nil)
	complete, ok := cmd.GetFlagCompletionFunc("product")
	if !ok {
		t.Fatal("no completion for --product")
	}
	if got, dir := complete(cmd, nil, ""); !reflect.DeepEqual(got, []string{"jira", "confluence"}) || dir != cobra.ShellCompDirectiveNoFileComp {
		t.Fatalf("--product completes %v, %v", got, dir)
	}
}
