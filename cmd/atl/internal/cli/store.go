package cli

import (
	"cmp"
	"strings"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/store"
)

// authServer is the auth server a new login would sign in at: a kept
// client secret is bound to it.
func (f *Factory) AuthServer() string {
	return strings.TrimRight(cmp.Or(f.Options("").AuthURL, auth.DefaultAuthURL), "/")
}

// profiles lists the profiles with a stored login in the config
// directory o names, reading no keychain.
func (f *Factory) Profiles(o auth.Options) ([]string, error) {
	st, err := f.StoreIn(o.ConfigDir)
	if err != nil {
		return nil, err
	}
	return st.Profiles()
}

func (f *Factory) Store() (*store.Store, error) { return f.StoreIn(f.Options("").ConfigDir) }

// storeIn opens the config directory dir ("" = the default one).
func (f *Factory) StoreIn(dir string) (*store.Store, error) {
	if dir == "" {
		var err error
		if dir, err = store.DefaultConfigDir(); err != nil {
			return nil, err
		}
	}
	s := store.New(dir, f.Keychain).WithTokenCache(f.TokenCache)
	s.Tightened = f.tightened
	return s, nil
}

// settings opens the store and reads config.json.
func (f *Factory) Settings() (*store.Store, store.Settings, error) {
	st, err := f.Store()
	if err != nil {
		return nil, store.Settings{}, err
	}
	set, err := st.Settings()
	if err != nil {
		return nil, store.Settings{}, err
	}
	return st, set, nil
}
