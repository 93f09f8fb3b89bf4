package config

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/internal/loopback"
	"github.com/atl-cli/atl/store"
	"github.com/spf13/cobra"
)

// configKeys are the settings atl config manages, in config.json, for new
// logins; client-secret goes to the keychain.
var configKeys = []string{"client-id", "callback-url", "scopes", "site", "client-secret"}

type configOptions struct {
	f        *cli.Factory
	ClientID string
}

func NewCmd(f *cli.Factory) *cobra.Command {
	opts := &configOptions{f: f}
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
	keys := cobra.FixedCompletions(configKeys, cobra.ShellCompDirectiveNoFileComp)
	list := &cobra.Command{
		Use: "list", Short: "Show every setting", Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runConfigList(opts) },
	}
	get := &cobra.Command{
		Use: "get KEY", Short: "Show one setting", Args: cli.ExactArgs(1, "atl config get KEY"), ValidArgsFunction: keys,
		RunE: func(cmd *cobra.Command, args []string) error { return runConfigGet(opts, args[0]) },
	}
	set := &cobra.Command{
		Use: "set KEY [VALUE]", Short: "Change a setting (client-secret: read from stdin)", Args: cobra.RangeArgs(1, 2), ValidArgsFunction: keys,
		RunE: func(cmd *cobra.Command, args []string) error { return runConfigSet(cmd.Context(), opts, args) },
	}
	set.Flags().StringVar(&opts.ClientID, "client-id", "", "with client-secret: the app it belongs to (default the client id in use)")
	unset := &cobra.Command{
		Use: "unset KEY", Short: "Remove a setting", Args: cli.ExactArgs(1, "atl config unset KEY"), ValidArgsFunction: keys,
		RunE: func(cmd *cobra.Command, args []string) error { return runConfigUnset(cmd.Context(), opts, args[0]) },
	}
	unset.Flags().StringVar(&opts.ClientID, "client-id", "", "with client-secret: the app it belongs to (default the client id in use)")
	cmd.AddCommand(list, get, set, unset)
	return cmd
}

// configClientID is the client id a client secret belongs to.
func (opts *configOptions) configClientID(set store.Settings) (string, error) {
	id := cmp.Or(opts.ClientID, opts.f.Getenv("ATL_CLIENT_ID"), set.ClientID)
	if id == "" {
		return "", cli.UsageErrorf("no client id to keep the secret for: pass --client-id, or `atl config set client-id` first")
	}
	return id, nil
}

func configValue(st *store.Store, set store.Settings, key string, opts *configOptions) (string, error) {
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
		id := cmp.Or(opts.ClientID, opts.f.Getenv("ATL_CLIENT_ID"), set.ClientID)
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
		if now := opts.f.AuthServer(); !store.SameServer(now, cmp.Or(k.AuthURL, auth.DefaultAuthURL)) {
			kept += "; not sent to " + now
		}
		return kept + ")", nil
	}
	return "", cli.UsageErrorf("unknown setting %q: use one of %s", key, strings.Join(configKeys, ", "))
}

func runConfigList(opts *configOptions) error {
	st, set, err := opts.f.Settings()
	if err != nil {
		return err
	}
	for _, k := range configKeys {
		v, err := configValue(st, set, k, opts)
		if err != nil {
			v = "(" + cli.OneLine(err.Error()) + ")"
		}
		fmt.Fprintf(opts.f.IO.Out, "%s=%s\n", k, v)
	}
	return nil
}

func runConfigGet(opts *configOptions, key string) error {
	st, set, err := opts.f.Settings()
	if err != nil {
		return err
	}
	v, err := configValue(st, set, key, opts)
	if err != nil {
		return err
	}
	if v == "" {
		return &cli.SilentError{Code: cli.ExitError} // like git config: unset exits 1
	}
	_, err = fmt.Fprintln(opts.f.IO.Out, v)
	return err
}

func runConfigSet(ctx context.Context, opts *configOptions, args []string) error {
	st, set, err := opts.f.Settings()
	if err != nil {
		return err
	}
	key := args[0]
	if key == "client-secret" {
		if len(args) != 1 {
			return cli.UsageErrorf("atl config set client-secret reads the secret from stdin, never from the command line")
		}
		id, err := opts.configClientID(set)
		if err != nil {
			return err
		}
		server := opts.f.AuthServer()
		secret, err := cli.ReadClientSecret(opts.f.IO)
		if err != nil {
			return err
		}
		if err := st.SetClientSecret(id, server, secret); err != nil {
			return err
		}
		fmt.Fprintf(opts.f.IO.ErrOut, "Kept the client secret of %s in the keychain, for logins at %s only.\n", id, server)
		return nil
	}
	if len(args) != 2 {
		return cli.UsageErrorf("usage: atl config set %s VALUE", key)
	}
	value := strings.TrimSpace(args[1])
	var apply func(*store.Settings)
	switch key {
	case "client-id":
		apply = func(set *store.Settings) { set.ClientID = value }
	case "callback-url":
		if err := loopback.Check(value); err != nil && !errors.Is(err, loopback.ErrPortInUse) {
			// In use now is no reason to refuse it.
			return &auth.ConfigError{Setting: "callback URL", Value: value, Err: err}
		}
		apply = func(set *store.Settings) { set.CallbackURL = value }
	case "scopes":
		scopes, err := cli.ParseScopes([]string{value})
		if err != nil || scopes == nil {
			return cli.UsageErrorf("scopes: give at least one, space or comma separated")
		}
		apply = func(set *store.Settings) { set.Scopes = scopes }
	case "site":
		apply = func(set *store.Settings) { set.Site = value }
	default:
		return cli.UsageErrorf("unknown setting %q: use one of %s", key, strings.Join(configKeys, ", "))
	}
	return opts.updateSettings(ctx, st, apply)
}

// updateSettings changes config.json with apply under the config
// directory's lock, so that settings changed at the same time by other
// atl processes are all kept.
func (opts *configOptions) updateSettings(ctx context.Context, st *store.Store, apply func(*store.Settings)) error {
	wait := opts.f.LockWait
	if wait <= 0 {
		wait = store.DefaultLockWait
	}
	return st.UpdateSettings(ctx, wait, func(set *store.Settings) error {
		apply(set)
		return nil
	})
}

func runConfigUnset(ctx context.Context, opts *configOptions, key string) error {
	st, set, err := opts.f.Settings()
	if err != nil {
		return err
	}
	var apply func(*store.Settings)
	switch key {
	case "client-id":
		apply = func(set *store.Settings) { set.ClientID = "" }
	case "callback-url":
		apply = func(set *store.Settings) { set.CallbackURL = "" }
	case "scopes":
		apply = func(set *store.Settings) { set.Scopes = nil }
	case "site":
		apply = func(set *store.Settings) { set.Site = "" }
	case "client-secret":
		id, err := opts.configClientID(set)
		if err != nil {
			return err
		}
		return st.DeleteClientSecret(id)
	default:
		return cli.UsageErrorf("unknown setting %q: use one of %s", key, strings.Join(configKeys, ", "))
	}
	return opts.updateSettings(ctx, st, apply)
}
