package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// revokeURL is where a user removes an app's access to their account.
const revokeURL = "https://id.atlassian.com/manage-profile/apps"

type logoutOptions struct {
	f *factory
	g *globalOptions
}

func newLogoutCmd(f *factory, g *globalOptions) *cobra.Command {
	opts := &logoutOptions{f: f, g: g}
	return &cobra.Command{
		Use:   "logout",
		Short: "Remove the stored login from this machine",
		Long: `Remove the stored tokens (keychain or file) and metadata of the login.

This forgets the login on this machine only. To revoke the app's access to
your account everywhere, remove it at ` + revokeURL + `.`,
		Example: `  atl logout`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogout(cmd.Context(), opts)
		},
	}
}

func runLogout(ctx context.Context, opts *logoutOptions) error {
	s, err := opts.f.session(opts.g.Profile)
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
