//go:build atl_gendocs

package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// docsCommands returns the hidden `atl __gen-docs` command. It exists only
// in a build with -tags atl_gendocs, which the release build runs (go run,
// see .goreleaser.yaml) to write the man pages and the shell completions:
// the atl that ships carries neither the command nor cobra/doc.
func docsCommands() []*cobra.Command {
	var date, ver string
	cmd := &cobra.Command{
		Use:    "__gen-docs DIR",
		Short:  "Write DIR/manpages (gzipped, one per command) and DIR/completions",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := time.Parse(time.RFC3339, date)
			if err != nil {
				return cli.UsageErrorf("--date: want an RFC 3339 time such as 2026-12-01T10:00:00Z, got %q", date)
			}
			return writeDocs(args[0], t.UTC(), ver)
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "the date the man pages show (the commit's, so that the build is reproducible), RFC 3339")
	cmd.Flags().StringVar(&ver, "version", "dev", "the version the man pages show")
	_ = cmd.MarkFlagRequired("date")
	return []*cobra.Command{cmd}
}

// docsRoot is atl's command tree as a new user sees it: built with an empty
// environment, so no default comes from the environment of whoever builds.
func docsRoot() *cobra.Command {
	f := &cli.Factory{
		IO:         &cli.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard},
		Getenv:     func(string) string { return "" },
		HTTPClient: &http.Client{},
	}
	root := newRootCmd(f)
	root.InitDefaultCompletionCmd() // cobra adds `completion` only when it runs
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Long = manMarkdown(c.Long)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return root
}

// manMarkdown turns a command's help text, laid out for a terminal, into
// the markdown the man page is made from: prose lines still flow into
// paragraphs, but an indented block (a list of variables, commands to type)
// keeps its lines, and the line that introduces it ("Environment:") stands
// on a line of its own.
func manMarkdown(text string) string {
	lines := strings.Split(text, "\n")
	indented := func(i int) bool { return i >= 0 && i < len(lines) && strings.HasPrefix(lines[i], "  ") }
	blank := func(i int) bool { return i < 0 || strings.TrimSpace(lines[i]) == "" }
	var out []string
	for i, l := range lines {
		switch {
		case indented(i):
			if !indented(i-1) && !blank(i-1) {
				out = append(out, "")
			}
			out = append(out, "    "+l) // a code block: lines kept as they are
		case !blank(i) && (indented(i-1) || indented(i+1) && !blank(i-1)):
			out = append(out, "", l)
		default:
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// writeDocs writes dir/manpages/atl.1.gz, atl-login.1.gz, … (one page per
// command) and dir/completions/atl.bash, _atl (zsh), atl.fish and atl.ps1,
// replacing what those two directories held. Same input, same bytes.
func writeDocs(dir string, date time.Time, ver string) error {
	manDir, compDir := filepath.Join(dir, "manpages"), filepath.Join(dir, "completions")
	for _, d := range []string{manDir, compDir} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	root := docsRoot()
	if err := writeManPages(root, manDir, doc.GenManHeader{Date: &date, Source: "atl " + ver, Manual: "atl manual"}); err != nil {
		return err
	}
	completions := []struct {
		name string
		gen  func(io.Writer) error
	}{
		{"atl.bash", func(w io.Writer) error { return root.GenBashCompletionV2(w, true) }},
		{"_atl", root.GenZshCompletion},
		{"atl.fish", func(w io.Writer) error { return root.GenFishCompletion(w, true) }},
		{"atl.ps1", root.GenPowerShellCompletionWithDesc},
	}
	for _, c := range completions {
		var buf bytes.Buffer
		if err := c.gen(&buf); err != nil {
			return fmt.Errorf("%s completion: %w", c.name, err)
		}
		if err := os.WriteFile(filepath.Join(compDir, c.name), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeManPages writes the gzipped man page of cmd and of each command
// under it that help lists, named by the command path: atl-config-get.1.gz.
func writeManPages(cmd *cobra.Command, dir string, header doc.GenManHeader) error {
	for _, c := range cmd.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := writeManPages(c, dir, header); err != nil {
			return err
		}
	}
	cmd.DisableAutoGenTag = true // no generation time in the page
	var page bytes.Buffer
	if err := doc.GenMan(cmd, &header, &page); err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression) // no name, no time: as gzip -9n
	if err != nil {
		return err
	}
	if _, err := zw.Write(page.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	name := strings.ReplaceAll(cmd.CommandPath(), " ", "-") + ".1.gz"
	return os.WriteFile(filepath.Join(dir, name), gz.Bytes(), 0o644)
}
