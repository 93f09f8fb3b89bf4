package main

import (
	"cmp"
	"runtime/debug"
	"strings"
	"time"
)

// The release build stamps these at link time (see .goreleaser.yaml):
//
//	-X main.buildVersion=1.4.0 -X main.buildCommit=<hash> -X main.buildDate=<RFC 3339>
//
// The linker can set nothing but package-level string variables, which is
// why these three are the exception to "no globals"; only version reads them.
var (
	buildVersion string
	buildCommit  string
	buildDate    string
)

// buildStamp is what the linker stamped into the binary, if anything.
type buildStamp struct {
	Version string // "1.4.0"
	Commit  string // the full commit hash
	Date    string // the commit's time, RFC 3339
}

// version says which atl this is, for --version:
// "1.4.0 (commit 1a2b3c4, 2026-12-01)".
func version() string {
	bi, _ := debug.ReadBuildInfo()
	return describeBuild(buildStamp{Version: buildVersion, Commit: buildCommit, Date: buildDate}, bi)
}

// describeBuild names the version, the commit and the commit's date of a
// build, from what the linker stamped or else from the build info the go
// command records:
//
//   - a release build: the stamped version, commit and date;
//   - `go install …@v1.4.0`: the module version (and, for a pseudo-version,
//     the commit and time it names);
//   - a build in a checkout: "dev" (or the tag it sits on, if clean) with
//     vcs.revision and vcs.time, and "modified" for uncommitted changes;
//   - nothing known: "dev".
func describeBuild(s buildStamp, bi *debug.BuildInfo) string {
	var mod string
	vcs := map[string]string{}
	if bi != nil {
		mod = bi.Main.Version
		for _, kv := range bi.Settings {
			vcs[kv.Key] = kv.Value
		}
	}
	commit, date := vcs["vcs.revision"], vcs["vcs.time"]
	local := commit != "" // built in a checkout, not from the module cache
	if rev, t, ok := pseudoVersion(mod); !local && ok {
		commit, date = rev, t.Format(time.RFC3339)
	}

	v := s.Version
	if v == "" {
		v = moduleVersion(mod, local)
	}
	var details []string
	if c := cmp.Or(s.Commit, commit); c != "" {
		details = append(details, "commit "+shortCommit(c))
	}
	if d := cmp.Or(s.Date, date); d != "" {
		details = append(details, dateOf(d))
	}
	if vcs["vcs.modified"] == "true" {
		details = append(details, "modified")
	}
	if len(details) == 0 {
		return v
	}
	return v + " (" + strings.Join(details, ", ") + ")"
}

// moduleVersion is the version to show for the main module's version mod:
// a release's without its "v", or "dev" for a build that is not one
// ("(devel)", or a checkout's pseudo-version or +dirty).
func moduleVersion(mod string, local bool) string {
	if mod == "" || mod == "(devel)" {
		return "dev"
	}
	if _, _, pseudo := pseudoVersion(mod); local && (pseudo || strings.Contains(mod, "+")) {
		return "dev"
	}
	return strings.TrimPrefix(mod, "v")
}

// shortCommit abbreviates a commit hash as git does by default.
func shortCommit(c string) string {
	if len(c) > 7 {
		return c[:7]
	}
	return c
}

// dateOf is the date (UTC) of an RFC 3339 time, or the text as it is.
func dateOf(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(time.DateOnly)
}

// pseudoVersion reads a Go pseudo-version (vX.0.0-TIME-REV,
// vX.Y.Z-pre.0.TIME-REV or vX.Y.(Z+1)-0.TIME-REV, TIME being
// yyyymmddhhmmss in UTC and REV the commit's first 12 hex digits, with an
// optional +build suffix) and returns its commit and time. Written out
// rather than with golang.org/x/mod, which would add 2 MB to the binary,
// or a regular expression, which version's every start-up would compile.
func pseudoVersion(v string) (rev string, t time.Time, ok bool) {
	v, _, _ = strings.Cut(v, "+")
	i := strings.LastIndexByte(v, '-')
	if !strings.HasPrefix(v, "v") || i < 0 || !isHex(v[i+1:]) || len(v[i+1:]) < 12 {
		return "", time.Time{}, false
	}
	rev, head := v[i+1:], v[:i]
	if len(head) < 15 {
		return "", time.Time{}, false
	}
	stamp, sep := head[len(head)-14:], head[len(head)-15]
	t, err := time.Parse("20060102150405", stamp)
	if err != nil || (sep != '-' && sep != '.') {
		return "", time.Time{}, false
	}
	base := head[:len(head)-15]
	if sep == '.' {
		// "-0.TIME" or "-pre.0.TIME": a 0 component before the time.
		if !strings.HasSuffix(base, "0") || len(base) < 2 || (base[len(base)-2] != '-' && base[len(base)-2] != '.') {
			return "", time.Time{}, false
		}
	} else if !strings.HasSuffix(base, ".0.0") {
		return "", time.Time{}, false // vX.0.0-TIME-REV
	}
	return rev, t, true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return s != ""
}
