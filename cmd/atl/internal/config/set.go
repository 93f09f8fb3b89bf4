package config

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/internal/loopback"
	"github.com/atl-cli/atl/store"
)

// runSet changes the setting Key to Value in config.json, or keeps the
// client secret read from stdin in the keychain.
func runSet(ctx context.Context, opts *Options) error {
	st, set, err := opts.Settings()
	if err != nil {
		return err
	}
	if opts.Key == "client-secret" {
		if opts.HasValue {
			return cli.UsageErrorf("atl config set client-secret reads the secret from stdin, never from the command line")
		}
		return opts.keepSecret(st, set)
	}
	if !opts.HasValue {
		return cli.UsageErrorf("usage: atl config set %s VALUE", opts.Key)
	}
	apply, err := setting(opts.Key, strings.TrimSpace(opts.Value))
	if err != nil {
		return err
	}
	return opts.updateSettings(ctx, st, apply)
}

// keepSecret reads the client secret from stdin and keeps it in the
// keychain for the client id and the auth server in use.
func (opts *Options) keepSecret(st *store.Store, set store.Settings) error {
	id, err := opts.secretClientID(set)
	if err != nil {
		return err
	}
	server := opts.AuthServer()
	secret, err := cli.ReadClientSecret(opts.IO)
	if err != nil {
		return err
	}
	if err := st.SetClientSecret(id, server, secret); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Kept the client secret of %s in the keychain, for logins at %s only.\n", id, server)
	return nil
}

// setting is the change to config.json that sets key to value, once
// value is checked.
func setting(key, value string) (func(*store.Settings), error) {
	switch key {
	case "client-id":
		return func(set *store.Settings) { set.ClientID = value }, nil
	case "callback-url":
		if err := loopback.Check(value); err != nil && !errors.Is(err, loopback.ErrPortInUse) {
			// In use now is no reason to refuse it.
			return nil, &auth.ConfigError{Setting: "callback URL", Value: value, Err: err}
		}
		return func(set *store.Settings) { set.CallbackURL = value }, nil
	case "scopes":
		scopes, err := cli.ParseScopes([]string{value})
		if err != nil || scopes == nil {
			return nil, cli.UsageErrorf("scopes: give at least one, space or comma separated")
		}
		return func(set *store.Settings) { set.Scopes = scopes }, nil
	case "site":
		return func(set *store.Settings) { set.Site = value }, nil
	}
	return nil, unknownKey(key)
}

// runUnset removes the setting Key from config.json, or the client
// secret kept for the client id in use from the keychain.
func runUnset(ctx context.Context, opts *Options) error {
	st, set, err := opts.Settings()
	if err != nil {
		return err
	}
	var apply func(*store.Settings)
	switch opts.Key {
	case "client-id":
		apply = func(set *store.Settings) { set.ClientID = "" }
	case "callback-url":
		apply = func(set *store.Settings) { set.CallbackURL = "" }
	case "scopes":
		apply = func(set *store.Settings) { set.Scopes = nil }
	case "site":
		apply = func(set *store.Settings) { set.Site = "" }
	case "client-secret":
		id, err := opts.secretClientID(set)
		if err != nil {
			return err
		}
		return st.DeleteClientSecret(id)
	default:
		return unknownKey(opts.Key)
	}
	return opts.updateSettings(ctx, st, apply)
}

// updateSettings changes config.json with apply under the config
// directory's lock, so that settings changed at the same time by other
// atl processes are all kept.
func (opts *Options) updateSettings(ctx context.Context, st *store.Store, apply func(*store.Settings)) error {
	wait := opts.LockWait
	if wait <= 0 {
		wait = store.DefaultLockWait
	}
	return st.UpdateSettings(ctx, wait, func(set *store.Settings) error {
		apply(set)
		return nil
	})
}
