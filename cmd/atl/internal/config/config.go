// Package config is `atl config`: the defaults for new logins, in
// config.json, and an app's client secret, in the keychain.
package config

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/store"
	"github.com/spf13/cobra"
)

// settingKeys are the settings atl config manages, in config.json, for
// new logins; client-secret goes to the keychain.
var settingKeys = []string{"client-id", "callback-url", "scopes", "site", "client-secret"}

// Options are what the subcommands of `atl config` run with: their
// dependencies, then the flag of set and unset, then the positional
// arguments.
type Options struct {
	IO *cli.IOStreams
	// Settings opens the store and reads config.json.
	Settings func() (*store.Store, store.Settings, error)
	// Getenv reads the environment (ATL_CLIENT_ID).
	Getenv func(string) string
	// AuthServer is the auth server a new login would sign in at: a
	// client secret is kept for it.
	AuthServer func() string
	// LockWait bounds the wait for config.json's lock; 0 is the
	// store's default.
	LockWait time.Duration

	// ClientID is set's and unset's --client-id: the app a client
	// secret belongs to.
	ClientID string

	Key   string // get, set, unset: KEY
	Value string // set: VALUE
	// HasValue reports whether set was given a VALUE (client-secret
	// takes none: it is read from stdin).
	HasValue bool
}

// NewCmd returns `atl config` and its subcommands list, get, set and
// unset. runF, when set, runs in place of any of them (a test of their
// flags and arguments).
func NewCmd(f *cli.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Settings: f.Settings, Getenv: f.Getenv, AuthServer: f.AuthServer, LockWait: f.LockWait}
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show or change the defaults for new logins",
		Long: `Show or change the defaults for new logins, kept in config.json in atl's
config directory: client-id, callback-url, scopes and site. client-secret is
read from stdin (without echo on a terminal) into the keychain, for the
client id in use and the auth server in use (ATL_AUTH_URL, else Atlassian's):
it is sent to no other server, and never shown.

Flags and environment variables come first, then the stored login, then these.`,
		Example: `  atl config set client-id 8fJ2…
  atl config set callback-url http://127.0.0.1:8123/callback
  atl config set scopes "offline_access read:jira-user read:jira-work read:me"
  printf %s "$SECRET" | atl config set client-secret
  atl config list`,
		Args: cli.NoArgs,
	}
	// runner runs sub, or runF in its place.
	runner := func(sub func(context.Context, *Options) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				opts.Key = args[0]
			}
			if len(args) > 1 {
				opts.Value, opts.HasValue = args[1], true
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return sub(cmd.Context(), opts)
		}
	}
	keys := cobra.FixedCompletions(settingKeys, cobra.ShellCompDirectiveNoFileComp)
	list := &cobra.Command{
		Use: "list", Short: "Show every setting", Args: cli.NoArgs,
		RunE: runner(runList),
	}
	get := &cobra.Command{
		Use: "get KEY", Short: "Show one setting", Args: cli.ExactArgs(1, "atl config get KEY"), ValidArgsFunction: keys,
		RunE: runner(runGet),
	}
	set := &cobra.Command{
		Use: "set KEY [VALUE]", Short: "Change a setting (client-secret: read from stdin)", Args: cli.RangeArgs(1, 2, "atl config set KEY [VALUE]"), ValidArgsFunction: keys,
		RunE: runner(runSet),
	}
	set.Flags().StringVar(&opts.ClientID, "client-id", "", "with client-secret: the app it belongs to (default the client id in use)")
	unset := &cobra.Command{
		Use: "unset KEY", Short: "Remove a setting", Args: cli.ExactArgs(1, "atl config unset KEY"), ValidArgsFunction: keys,
		RunE: runner(runUnset),
	}
	unset.Flags().StringVar(&opts.ClientID, "client-id", "", "with client-secret: the app it belongs to (default the client id in use)")
	cmd.AddCommand(list, get, set, unset)
	return cmd
}

// runList prints every setting as KEY=VALUE; one that cannot be read
// shows why, in parentheses.
func runList(_ context.Context, opts *Options) error {
	st, set, err := opts.Settings()
	if err != nil {
		return err
	}
	for _, k := range settingKeys {
		v, err := opts.value(st, set, k)
		if err != nil {
			v = "(" + cli.OneLine(err.Error()) + ")"
		}
		fmt.Fprintf(opts.IO.Out, "%s=%s\n", k, v)
	}
	return nil
}

// runGet prints the setting Key; one that is not set exits 1, printing
// nothing, as git config does.
func runGet(_ context.Context, opts *Options) error {
	st, set, err := opts.Settings()
	if err != nil {
		return err
	}
	v, err := opts.value(st, set, opts.Key)
	if err != nil {
		return err
	}
	if v == "" {
		return &cli.SilentError{Code: cli.ExitError}
	}
	_, err = fmt.Fprintln(opts.IO.Out, v)
	return err
}

// value is the setting key as get and list show it: for client-secret,
// where it is kept and for which server, never the secret.
func (opts *Options) value(st *store.Store, set store.Settings, key string) (string, error) {
	switch key {
	case "client-id":
		return set.ClientID, nil
	case "callback-url":
		return set.CallbackURL, nil
	case "scopes":
		return strings.Join(set.Scopes, " "), nil
	case "site":
		return set.Site, nil
	case "client-secret":
		return opts.keptSecret(st, set)
	}
	return "", unknownKey(key)
}

// keptSecret describes the client secret kept for the client id in use:
// for which auth server, and whether it is another than the one in use
// now (the secret is not sent there); "" when none is kept.
func (opts *Options) keptSecret(st *store.Store, set store.Settings) (string, error) {
	id := opts.clientIDOr(set)
	if id == "" {
		return "", nil
	}
	k, err := st.ClientSecret(id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	}
	kept := "(set in the keychain for " + id + " at " + cmp.Or(k.AuthURL, auth.DefaultAuthURL)
	if now := opts.AuthServer(); !store.SameServer(now, cmp.Or(k.AuthURL, auth.DefaultAuthURL)) {
		kept += "; not sent to " + now
	}
	return kept + ")", nil
}

// clientIDOr is the client id a client secret belongs to: --client-id,
// else ATL_CLIENT_ID, else config.json's; "" when none is set.
func (opts *Options) clientIDOr(set store.Settings) string {
	return cmp.Or(opts.ClientID, opts.Getenv("ATL_CLIENT_ID"), set.ClientID)
}

// secretClientID is clientIDOr, where there must be one.
func (opts *Options) secretClientID(set store.Settings) (string, error) {
	id := opts.clientIDOr(set)
	if id == "" {
		return "", cli.UsageErrorf("no client id to keep the secret for: pass --client-id, or `atl config set client-id` first")
	}
	return id, nil
}

// unknownKey is the usage error of a KEY atl config does not manage.
func unknownKey(key string) error {
	return cli.UsageErrorf("unknown setting %q: use one of %s", key, strings.Join(settingKeys, ", "))
}
