package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/atl-cli/atl/auth/authtest"
)

// Thirty `atl config set` processes at once, each setting a value of its
// own: three of them change client-id, callback-url and scopes, the other
// 27 site. Every setting ends with a value written for it. A process that
// read config.json before another wrote it and saved its own change on
// top would undo that one (as atl did before config.json was changed
// under a lock, losing about half).
func TestE2EConcurrentConfigSetsAreAllKept(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	keys := []string{"client-id", "callback-url", "scopes", "site"}
	const n = 30
	values := map[string][]string{}
	type run struct{ key, value string }
	var runs []run
	for i := range n {
		key := "site"
		switch i {
		case 8, 15, 22:
			key = keys[(i-8)/7]
		}
		var v string
		switch key {
		case "callback-url":
			v = fmt.Sprintf("http://127.0.0.1:%d/callback", authtest.FreePort(t))
		case "scopes":
			v = fmt.Sprintf("offline_access read:scope-%d", i)
		default:
			v = fmt.Sprintf("%s-%d", key, i)
		}
		values[key] = append(values[key], v)
		runs = append(runs, run{key, v})
	}
	var wg sync.WaitGroup
	failures := make(chan string, n)
	for _, r := range runs {
		wg.Go(func() {
			if _, errOut, code := e.run("config", "set", r.key, r.value); code != 0 {
				failures <- fmt.Sprintf("config set %s: exit %d: %s", r.key, code, errOut)
			}
		})
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	for _, key := range keys {
		out, errOut, code := e.run("config", "get", key)
		got := strings.TrimSuffix(out, "\n")
		if code != 0 || !slices.Contains(values[key], got) {
			t.Errorf("%s = %q (exit %d, %s): a change was lost; want one of %q", key, got, code, errOut, values[key])
		}
	}
}
