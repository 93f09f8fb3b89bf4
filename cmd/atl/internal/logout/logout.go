package logout

import (
	"context"
	"fmt"

	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/spf13/cobra"
)

// revokeURL is where a user removes an app's access to their account.
const revokeURL = "https://id.atlassian.com/manage-profile/apps"

type logoutOptions struct {
	f   *cli.Factory
	All bool
}

func NewCmd(f *cli.Factory) *cobra.Command {
	opts := &logoutOptions{f: f}
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
			if opts.All {
				return runLogoutAll(cmd.Context(), opts)
			}
			return runLogout(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "remove every stored login")
	return cmd
}

// runLogoutAll removes every stored login, going on past one that fails.
func runLogoutAll(ctx context.Context, opts *logoutOptions) error {
	names, err := opts.f.Profiles(opts.f.Options(""))
	if err != nil {
		return err
	}
	w := opts.f.IO.ErrOut
	var first error
	removed := 0
	for _, name := range names {
		s, err := opts.f.SessionFor(name)
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

func runLogout(ctx context.Context, opts *logoutOptions) error {
	s, err := opts.f.Session()
	if err != nil {
		return err
	}
	removed, err := s.Logout(ctx)
	if err != nil {
		return err
	}
	w := opts.f.IO.ErrOut
	if !removed {
		fmt.Fprintf(w, "Not logged in (profile %q); nothing to remove.\n", s.Profile())
		return nil
	}
	fmt.Fprintf(w, "Logged out: removed the stored tokens and metadata of profile %q.\nTo revoke atl's access to your account, remove the app at %s\n", s.Profile(), revokeURL)
	return nil
}
