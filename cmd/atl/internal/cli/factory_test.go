package cli

import (
	"os"
	"strings"
	"testing"
)

func TestTakeEnvironmentRemovesTheSecretsFromTheProcess(t *testing.T) {
	t.Setenv("ATL_CLIENT_SECRET", "upper")
	t.Setenv("Atl_Client_Secret", "mixed") // one variable on Windows, two elsewhere
	t.Setenv("ATL_TOKEN", "token")
	t.Setenv("atl_token", "lower")
	t.Setenv("ATL_PROXY_KEY", "key")
	t.Setenv("ATL_CLIENT_ID", "cid")
	env := TakeEnvironment()
	if env.Get("ATL_CLIENT_ID") != "cid" || env.Get("ATL_CLIENT_SECRET") != "upper" || env.Get("ATL_TOKEN") != "token" || env.Get("ATL_PROXY_KEY") != "key" {
		t.Fatalf("the snapshot lost values: %q %q %q", env.Get("ATL_CLIENT_ID"), env.Get("ATL_CLIENT_SECRET"), env.Get("ATL_TOKEN"))
	}
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.EqualFold(name, "ATL_CLIENT_SECRET") || strings.EqualFold(name, "ATL_TOKEN") || strings.EqualFold(name, "ATL_PROXY_KEY") {
			t.Fatalf("%s is still in the process environment", name)
		}
	}
	if os.Getenv("ATL_CLIENT_ID") != "cid" {
		t.Fatal("other variables were removed")
	}
	got := childEnv([]string{"PATH=/bin", "atl_client_secret=x", "ATL_CLIENT_SECRET=y", "ATL_CLIENT_SECRETS=z", "Atl_Token=t", "ATL_TOKEN=u", "ATL_TOKENS=v", "ATL_PROXY_KEY=k", "atl_proxy_key=l"})
	if strings.Join(got, " ") != "PATH=/bin ATL_CLIENT_SECRETS=z ATL_TOKENS=v" {
		t.Fatalf("childEnv = %q", got)
	}
}

func TestASiteFlagComesBeforeATLSITEWhichStaysWithout(t *testing.T) {
	f := &Factory{Getenv: func(k string) string { return map[string]string{"ATL_SITE": "beta"}[k] }}
	o := f.Options("")
	WithSite("")(&o) // no --site
	if o.Site != "beta" {
		t.Fatalf("without --site, Site = %q; want ATL_SITE's", o.Site)
	}
	WithSite("gamma")(&o)
	if o.Site != "gamma" {
		t.Fatalf("with --site, Site = %q", o.Site)
	}
}
