package main

import (
	"fmt"
	"net/http"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/api"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/cmd/atl/internal/config"
	"github.com/atl-cli/atl/cmd/atl/internal/doctor"
	"github.com/atl-cli/atl/cmd/atl/internal/login"
	"github.com/atl-cli/atl/cmd/atl/internal/logout"
	"github.com/atl-cli/atl/cmd/atl/internal/proxy"
	"github.com/atl-cli/atl/cmd/atl/internal/sites"
	"github.com/atl-cli/atl/cmd/atl/internal/token"
	"github.com/atl-cli/atl/cmd/atl/internal/whoami"
	"github.com/atl-cli/atl/internal/httpdebug"
	"github.com/spf13/cobra"
)

// newRootCmd is atl's command tree: the global flags (--profile, into
// the factory every command shares, and --debug) and each command.
func newRootCmd(f *cli.Factory) *cobra.Command {
	debug, showVersion := false, false
	root := &cobra.Command{
		Use:   "atl",
		Short: "Sign in to Atlassian Cloud and serve access tokens to your scripts",
		Long: `atl signs you in to Atlassian Cloud with OAuth 2.0 (3LO) in your browser,
keeps the refresh token in your OS keychain, serves valid access tokens, and
calls Jira and Confluence for you:

  atl login
  atl api rest/api/3/myself
  curl -H "Authorization: Bearer $(atl token)" https://api.atlassian.com/...

Exit codes: 0 success, 1 error, 2 usage error, 4 not logged in (run atl login),
130 interrupted.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if showVersion {
				_, err := fmt.Fprintf(f.IO.Out, "atl %s\n", version())
				return err
			}
			return cmd.Help()
		},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if debug || f.Getenv("ATL_DEBUG") == "1" {
				f.HTTPClient = &http.Client{
					Timeout:   f.HTTPClient.Timeout,
					Transport: &httpdebug.Transport{Base: f.HTTPClient.Transport, Out: f.IO.ErrOut},
				}
			}
			return nil
		},
	}
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out) // --help output, asked for, goes to stdout
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &cli.UsageError{Err: err}
	})
	root.CompletionOptions.HiddenDefaultCmd = false
	// atl's own --version rather than cobra's: a version template would
	// link text/template and keep every method reflection could reach
	// (2 MB of binary).
	root.Flags().BoolVarP(&showVersion, "version", "v", false, "version for atl")

	defProfile := f.Getenv("ATL_PROFILE")
	if defProfile == "" {
		defProfile = auth.DefaultProfile
	}
	root.PersistentFlags().BoolVar(&debug, "debug", false, "trace HTTP requests on stderr, secrets redacted (env ATL_DEBUG=1)")
	root.PersistentFlags().StringVar(&f.Profile, "profile", defProfile, "name of the stored login to use (env ATL_PROFILE)")
	_ = root.RegisterFlagCompletionFunc("profile", cli.CompleteProfiles(f))

	root.AddCommand(
		login.NewCmd(f, nil),
		whoami.NewCmd(f, nil),
		token.NewCmd(f, nil),
		logout.NewCmd(f, nil),
		sites.NewCmd(f, nil),
		api.NewCmd(f, nil),
		proxy.NewCmd(f, nil),
		config.NewCmd(f, nil),
		doctor.NewCmd(f, nil),
	)
	root.AddCommand(docsCommands()...) // only in a build with -tags atl_gendocs
	return root
}
