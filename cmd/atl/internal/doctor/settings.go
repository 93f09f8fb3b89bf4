package doctor

import (
	"cmp"
	"fmt"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/internal/settings"
	"github.com/atl-cli/atl/store"
)

// loginSettings are the settings a new login of the profile would use
// (see package settings), with its servers checked.
func loginSettings(opts *Options) (*settings.Login, error) {
	o := opts.AuthOptions()
	st, err := opts.Store()
	if err != nil {
		return nil, err
	}
	file, err := st.Settings()
	if err != nil {
		return nil, err
	}
	stored := &store.Metadata{}
	if l, err := st.Login(cmp.Or(o.Profile, auth.DefaultProfile)); err == nil {
		if m, err := l.Metadata(); err == nil {
			stored = m
		}
	}
	set := settings.ForLogin(settings.Layer{},
		settings.Layer{ClientID: o.ClientID, CallbackURL: o.CallbackURL, AuthURL: o.AuthURL, APIURL: o.APIURL},
		stored, file,
		settings.Layer{CallbackURL: auth.DefaultCallbackURL, AuthURL: auth.DefaultAuthURL, APIURL: auth.DefaultAPIURL, Scopes: auth.DefaultScopes()})
	for _, server := range []struct {
		setting, env string
		v            *settings.Value
	}{{"auth URL", "ATL_AUTH_URL", &set.AuthURL}, {"API URL", "ATL_API_URL", &set.APIURL}} {
		u, err := settings.ServerURL(server.v.Value)
		if err != nil {
			return nil, &auth.ConfigError{Setting: server.setting, Value: server.v.Value,
				Err: fmt.Errorf("%s %q (from %s) %w", server.setting, server.v.Value, from(*server.v, server.env), err)}
		}
		server.v.Value = u
	}
	return &set, nil
}

// from names where a setting came from for a person: the environment
// variable env, rather than "the environment".
func from(v settings.Value, env string) string {
	if v.From == settings.FromEnv {
		return env
	}
	return v.From
}
