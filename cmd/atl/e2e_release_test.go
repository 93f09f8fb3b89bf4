package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/spf13/cobra"
)

// The release build (.goreleaser.yaml) stamps the version with -ldflags -X
// and runs `go run -tags atl_gendocs ./cmd/atl __gen-docs`; these tests
// build atl the same ways.

// buildAtl builds ./cmd/atl with extra go build flags into a temp dir.
func buildAtl(t *testing.T, flags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "atl")
	args := append([]string{"build", "-o", bin}, flags...)
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", flags, err, out)
	}
	return bin
}

func TestVersionStampedAtLinkTime(t *testing.T) {
	bin := buildAtl(t, "-ldflags", "-X main.buildVersion=1.4.0"+
		" -X main.buildCommit=1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"+
		" -X main.buildDate=2026-12-01T10:00:00Z")
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "atl 1.4.0 (commit 1a2b3c4, 2026-12-01)\n"; string(out) != want {
		t.Fatalf("atl --version = %q, want %q", out, want)
	}
}

func TestGenDocs(t *testing.T) {
	bin := buildAtl(t, "-tags", "atl_gendocs")
	gen := func(dir string) {
		t.Helper()
		cmd := exec.Command(bin, "__gen-docs", "--date", "2026-12-01T23:30:00-02:00", "--version", "1.4.0", dir)
		// The builder's environment must not leak into the pages.
		cmd.Env = append(os.Environ(), "ATL_PROFILE=builders-own-profile")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("__gen-docs: %v\n%s", err, out)
		}
	}
	a, b := t.TempDir(), t.TempDir()
	// What an earlier run left (a command since removed) goes.
	if err := os.MkdirAll(filepath.Join(b, "manpages"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b, "manpages", "atl-gone.1.gz"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	gen(a)
	gen(b)

	// One page per command that help lists, and nothing else.
	f, _, _, _ := clitest.NewFactory(t, nil)
	root := newRootCmd(f)
	root.InitDefaultCompletionCmd()
	var want []string
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		want = append(want, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1.gz")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() && !sub.IsAdditionalHelpTopicCommand() {
				walk(sub)
			}
		}
	}
	walk(root)
	slices.Sort(want)
	for _, must := range []string{"atl.1.gz", "atl-login.1.gz", "atl-config-set.1.gz", "atl-completion-bash.1.gz"} {
		if !slices.Contains(want, must) {
			t.Fatalf("the command tree has no %s: %v", must, want)
		}
	}
	for _, dir := range []string{a, b} {
		if got := fileNames(t, filepath.Join(dir, "manpages")); !slices.Equal(got, want) {
			t.Errorf("man pages in %s:\n got %v\nwant %v", dir, got, want)
		}
		if got, want := fileNames(t, filepath.Join(dir, "completions")), []string{"_atl", "atl.bash", "atl.fish", "atl.ps1"}; !slices.Equal(got, want) {
			t.Errorf("completions: got %v, want %v", got, want)
		}
	}

	// The same input gives the same bytes (a reproducible release).
	for _, sub := range []string{"manpages", "completions"} {
		for _, name := range fileNames(t, filepath.Join(a, sub)) {
			if !bytes.Equal(readFile(t, filepath.Join(a, sub, name)), readFile(t, filepath.Join(b, sub, name))) {
				t.Errorf("%s/%s differs between two runs", sub, name)
			}
		}
	}

	raw := readFile(t, filepath.Join(a, "manpages", "atl-login.1.gz"))
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header names %q, time %v: want neither (gzip -n)", zr.Name, zr.ModTime)
	}
	page, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	// The date is the one given, in UTC; no time of the build.
	if want := ".TH \"ATL-LOGIN\" \"1\" \"Dec 2026\" \"atl 1.4.0\" \"atl manual\"\n"; !bytes.Contains(page, []byte(want)) {
		t.Errorf("atl-login(1) has no header %q:\n%s", want, page)
	}
	for _, want := range []string{"atl login [flags]", `\fB--profile\fP="default"`, "ATL_CLIENT_ID", `\fBatl(1)\fP`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("atl-login(1) does not mention %q", want)
		}
	}
	if bytes.Contains(page, []byte("builders-own-profile")) || bytes.Contains(page, []byte("Auto generated")) {
		t.Errorf("atl-login(1) shows the builder's environment or a generation stamp:\n%s", page)
	}
	if bash := readFile(t, filepath.Join(a, "completions", "atl.bash")); !bytes.Contains(bash, []byte("complete -o default -F __start_atl atl")) {
		t.Errorf("atl.bash registers no completion for atl:\n%s", bash)
	}

	out, err := exec.Command(bin, "__gen-docs", "--date", "December", a).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "RFC 3339") {
		t.Errorf("a date that is not RFC 3339: %v, %s", err, out)
	}
}

func fileNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
