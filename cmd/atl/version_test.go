package main

import (
	"runtime/debug"
	"testing"
	"time"
)

func TestDescribeBuild(t *testing.T) {
	const rev = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "-trimpath", Value: "true"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: "2026-12-01T23:30:00-02:00"}, // 2026-12-02 in UTC
			{Key: "vcs.modified", Value: modified},
		}
	}
	info := func(v string, settings []debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/atl-cli/atl", Version: v}, Settings: settings}
	}
	var stamp0 buildStamp // nothing stamped at link time
	release := buildStamp{Version: "1.4.0", Commit: rev, Date: "2026-12-01T10:00:00Z"}
	for _, tc := range []struct {
		name  string
		stamp buildStamp
		bi    *debug.BuildInfo
		want  string
	}{
		{"release build (ldflags)", release, info("(devel)", nil), "1.4.0 (commit 1a2b3c4, 2026-12-01)"},
		{"release build, build info of a checkout too", release, info("v0.0.0-20261201100000-1a2b3c4d5e6f", vcs("false")), "1.4.0 (commit 1a2b3c4, 2026-12-01)"},
		{"snapshot build of a modified checkout", buildStamp{Version: "0.0.1-snapshot", Commit: rev, Date: "2026-12-01T10:00:00Z"}, info("(devel)", vcs("true")), "0.0.1-snapshot (commit 1a2b3c4, 2026-12-01, modified)"},
		{"ldflags without a date", buildStamp{Version: "1.4.0", Commit: "abc"}, nil, "1.4.0 (commit abc)"},
		{"ldflags with an odd date", buildStamp{Version: "1.4.0", Date: "yesterday"}, nil, "1.4.0 (yesterday)"},

		{"go install @v1.4.0", stamp0, info("v1.4.0", nil), "1.4.0"},
		{"go install @v2.0.0-rc.1", stamp0, info("v2.0.0-rc.1", nil), "2.0.0-rc.1"},
		{"go install @commit (pseudo-version)", stamp0, info("v0.0.0-20261201101112-1a2b3c4d5e6f", nil), "0.0.0-20261201101112-1a2b3c4d5e6f (commit 1a2b3c4, 2026-12-01)"},
		{"go install @commit after v1.4.0", stamp0, info("v1.4.1-0.20261201101112-1a2b3c4d5e6f", nil), "1.4.1-0.20261201101112-1a2b3c4d5e6f (commit 1a2b3c4, 2026-12-01)"},

		{"checkout on a clean tag", stamp0, info("v1.4.0", vcs("false")), "1.4.0 (commit 1a2b3c4, 2026-12-02)"},
		{"checkout on a tag, modified", stamp0, info("v1.4.0+dirty", vcs("true")), "dev (commit 1a2b3c4, 2026-12-02, modified)"},
		{"checkout past a tag", stamp0, info("v1.4.1-0.20261202013000-1a2b3c4d5e6f", vcs("false")), "dev (commit 1a2b3c4, 2026-12-02)"},
		{"checkout with no tag, modified", stamp0, info("v0.0.0-20261202013000-1a2b3c4d5e6f+dirty", vcs("true")), "dev (commit 1a2b3c4, 2026-12-02, modified)"},
		{"checkout, older go: (devel) with vcs", stamp0, info("(devel)", vcs("false")), "dev (commit 1a2b3c4, 2026-12-02)"},

		{"-buildvcs=false", stamp0, info("(devel)", []debug.BuildSetting{{Key: "-trimpath", Value: "true"}}), "dev"},
		{"empty build info", stamp0, info("", nil), "dev"},
		{"no build info", stamp0, nil, "dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := describeBuild(tc.stamp, tc.bi); got != tc.want {
				t.Errorf("describeBuild = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPseudoVersion(t *testing.T) {
	stamp := time.Date(2026, 12, 1, 19, 52, 17, 0, time.UTC)
	for v, want := range map[string]bool{
		"v0.0.0-20261201195217-6fc2c480f3ee":              true,
		"v1.2.4-0.20261201195217-6fc2c480f3ee":            true,
		"v1.2.3-pre.0.20261201195217-6fc2c480f3ee":        true,
		"v0.0.0-20261201195217-6fc2c480f3ee+dirty":        true,
		"v2.0.0-20261201195217-6fc2c480f3ee+incompatible": true,
		"v1.4.0":                               false,
		"v1.4.0-rc.1":                          false,
		"(devel)":                              false,
		"v1.2.3-20261201195217-6fc2c480f3ee":   false, // a time needs vX.0.0 or a 0 before it
		"v1.2.4-1.20261201195217-6fc2c480f3ee": false,
		"v0.0.0-20261301195217-6fc2c480f3ee":   false, // month 13
		"v0.0.0-2026120119521-6fc2c480f3ee":    false,
		"v0.0.0-20261201195217-6FC2C480F3EE":   false,
		"v0.0.0-20261201195217-6fc2c48":        false,
		"0.0.0-20261201195217-6fc2c480f3ee":    false,
		"v0.0.0-20261201195217-":               false,
		"-20261201195217-6fc2c480f3ee":         false,
	} {
		rev, at, ok := pseudoVersion(v)
		if ok != want || (ok && (rev != "6fc2c480f3ee" || !at.Equal(stamp))) {
			t.Errorf("pseudoVersion(%q) = %q, %v, %v; want %v", v, rev, at, ok, want)
		}
	}
}
