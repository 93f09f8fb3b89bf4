//go:build !windows

package main

import (
	"strings"
	"testing"
	"unicode"

	"github.com/atl-cli/atl/auth/authtest"
)

// nasty is server text a terminal may act on or that hides what follows:
// C1 controls (U+009B is CSI on VTE and screen, U+0085 NEL), a bidi
// override and isolates, marks, zero-width characters, a tag character.
const nasty = "Ship \u009b2J\u202egnp.exe \u2066x\u2069 \u200e\u200f\ufeff\u061c\u0085\u200b \U000e0041 end"

// colours are the escape sequences atl itself writes on a terminal.
var colours = strings.NewReplacer("\x1b[1;30m", "", "\x1b[0;39m", "", "\x1b[0;32m", "", "\x1b[34;1m", "", "\x1b[1;39m", "", "\x1b[0m", "")

// rawInvisible returns the first control or format character on screen
// (other than line ends and tabs, and atl's own colours), if any.
func rawInvisible(screen string) (rune, bool) {
	for _, r := range colours.Replace(screen) {
		if r != '\r' && r != '\n' && r != '\t' && unicode.In(r, unicode.Cc, unicode.Cf) {
			return r, true
		}
	}
	return 0, false
}

func TestE2EAPIOnATerminalEscapesControlAndFormatCharacters(t *testing.T) {
	e := newAPIE2E(t, authtest.Options{})
	summary := `{"key":"P1-1","fields":{"summary":"` + nasty + `","escaped":"\u009b\u202e"}}`
	for _, tc := range []struct {
		name  string
		fault authtest.Fault
		args  []string
		code  int
		want  []string // on the screen
	}{
		{"a JSON body", authtest.Fault{Status: 200, Body: summary}, nil, 0,
			[]string{`\u009b2J\u202egnp.exe \u2066x\u2069 \u200e\u200f\ufeff\u061c\u0085\u200b \udb40\udc41 end`, `"escaped": "\u009b\u202e"`}},
		{"a JSON error body", authtest.Fault{Status: 400, Body: `{"errorMessages":["` + nasty + `"]}`}, nil, 1,
			[]string{`"Ship \u009b2J\u202egnp.exe`, "atl: GET /ex/jira/" + authtest.DefaultSiteID + "/rest/api/3/issue/P1-1: HTTP 400 Bad Request\r\n"}},
		{"a JSON key", authtest.Fault{Status: 200, Body: `{"` + nasty + `":1}`}, nil, 0, []string{`"Ship \u009b2J`}},
		{"--jq strings", authtest.Fault{Status: 200, Body: summary}, []string{"--jq", ".fields.summary, .fields.escaped"}, 0, []string{"Ship gnp.exe x   end\r\n"}},
		{"--jq JSON", authtest.Fault{Status: 200, Body: summary}, []string{"--jq", ".fields"}, 0, []string{`"summary":"Ship \u009b2J\u202egnp.exe`, `"escaped":"\u009b\u202e"`}},
		{"-i headers", authtest.Fault{Status: 200, Body: `{}`, Header: map[string]string{"X-Note": nasty}}, []string{"-i"}, 0, []string{"X-Note: Ship gnp.exe x   end\r\n"}},
		{"a text body", authtest.Fault{Status: 200, Body: nasty + "\n\x1b]0;title\x07line 2", ContentType: "text/plain"}, nil, 0, []string{"Ship gnp.exe x   end\r\nline 2"}},
		{"a text error body", authtest.Fault{Status: 502, Body: "<html>" + nasty + "</html>", ContentType: "text/html"}, nil, 1, []string{"<html>Ship gnp.exe x   end</html>\r\natl: GET"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, noColor := range []string{"", "1"} {
				e.env["NO_COLOR"] = noColor
				e.srv.InjectAPIFaults(tc.fault)
				term := e.onTerminal(append([]string{"api", "rest/api/3/issue/P1-1"}, tc.args...)...)
				code := term.wait()
				screen := term.screen.String()
				if code != tc.code {
					t.Fatalf("exit %d, want %d: %q", code, tc.code, screen)
				}
				if r, ok := rawInvisible(screen); ok {
					t.Fatalf("NO_COLOR=%q: %U reached the terminal: %q", noColor, r, screen)
				}
				for _, w := range tc.want {
					if !strings.Contains(colours.Replace(screen), w) {
						t.Fatalf("NO_COLOR=%q: the screen lacks %q: %q", noColor, w, screen)
					}
				}
			}
		})
	}
	delete(e.env, "NO_COLOR")

	// The error line on stderr: a path from a next link, cleaned.
	next := e.srv.URL() + "/ex/jira/" + authtest.DefaultSiteID + "/rest/api/3/issue/\u202eevil\u009b2J"
	e.srv.InjectAPIFaults(authtest.Fault{Status: 200, Body: `{"_links":{"next":"` + next + `"}}`}, authtest.Fault{Status: 404, Body: `{}`})
	e.srv.ResetCounts()
	term := e.onTerminal("api", "--paginate", "rest/api/3/issue/P1-1")
	if code := term.wait(); code != 1 || !strings.Contains(term.screen.String(), "/rest/api/3/issue/evil: HTTP 404 Not Found\r\n") || e.srv.Count("issue") != 2 {
		t.Fatalf("exit %d: %q", code, term.screen.String())
	}
	if r, ok := rawInvisible(term.screen.String()); ok {
		t.Fatalf("%U reached the terminal: %q", r, term.screen.String())
	}

	// Off a terminal the body is as it came, byte for byte, and so are
	// --jq's strings.
	for _, body := range []string{summary, nasty + "\x1b]0;title\x07"} {
		e.srv.InjectAPIFaults(authtest.Fault{Status: 200, Body: body})
		if out, errOut, code := e.run("api", "rest/api/3/issue/P1-1"); code != 0 || out != body {
			t.Fatalf("piped: exit %d, %q, want %q: %s", code, out, body, errOut)
		}
	}
	e.srv.InjectAPIFaults(authtest.Fault{Status: 200, Body: summary})
	if out, _, _ := e.run("api", "rest/api/3/issue/P1-1", "--jq", ".fields.summary"); out != nasty+"\n" {
		t.Fatalf("piped --jq: %q", out)
	}
}
