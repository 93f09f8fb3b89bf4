// Package logout is `atl logout`: forget the stored login (or, with
// --all, every one) on this machine.
package logout

import (
	"context"
	"fmt"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/spf13/cobra"
)

// revokeURL is where a user removes an app's access to their account.
const revokeURL = "https://id.atlassian.com/manage-profile/apps"

// Options are what `atl logout` runs with: its dependencies, then its
// flags.
type Options struct {
	IO      *cli.IOStreams
	Session func(mods ...func(*auth.Options)) (*auth.Session, error)
	// SessionFor opens the login of another profile.
	SessionFor func(profile string, mods ...func(*auth.Options)) (*auth.Session, error)
	// Profiles lists the profiles with a stored login.
	Profiles func() ([]string, error)

	All bool
}

// NewCmd returns `atl logout`. runF, when set, runs in place of the
// command (a test of its flags).
func NewCmd(f *cli.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{
		IO:         f.IO,
		Session:    f.Session,
		SessionFor: f.SessionFor,
		Profiles:   func() ([]string, error) { return f.Profiles(f.Options("")) },
	}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Remove the stored login from this machine",
		Long: `Remove the stored tokens (keychain or file) and metadata of the login.

This forgets the login on this machine only. To revoke the app's access to
your account everywhere, remove it at ` + revokeURL + `.`,
		Example: `  atl logout
  atl logout --profile work
  atl logout --all`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "remove every stored login")
	return cmd
}

// run removes the profile's login, or with --all every one.
func run(ctx context.Context, opts *Options) error {
	if opts.All {
		return runAll(ctx, opts)
	}
	return runOne(ctx, opts)
}

// runOne removes the profile's login.
func runOne(ctx context.Context, opts *Options) error {
	s, err := opts.Session()
	if err != nil {
		return err
	}
	removed, err := s.Logout(ctx)
	if err != nil {
		return err
	}
	w := opts.IO.ErrOut
	if !removed {
		fmt.Fprintf(w, "Not logged in (profile %q); nothing to remove.\n", s.Profile())
		return nil
	}
	fmt.Fprintf(w, "Logged out: removed the stored tokens and metadata of profile %q.\nTo revoke atl's access to your account, remove the app at %s\n", s.Profile(), revokeURL)
	return nil
}

// runAll removes every stored login, going on past one that fails; the
// first failure is its error.
func runAll(ctx context.Context, opts *Options) error {
	names, err := opts.Profiles()
	if err != nil {
		return err
	}
	w := opts.IO.ErrOut
	var first error
	removed := 0
	for _, name := range names {
		s, err := opts.SessionFor(name)
		if err == nil {
			_, err = s.Logout(ctx)
		}
		if err != nil {
			fmt.Fprintf(w, "Could not remove profile %q: %s\n", name, cli.OneLine(err.Error()))
			if first == nil {
				first = fmt.Errorf("profile %q: %w", name, err)
			}
			continue
		}
		removed++
		fmt.Fprintf(w, "Removed profile %q.\n", name)
	}
	if removed == 0 && first == nil {
		fmt.Fprintln(w, "No stored logins; nothing to remove.")
		return nil
	}
	if removed > 0 {
		fmt.Fprintf(w, "To revoke atl's access to your account, remove the app at %s\n", revokeURL)
	}
	return first
}
