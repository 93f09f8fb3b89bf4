package cli

import (
	"github.com/atl-cli/atl/auth"
	"github.com/spf13/cobra"
)

// NoArgs rejects positional arguments as a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return UsageErrorf("unexpected argument %q for %q; see `%s --help`", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

// HelpEnv is the environment section shared by the commands' help.
const HelpEnv = `
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
  ATL_GRANT          client_credentials: a service account's ATL_CLIENT_ID and ATL_CLIENT_SECRET
                     instead of the stored login, nothing stored (CI)
  ATL_DEBUG=1        trace HTTP on stderr with secrets redacted (as --debug)
  ATL_BROWSER, BROWSER  command to open the browser; the URL is its last argument
  HTTPS_PROXY, NO_PROXY  a proxy for the requests to Atlassian`

// ExactArgs accepts n positional arguments, else it is a usage error
// naming usage.
func ExactArgs(n int, usage string) cobra.PositionalArgs { return RangeArgs(n, n, usage) }

// RangeArgs accepts min to max positional arguments, else it is a usage
// error naming usage.
func RangeArgs(min, max int, usage string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return UsageErrorf("usage: %s", usage)
		}
		return nil
	}
}
