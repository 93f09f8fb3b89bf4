package main

import (
	"net/http"
	"runtime/debug"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/internal/httpdebug"
	"github.com/spf13/cobra"
)

// globalOptions are the flags every command has.
type globalOptions struct {
	Profile string
	Debug   bool
}

func newRootCmd(f *factory, g *globalOptions) *cobra.Command {
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
		Version:       version(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if g.Debug || f.Getenv("ATL_DEBUG") == "1" {
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
		return &usageError{err: err}
	})
	root.CompletionOptions.HiddenDefaultCmd = false

	defProfile := f.Getenv("ATL_PROFILE")
	if defProfile == "" {
		defProfile = auth.DefaultProfile
	}
	root.PersistentFlags().BoolVar(&g.Debug, "debug", false, "trace HTTP requests on stderr, secrets redacted (env ATL_DEBUG=1)")
	root.PersistentFlags().StringVar(&g.Profile, "profile", defProfile, "name of the stored login to use (env ATL_PROFILE)")
	_ = root.RegisterFlagCompletionFunc("profile", completeProfiles(f))

	root.AddCommand(
		newLoginCmd(f, g),
		newWhoamiCmd(f, g),
		newTokenCmd(f, g),
		newLogoutCmd(f, g),
		newSitesCmd(f, g),
		newAPICmd(f, g),
		newConfigCmd(f, g),
		newDoctorCmd(f, g),
	)
	return root
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unexpected argument %q for %q; see `%s --help`", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

// helpEnv is the environment section shared by the commands' help.
const helpEnv = `
Environment:
  ATL_CLIENT_ID      the OAuth app's client id (developer console)
  ATL_CLIENT_SECRET  the app's secret, if it has one (read at login, then kept in the keychain)
  ATL_CALLBACK_URL   the app's registered callback URL (default ` + auth.DefaultCallbackURL + `)
  ATL_AUTH_URL       authorization server (default ` + auth.DefaultAuthURL + `)
  ATL_API_URL        API server (default ` + auth.DefaultAPIURL + `)
  ATL_CONFIG_DIR     where metadata lives (default: the OS config dir + /atl)
  ATL_PROFILE        the stored login to use (default "default")
  ATL_SITE           the site to use for one call (as --site): name, URL or cloud id
  ATL_TOKEN          an access token to use instead of the stored login (CI)
  ATL_DEBUG=1        trace HTTP on stderr with secrets redacted (as --debug)
  ATL_BROWSER, BROWSER  command to open the browser; the URL is its last argument
  HTTPS_PROXY, NO_PROXY  a proxy for the requests to Atlassian`

// version is the module version atl was built from ("(devel)" for a build
// from a checkout), with the VCS revision when known.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
