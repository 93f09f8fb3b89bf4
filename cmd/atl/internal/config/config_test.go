package config

import (
	"cmp"
	"context"
	"errors"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/atl-cli/atl/store"
	"github.com/gofrs/flock"
)

// full is a config.json with every setting.
const full = `{
  "client_id": "cfg-app",
  "callback_url": "http://127.0.0.1:8123/callback",
  "scopes": [
    "offline_access",
    "read:me"
  ],
  "site": "example"
}
`

// atlassian is the auth server a client secret is kept for by default.
const atlassian = "https://auth.atlassian.com"

// elsewhere is another auth server, as ATL_AUTH_URL names it.
const elsewhere = "https://auth.example.test/"

func TestRunConfig(t *testing.T) {
	portInUse := listen(t)
	for _, tc := range []struct {
		name     string
		env      map[string]string
		before   string                      // config.json, if any
		kept     map[string]store.KeptSecret // client secrets kept before, by client id
		keysFail error                       // the keychain's answer from the start of the run
		lockHeld bool                        // another process holds config.json's lock
		stopped  bool                        // the run's context is done (Ctrl-C)
		run      func(context.Context, *Options) error
		opts     Options // flag and arguments
		stdin    string
		terminal string // typed at the prompt of a terminal, without echo
		code     int
		stdout   string
		stderr   string
		saved    string                      // config.json after; "" is as before
		secrets  map[string]store.KeptSecret // the client secrets kept after; nil is as before
	}{
		// list
		{name: "list, nothing set", run: runList,
			stdout: "client-id=\ncallback-url=\nscopes=\nsite=\nclient-secret=\n"},
		{name: "list, everything set", run: runList, before: full, kept: keptFor("cfg-app", atlassian),
			stdout: "client-id=cfg-app\ncallback-url=http://127.0.0.1:8123/callback\nscopes=offline_access read:me\nsite=example\n" +
				"client-secret=(set in the keychain for cfg-app at https://auth.atlassian.com)\n"},
		{name: "list, the secret kept for another auth server", run: runList, before: full, kept: keptFor("cfg-app", atlassian),
			env: map[string]string{"ATL_AUTH_URL": elsewhere},
			stdout: "client-id=cfg-app\ncallback-url=http://127.0.0.1:8123/callback\nscopes=offline_access read:me\nsite=example\n" +
				"client-secret=(set in the keychain for cfg-app at https://auth.atlassian.com; not sent to https://auth.example.test)\n"},
		{name: "list, the keychain fails", run: runList, before: full, keysFail: errors.New("locked \x1b[31mred\x1b[0m\nsecond line"),
			stdout: "client-id=cfg-app\ncallback-url=http://127.0.0.1:8123/callback\nscopes=offline_access read:me\nsite=example\n" +
				"client-secret=(locked red second line)\n"},
		{name: "list, config.json is not JSON", run: runList, before: "{", code: 1,
			stderr: "atl: config file is not valid JSON: DIR/config.json; fix the file or remove it\n"},

		// get
		{name: "get client-id", run: runGet, opts: Options{Key: "client-id"}, before: full, stdout: "cfg-app\n"},
		{name: "get callback-url", run: runGet, opts: Options{Key: "callback-url"}, before: full, stdout: "http://127.0.0.1:8123/callback\n"},
		{name: "get scopes", run: runGet, opts: Options{Key: "scopes"}, before: full, stdout: "offline_access read:me\n"},
		{name: "get site", run: runGet, opts: Options{Key: "site"}, before: full, stdout: "example\n"},
		{name: "get client-secret", run: runGet, opts: Options{Key: "client-secret"}, before: full, kept: keptFor("cfg-app", atlassian),
			stdout: "(set in the keychain for cfg-app at https://auth.atlassian.com)\n"},
		{name: "get client-secret, kept for another auth server", run: runGet, opts: Options{Key: "client-secret"}, before: full,
			kept: keptFor("cfg-app", atlassian), env: map[string]string{"ATL_AUTH_URL": elsewhere},
			stdout: "(set in the keychain for cfg-app at https://auth.atlassian.com; not sent to https://auth.example.test)\n"},
		{name: "get client-secret, for ATL_CLIENT_ID", run: runGet, opts: Options{Key: "client-secret"}, before: full,
			kept: keptFor("cfg-app", atlassian, "env-app", "https://auth.example.test"), env: map[string]string{"ATL_CLIENT_ID": "env-app", "ATL_AUTH_URL": elsewhere},
			stdout: "(set in the keychain for env-app at https://auth.example.test)\n"},
		{name: "get client-secret, none kept", run: runGet, opts: Options{Key: "client-secret"}, before: full, code: 1},
		{name: "get client-secret, no client id", run: runGet, opts: Options{Key: "client-secret"}, kept: keptFor("cfg-app", atlassian), code: 1},
		{name: "get a setting not set", run: runGet, opts: Options{Key: "site"}, code: 1},
		{name: "get an unknown key", run: runGet, opts: Options{Key: "nope"}, code: 2,
			stderr: "atl: unknown setting \"nope\": use one of client-id, callback-url, scopes, site, client-secret\n"},
		{name: "get client-secret, the keychain fails", run: runGet, opts: Options{Key: "client-secret"}, before: full,
			keysFail: errors.New("locked \x1b[31mred\x1b[0m\nsecond line"), code: 1, stderr: "atl: locked red second line\n"},
		{name: "get, config.json is not JSON", run: runGet, opts: Options{Key: "site"}, before: "{", code: 1,
			stderr: "atl: config file is not valid JSON: DIR/config.json; fix the file or remove it\n"},

		// set
		{name: "set client-id", run: runSet, opts: Options{Key: "client-id", Value: " new-app ", HasValue: true},
			saved: "{\n  \"client_id\": \"new-app\"\n}\n"},
		{name: "set client-id over another", run: runSet, opts: Options{Key: "client-id", Value: "new-app", HasValue: true}, before: full,
			saved: strings.Replace(full, "cfg-app", "new-app", 1)},
		{name: "set callback-url", run: runSet, opts: Options{Key: "callback-url", Value: "http://localhost:9999/cb", HasValue: true},
			saved: "{\n  \"callback_url\": \"http://localhost:9999/cb\"\n}\n"},
		{name: "set callback-url whose port is in use now", run: runSet, opts: Options{Key: "callback-url", Value: portInUse, HasValue: true},
			saved: "{\n  \"callback_url\": \"" + portInUse + "\"\n}\n"},
		{name: "set callback-url, not loopback", run: runSet, opts: Options{Key: "callback-url", Value: "https://not.loopback/cb", HasValue: true}, before: full,
			code:   2,
			stderr: "atl: callback URL \"https://not.loopback/cb\" must start with http:// (a loopback redirect needs no TLS); use the callback URL registered for the app, with --callback-url or ATL_CALLBACK_URL\n"},
		{name: "set scopes", run: runSet, opts: Options{Key: "scopes", Value: "offline_access, read:me  read:me", HasValue: true},
			saved: "{\n  \"scopes\": [\n    \"offline_access\",\n    \"read:me\"\n  ]\n}\n"},
		{name: "set scopes, none", run: runSet, opts: Options{Key: "scopes", Value: " , ", HasValue: true}, before: full, code: 2,
			stderr: "atl: scopes: give at least one, space or comma separated\n"},
		{name: "set scopes, not a scope", run: runSet, opts: Options{Key: "scopes", Value: `read:me a"b`, HasValue: true}, code: 2,
			stderr: "atl: scopes: give at least one, space or comma separated\n"},
		{name: "set site", run: runSet, opts: Options{Key: "site", Value: "beta", HasValue: true}, before: full,
			saved: strings.Replace(full, `"example"`, `"beta"`, 1)},
		{name: "set site to nothing", run: runSet, opts: Options{Key: "site", Value: "", HasValue: true}, saved: "{}\n"},
		{name: "set without a value", run: runSet, opts: Options{Key: "site"}, before: full, code: 2,
			stderr: "atl: usage: atl config set site VALUE\n"},
		{name: "set an unknown key", run: runSet, opts: Options{Key: "nope", Value: "v", HasValue: true}, code: 2,
			stderr: "atl: unknown setting \"nope\": use one of client-id, callback-url, scopes, site, client-secret\n"},
		{name: "set an unknown key without a value", run: runSet, opts: Options{Key: "nope"}, code: 2,
			stderr: "atl: usage: atl config set nope VALUE\n"},
		{name: "set, config.json's lock held", run: runSet, opts: Options{Key: "site", Value: "beta", HasValue: true}, before: full, lockHeld: true, code: 1,
			stderr: "atl: another atl process has held DIR/config.lock for over 20ms; it may be waiting for a keychain prompt or the network: let it finish or stop it, then try again (never delete the lock file)\n"},
		{name: "set, interrupted", run: runSet, opts: Options{Key: "site", Value: "beta", HasValue: true}, before: full, stopped: true, code: 130,
			stderr: "atl: context canceled\n"},
		{name: "set, config.json is not JSON", run: runSet, opts: Options{Key: "site", Value: "x", HasValue: true}, before: "{", code: 1,
			stderr: "atl: config file is not valid JSON: DIR/config.json; fix the file or remove it\n"},

		// set client-secret
		{name: "set client-secret", run: runSet, opts: Options{Key: "client-secret"}, before: full, stdin: " s3cret \nmore\n",
			stderr:  "Kept the client secret of cfg-app in the keychain, for logins at https://auth.atlassian.com only.\n",
			secrets: keptFor("cfg-app", atlassian, "s3cret")},
		{name: "set client-secret, bound to ATL_AUTH_URL", run: runSet, opts: Options{Key: "client-secret"}, before: full, stdin: "s3cret\n",
			env:     map[string]string{"ATL_AUTH_URL": elsewhere},
			stderr:  "Kept the client secret of cfg-app in the keychain, for logins at https://auth.example.test only.\n",
			secrets: keptFor("cfg-app", "https://auth.example.test", "s3cret")},
		{name: "set client-secret, replacing one kept for another server", run: runSet, opts: Options{Key: "client-secret"}, before: full, stdin: "new\n",
			kept: keptFor("cfg-app", atlassian), env: map[string]string{"ATL_AUTH_URL": elsewhere},
			stderr:  "Kept the client secret of cfg-app in the keychain, for logins at https://auth.example.test only.\n",
			secrets: keptFor("cfg-app", "https://auth.example.test", "new")},
		{name: "set client-secret, for ATL_CLIENT_ID", run: runSet, opts: Options{Key: "client-secret"}, before: full, stdin: "s3cret\n",
			env:     map[string]string{"ATL_CLIENT_ID": "env-app"},
			stderr:  "Kept the client secret of env-app in the keychain, for logins at https://auth.atlassian.com only.\n",
			secrets: keptFor("env-app", atlassian, "s3cret")},
		{name: "set client-secret, for --client-id", run: runSet, opts: Options{Key: "client-secret", ClientID: "flag-app"}, before: full, stdin: "s3cret\n",
			env:     map[string]string{"ATL_CLIENT_ID": "env-app"},
			stderr:  "Kept the client secret of flag-app in the keychain, for logins at https://auth.atlassian.com only.\n",
			secrets: keptFor("flag-app", atlassian, "s3cret")},
		{name: "set client-secret, typed at a terminal", run: runSet, opts: Options{Key: "client-secret"}, before: full, terminal: " typed \n",
			stderr:  "\nKept the client secret of cfg-app in the keychain, for logins at https://auth.atlassian.com only.\n",
			secrets: keptFor("cfg-app", atlassian, "typed")},
		{name: "set client-secret, nothing typed", run: runSet, opts: Options{Key: "client-secret"}, before: full, terminal: "\n", code: 2,
			stderr: "\natl: --client-secret-stdin: no secret was typed\n"},
		{name: "set client-secret on the command line", run: runSet, opts: Options{Key: "client-secret", Value: "s3cret", HasValue: true}, before: full, stdin: "s3cret\n",
			code: 2, stderr: "atl: atl config set client-secret reads the secret from stdin, never from the command line\n"},
		{name: "set client-secret, no client id", run: runSet, opts: Options{Key: "client-secret"}, stdin: "s3cret\n", code: 2,
			stderr: "atl: no client id to keep the secret for: pass --client-id, or `atl config set client-id` first\n"},
		{name: "set client-secret, nothing on stdin", run: runSet, opts: Options{Key: "client-secret"}, before: full, stdin: "\n", code: 2,
			stderr: "atl: --client-secret-stdin: nothing on standard input\n"},
		{name: "set client-secret, the keychain fails", run: runSet, opts: Options{Key: "client-secret"}, before: full, stdin: "s3cret\n",
			keysFail: errors.New("locked"), code: 1, stderr: "atl: locked\n"},

		// unset
		{name: "unset client-id", run: runUnset, opts: Options{Key: "client-id"}, before: full,
			saved: strings.Replace(full, "  \"client_id\": \"cfg-app\",\n", "", 1)},
		{name: "unset callback-url", run: runUnset, opts: Options{Key: "callback-url"}, before: full,
			saved: strings.Replace(full, "  \"callback_url\": \"http://127.0.0.1:8123/callback\",\n", "", 1)},
		{name: "unset scopes", run: runUnset, opts: Options{Key: "scopes"}, before: full,
			saved: strings.Replace(full, "  \"scopes\": [\n    \"offline_access\",\n    \"read:me\"\n  ],\n", "", 1)},
		{name: "unset site", run: runUnset, opts: Options{Key: "site"}, before: full,
			saved: strings.Replace(full, ",\n  \"site\": \"example\"", "", 1)},
		{name: "unset a setting not set", run: runUnset, opts: Options{Key: "site"}, saved: "{}\n"},
		{name: "unset client-secret", run: runUnset, opts: Options{Key: "client-secret"}, before: full,
			kept: keptFor("cfg-app", atlassian, "other-app", atlassian), secrets: keptFor("other-app", atlassian)},
		{name: "unset client-secret, for --client-id", run: runUnset, opts: Options{Key: "client-secret", ClientID: "other-app"}, before: full,
			kept: keptFor("cfg-app", atlassian, "other-app", atlassian), secrets: keptFor("cfg-app", atlassian)},
		{name: "unset client-secret, none kept", run: runUnset, opts: Options{Key: "client-secret"}, before: full},
		{name: "unset client-secret, no client id", run: runUnset, opts: Options{Key: "client-secret"}, kept: keptFor("cfg-app", atlassian), code: 2,
			stderr: "atl: no client id to keep the secret for: pass --client-id, or `atl config set client-id` first\n"},
		{name: "unset an unknown key", run: runUnset, opts: Options{Key: "nope"}, before: full, code: 2,
			stderr: "atl: unknown setting \"nope\": use one of client-id, callback-url, scopes, site, client-secret\n"},
		{name: "unset client-secret, the keychain fails", run: runUnset, opts: Options{Key: "client-secret"}, before: full,
			keysFail: errors.New("locked"), code: 1, stderr: "atl: locked\n"},
		{name: "unset, config.json's lock held", run: runUnset, opts: Options{Key: "site"}, before: full, lockHeld: true, code: 1,
			stderr: "atl: another atl process has held DIR/config.lock for over 20ms; it may be waiting for a keychain prompt or the network: let it finish or stop it, then try again (never delete the lock file)\n"},
		{name: "unset, config.json is not JSON", run: runUnset, opts: Options{Key: "site"}, before: "{", code: 1,
			stderr: "atl: config file is not valid JSON: DIR/config.json; fix the file or remove it\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			maps.Copy(e.Vars, tc.env)
			path := filepath.Join(e.Dir, "config.json")
			if tc.before != "" {
				if err := os.WriteFile(path, []byte(tc.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			st := store.New(e.Dir, e.Keys)
			for id, k := range tc.kept {
				if err := st.SetClientSecret(id, k.AuthURL, k.Secret); err != nil {
					t.Fatal(err)
				}
			}
			e.F.IO.In = strings.NewReader(tc.stdin)
			if tc.terminal != "" {
				e.F.IO.ReadPassword = func(string) ([]byte, error) { return []byte(tc.terminal), nil }
			}
			e.Keys.Fail(tc.keysFail)
			if tc.lockHeld {
				holdLock(t, filepath.Join(e.Dir, "config.lock"))
				e.F.LockWait = 20 * time.Millisecond
			}

			opts := tc.opts
			opts.IO, opts.Settings, opts.Getenv, opts.AuthServer, opts.LockWait = e.F.IO, e.F.Settings, e.F.Getenv, e.F.AuthServer, e.F.LockWait
			ctx, stop := context.WithCancel(context.Background())
			if tc.stopped {
				stop()
			}
			defer stop()
			code := e.Report(tc.run(ctx, &opts), "config")
			stderr := strings.ReplaceAll(e.ErrOut.String(), e.Dir, "DIR")
			if code != tc.code || stderr != tc.stderr || e.Out.String() != tc.stdout {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, e.Out, stderr, tc.code, tc.stdout, tc.stderr)
			}

			saved, err := os.ReadFile(path)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			if want := cmp.Or(tc.saved, tc.before); string(saved) != want {
				t.Errorf("config.json:\n%s\nwant:\n%s", saved, want)
			}
			e.Keys.Fail(nil)
			secrets := tc.secrets
			if secrets == nil {
				secrets = tc.kept
			}
			for _, id := range slices.Concat(slices.Collect(maps.Keys(tc.kept)), slices.Collect(maps.Keys(secrets))) {
				got, err := st.ClientSecret(id)
				want, ok := secrets[id]
				if ok && (err != nil || got != want) || !ok && !errors.Is(err, store.ErrNotFound) {
					t.Errorf("client secret of %s: %+v, %v; want %+v (kept: %v)", id, got, err, want, ok)
				}
			}
		})
	}
}

// keptFor is client secrets kept by client id: pairs of a client id and
// the auth server, and, when the list is odd, last, the one secret they
// all have ("csecret" otherwise).
func keptFor(idServer ...string) map[string]store.KeptSecret {
	secret := "csecret"
	if len(idServer)%2 == 1 {
		secret = idServer[len(idServer)-1]
	}
	kept := map[string]store.KeptSecret{}
	for i := 0; i+1 < len(idServer); i += 2 {
		kept[idServer[i]] = store.KeptSecret{Secret: secret, AuthURL: idServer[i+1]}
	}
	return kept
}

// holdLock holds the lock at path, as another atl process would, until
// the test ends.
func holdLock(t *testing.T, path string) {
	l := flock.New(path)
	if err := l.Lock(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Unlock() })
}

// listen takes a loopback port until the test ends, and returns a
// callback URL on it.
func listen(t *testing.T) string {
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return "http://" + l.Addr().String() + "/callback"
}

func TestNewCmdFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ran  string
		want Options
		err  string
	}{
		{args: []string{"list"}, ran: "list"},
		{args: []string{"get", "site"}, ran: "get", want: Options{Key: "site"}},
		{args: []string{"set", "site", "beta"}, ran: "set", want: Options{Key: "site", Value: "beta", HasValue: true}},
		{args: []string{"set", "site", ""}, ran: "set", want: Options{Key: "site", HasValue: true}},
		{args: []string{"set", "site"}, ran: "set", want: Options{Key: "site"}},
		{args: []string{"set", "client-secret", "--client-id", "app"}, ran: "set", want: Options{Key: "client-secret", ClientID: "app"}},
		{args: []string{"unset", "--client-id", "app", "client-secret"}, ran: "unset", want: Options{Key: "client-secret", ClientID: "app"}},
		{args: []string{"unset", "scopes"}, ran: "unset", want: Options{Key: "scopes"}},

		{args: []string{"list", "extra"}, err: "unexpected argument \"extra\" for \"config list\"; see `config list --help`"},
		{args: []string{"get"}, err: "usage: atl config get KEY"},
		{args: []string{"get", "site", "extra"}, err: "usage: atl config get KEY"},
		{args: []string{"set"}, err: "usage: atl config set KEY [VALUE]"},
		{args: []string{"set", "site", "a", "b"}, err: "usage: atl config set KEY [VALUE]"},
		{args: []string{"unset"}, err: "usage: atl config unset KEY"},
		{args: []string{"unset", "site", "extra"}, err: "usage: atl config unset KEY"},
		{args: []string{"get", "client-secret", "--client-id", "app"}, err: "unknown flag: --client-id"},
		{args: []string{"list", "--client-id", "app"}, err: "unknown flag: --client-id"},
	} {
		e := clitest.New(t)
		var got *Options
		cmd := NewCmd(e.F, func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		ran, err := cmd.ExecuteC()
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || got != nil {
				t.Errorf("%q: err %v (ran: %v), want %q", tc.args, err, got != nil, tc.err)
			}
			var ue *cli.UsageError
			if strings.HasPrefix(tc.err, "usage: ") && !errors.As(err, &ue) {
				t.Errorf("%q: %T is not a usage error (exit 2)", tc.args, err)
			}
			continue
		}
		if err != nil || got == nil || ran.Name() != tc.ran || got.Key != tc.want.Key || got.Value != tc.want.Value ||
			got.HasValue != tc.want.HasValue || got.ClientID != tc.want.ClientID {
			t.Errorf("%q: %s %+v, %v; want %s %+v", tc.args, ran.Name(), got, err, tc.ran, tc.want)
		}
	}
}

// Each subcommand runs with the factory's dependencies.
func TestNewCmdDependencies(t *testing.T) {
	e := clitest.New(t)
	e.F.LockWait = 42
	var got *Options
	cmd := NewCmd(e.F, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"list"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	e.Vars["ATL_CLIENT_ID"], e.Vars["ATL_AUTH_URL"] = "env-app", elsewhere
	st, _, err := got.Settings()
	if got.IO != e.F.IO || got.LockWait != 42 || got.Getenv("ATL_CLIENT_ID") != "env-app" ||
		got.AuthServer() != "https://auth.example.test" || err != nil || st.Dir() != e.Dir {
		t.Fatalf("options %+v (settings in %v, %v)", got, st, err)
	}
}
