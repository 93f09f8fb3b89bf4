package settings

import (
	"reflect"
	"testing"
)

func TestResolveTakesEachSettingFromTheFirstSourceThatSetsIt(t *testing.T) {
	all := func(name string) Layer {
		return Layer{ClientID: name + "-id", CallbackURL: name + "-cb", AuthURL: name + "-auth", APIURL: name + "-api", Scopes: []string{name + "-scope"}}
	}
	flag, env, stored, file, def := all("flag"), all("env"), all("stored"), all("file"), all("default")
	for _, tc := range []struct {
		name                     string
		flag, env, stored, file  Layer
		id, cb, auth, api, scope string
	}{
		{"every source", flag, env, stored, file, "flag-id", "flag-cb", "env-auth", "env-api", "flag-scope"},
		{"no flag", Layer{}, env, stored, file, "env-id", "env-cb", "env-auth", "env-api", "file-scope"},
		{"stored and file", Layer{}, Layer{}, stored, file, "stored-id", "stored-cb", "stored-auth", "stored-api", "file-scope"},
		{"file only", Layer{}, Layer{}, Layer{}, file, "file-id", "file-cb", "default-auth", "default-api", "file-scope"},
		{"nothing", Layer{}, Layer{}, Layer{}, Layer{}, "default-id", "default-cb", "default-auth", "default-api", "default-scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := Resolve(tc.flag, tc.env, tc.stored, tc.file, def)
			got := []string{l.ClientID.Value, l.CallbackURL.Value, l.AuthURL.Value, l.APIURL.Value, l.Scopes[0]}
			if want := []string{tc.id, tc.cb, tc.auth, tc.api, tc.scope}; !reflect.DeepEqual(got, want) {
				t.Fatalf("Resolve = %q, want %q", got, want)
			}
		})
	}
	l := Resolve(Layer{}, env, stored, file, def)
	if l.ClientID.From != FromEnv || l.AuthURL.From != FromEnv || l.ScopesFrom != FromFile {
		t.Fatalf("sources %+v", l)
	}
	l = Resolve(Layer{}, Layer{}, stored, Layer{}, Layer{})
	if l.ClientID != (Value{"stored-id", FromStored}) || l.Scopes != nil || l.ScopesFrom != "" {
		t.Fatalf("with no defaults: %+v", l)
	}
	if l = Resolve(Layer{}, Layer{}, Layer{}, Layer{}, Layer{}); l.ClientID != (Value{}) {
		t.Fatalf("nothing set anywhere: %+v", l.ClientID)
	}
}
