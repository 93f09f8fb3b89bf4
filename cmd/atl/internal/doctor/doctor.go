// Package doctor is `atl doctor`: it checks, one by one, what atl needs
// to sign in and serve tokens here, and says how to fix what it cannot.
package doctor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/store"
	"github.com/spf13/cobra"
)

// Options are what `atl doctor` runs with: its dependencies, then its
// flag.
type Options struct {
	IO      *cli.IOStreams
	Session func(mods ...func(*auth.Options)) (*auth.Session, error)
	// AuthOptions are the session options of the environment and
	// --profile: what a new login would use.
	AuthOptions func() auth.Options
	Store       func() (*store.Store, error)
	// HTTPClient is the client that reaches the servers; a function, as
	// --debug replaces the factory's once the command is built.
	HTTPClient func() *http.Client
	Now        func() time.Time
	// LocalTime is a time in the zone times are shown in.
	LocalTime func(time.Time) time.Time

	JSON bool
}

// NewCmd returns `atl doctor`. runF, when set, runs in place of the
// command (a test of its flags).
func NewCmd(f *cli.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{
		IO:          f.IO,
		Session:     f.Session,
		AuthOptions: func() auth.Options { return f.Options(f.Profile) },
		Store:       f.Store,
		HTTPClient:  func() *http.Client { return f.HTTPClient },
		Now:         f.Now,
		LocalTime:   f.LocalTime,
	}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that atl can sign in and serve tokens here, and say how to fix what cannot",
		Long: `Check, one by one, what atl needs: a client id, a usable callback URL with its
port free, the keychain, the config directory's ownership and permissions,
Atlassian's servers (DNS, TLS, proxy), the clock, and the stored login, with
when it ends. Each failed check says how to fix it. Exit code 0 only when every
check passes. A token cache that cannot be written (Linux: the kernel keyring
full, or keyctl refused) is a warning: atl works without it, reading the
keychain each time. So is a login that ends within two weeks (Atlassian ends a
login 365 days after consent, or after 90 days unused).`,
		Example: `  atl doctor
  atl doctor --profile work --json`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the checks as JSON: check, ok, warn, detail, fix")
	return cmd
}

// check is one of doctor's checks: passed (OK), failed, or passed with a
// warning (OK and Warn: atl works, less well).
type check struct {
	Check  string `json:"check"`
	OK     bool   `json:"ok"`
	Warn   bool   `json:"warn,omitempty"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// pass is a check that passed; detail is kept on one line, free of
// control characters.
func pass(name, detail string) check {
	return check{Check: name, OK: true, Detail: cli.OneLine(detail)}
}

// fail is a check that failed, with its fix.
func fail(name, detail, fix string) check {
	return check{Check: name, Detail: cli.OneLine(detail), Fix: fix}
}

// warn is a check that passed with a warning, with its fix.
func warn(name, detail, fix string) check {
	return check{Check: name, OK: true, Warn: true, Detail: cli.OneLine(detail), Fix: fix}
}

// run runs every check and prints them, as text or JSON; when one failed,
// it says how many on stderr and exits 1.
func run(ctx context.Context, opts *Options) error {
	s, err := opts.Session()
	if err != nil {
		return err
	}
	checks := runChecks(ctx, opts, s)
	if opts.JSON {
		if err := cli.PrintJSON(opts.IO.Out, opts.IO.OutTerminal, checks); err != nil {
			return err
		}
	} else {
		printChecks(opts.IO.Out, checks)
	}
	failed := 0
	for _, c := range checks {
		if !c.OK {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "atl: %d of %d checks failed\n", failed, len(checks))
		return &cli.SilentError{Code: cli.ExitError}
	}
	return nil
}

// runChecks runs the checks, in the order they are shown: the settings a
// login would use (client id, callback URL), the config directory, the
// keychain, the token cache, the servers and the clock, and the login.
func runChecks(ctx context.Context, opts *Options, s *auth.Session) []check {
	var checks []check
	set, err := loginSettings(opts)
	if err != nil {
		checks = append(checks, fail("settings", err.Error(), "fix the variable named"))
	} else {
		checks = append(checks, clientIDCheck(set), callbackCheck(set))
	}
	st, err := opts.Store()
	checks = append(checks, configDirCheck(st, err))
	info, infoErr := s.Info(ctx)
	checks = append(checks, keychainCheck(st, infoErr == nil && info.InsecureStorage, infoErr == nil && info.Storage == ""))
	if st != nil {
		checks = append(checks, tokenCacheCheck(st))
	}
	if set != nil {
		checks = append(checks, serverChecks(ctx, opts, set)...)
	}
	return append(checks, loginCheck(ctx, opts, s, info, infoErr))
}

// printChecks writes each check on a line, marked ok, FAIL or warn, with
// its fix on the next.
func printChecks(out io.Writer, checks []check) {
	for _, c := range checks {
		mark := "ok  "
		switch {
		case !c.OK:
			mark = "FAIL"
		case c.Warn:
			mark = "warn"
		}
		fmt.Fprintf(out, "%s  %s: %s\n", mark, c.Check, c.Detail)
		if c.Fix != "" {
			fmt.Fprintf(out, "      fix: %s\n", c.Fix)
		}
	}
}
