// Package settings resolves what a login uses, each setting in one order
// (a flag, the environment, the stored login, config.json, the default),
// says where each value came from, for a person to see, and checks the
// servers named. Package auth logs in with it; atl doctor shows it.
package settings

import (
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/atl-cli/atl/store"
)

// The sources of a setting, as Value.From names them.
const (
	FromFlag    = "flag"
	FromEnv     = "the environment"
	FromStored  = "the stored login"
	FromFile    = "config.json"
	FromDefault = "default"
)

// Layer is what one source says of each setting; empty leaves it to the
// next source.
type Layer struct {
	ClientID    string
	CallbackURL string
	AuthURL     string
	APIURL      string
	Scopes      []string
}

// Value is a setting's value and the source it came from ("" when no
// source sets it).
type Value struct{ Value, From string }

// Login is what a login uses.
type Login struct {
	ClientID    Value
	CallbackURL Value
	AuthURL     Value
	APIURL      Value
	Scopes      []string
	ScopesFrom  string
}

// Resolve picks each setting from the first source that sets it. The
// client id and the callback URL come from a flag, the environment, the
// stored login or config.json; the servers from the environment or the
// stored login (config.json and flags do not name them); the scopes from a
// flag or config.json (a new login asks afresh, whatever the stored one
// was granted). defaults fills what no source sets.
func Resolve(flag, env, stored, file, defaults Layer) Login {
	l := Login{
		ClientID:    pick(v(flag.ClientID, FromFlag), v(env.ClientID, FromEnv), v(stored.ClientID, FromStored), v(file.ClientID, FromFile), v(defaults.ClientID, FromDefault)),
		CallbackURL: pick(v(flag.CallbackURL, FromFlag), v(env.CallbackURL, FromEnv), v(stored.CallbackURL, FromStored), v(file.CallbackURL, FromFile), v(defaults.CallbackURL, FromDefault)),
		AuthURL:     pick(v(env.AuthURL, FromEnv), v(stored.AuthURL, FromStored), v(defaults.AuthURL, FromDefault)),
		APIURL:      pick(v(env.APIURL, FromEnv), v(stored.APIURL, FromStored), v(defaults.APIURL, FromDefault)),
	}
	switch {
	case len(flag.Scopes) > 0:
		l.Scopes, l.ScopesFrom = flag.Scopes, FromFlag
	case len(file.Scopes) > 0:
		l.Scopes, l.ScopesFrom = file.Scopes, FromFile
	case len(defaults.Scopes) > 0:
		l.Scopes, l.ScopesFrom = defaults.Scopes, FromDefault
	}
	return l
}

func v(value, from string) Value { return Value{value, from} }

// pick returns the first value that is set.
func pick(values ...Value) Value {
	for _, x := range values {
		if x.Value != "" {
			return x
		}
	}
	return Value{}
}

// ForLogin resolves the settings of a new login: flag (a command's
// flags), given (a Session's options, or the environment), the stored
// login and config.json, with the defaults.
func ForLogin(flag, given Layer, stored *store.Metadata, file store.Settings, defaults Layer) Login {
	return Resolve(flag, given,
		Layer{ClientID: stored.ClientID, CallbackURL: stored.CallbackURL, AuthURL: stored.AuthURL, APIURL: stored.APIURL},
		Layer{ClientID: file.ClientID, CallbackURL: file.CallbackURL, Scopes: file.Scopes},
		defaults)
}

// ServerURL checks a server's base URL and returns it without a trailing
// slash: https, or plain http to a loopback host (a local test server).
func ServerURL(s string) (string, error) {
	u, err := url.Parse(s)
	malformed := err != nil || u.Host == "" || u.User != nil || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#")
	switch {
	case malformed || (u.Scheme != "https" && u.Scheme != "http"):
		return "", errors.New("is not a server's base URL (https://host[/path])")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return "", errors.New("must use https (plain http only for a loopback address)")
	}
	return strings.TrimRight(s, "/"), nil
}

// isLoopback reports whether host names this machine's loopback interface.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
