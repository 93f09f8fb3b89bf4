// Command atl-bench is scripts/bench's helper: it prepares atl's stored
// login between measurements, times logins, and reports the results.
//
//	atl-bench location            the keychain item of ATL_PROFILE: SERVICE ACCOUNT
//	atl-bench expire              make the stored access token expired
//	atl-bench drop-cache          empty the token cache of the login
//	atl-bench counts NAME         a request counter of the test server (ATL_AUTH_URL)
//	atl-bench reset-counts        zero the test server's counters
//	atl-bench stamp FILE URL      (as ATL_BROWSER) note the time, then play the browser
//	atl-bench login-latency N ATL where: from the start of N `ATL login` to their browser
//	atl-bench keepalive N ROUNDS DIRECT PROXY FLOOR   N GETs straight, through atl proxy and the floor
//	atl-bench floor-proxy TARGET  the least proxy of TARGET (a bare ReverseProxy adding the token)
//	atl-bench report HYPERFINE.json EXTRA.txt [CURL.json]   the table of medians, ratios and targets
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/atl-cli/atl/store"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "atl-bench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: atl-bench location|expire|drop-cache|counts|reset-counts|stamp|login-latency|keepalive|floor-proxy|report")
	}
	switch args[0] {
	case "location", "expire", "drop-cache":
		return login(args[0])
	case "counts":
		if len(args) != 2 {
			return fmt.Errorf("usage: atl-bench counts NAME")
		}
		return counts(args[1])
	case "reset-counts":
		resp, err := http.Post(os.Getenv("ATL_AUTH_URL")+"/_authtest/counts/reset", "", nil)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	case "stamp":
		if len(args) < 3 {
			return fmt.Errorf("usage: atl-bench stamp FILE URL")
		}
		now := time.Now().UnixNano()
		if err := os.WriteFile(args[1], []byte(strconv.FormatInt(now, 10)), 0o600); err != nil {
			return err
		}
		cmd := exec.Command(os.Getenv("ATLBENCH_SANDBOX"), "browse", args[len(args)-1])
		return cmd.Start() // in the background, as a browser opener returns at once
	case "login-latency":
		if len(args) != 3 {
			return fmt.Errorf("usage: atl-bench login-latency N ATL")
		}
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return err
		}
		return loginLatency(n, args[2])
	case "keepalive":
		return keepalive(args[1:])
	case "floor-proxy":
		if len(args) != 2 {
			return fmt.Errorf("usage: atl-bench floor-proxy TARGET")
		}
		return floorProxy(args[1])
	case "report":
		if len(args) != 3 && len(args) != 4 {
			return fmt.Errorf("usage: atl-bench report HYPERFINE.json EXTRA.txt [CURL.json]")
		}
		return report(args[1], args[2], append(args[3:], "")[0], os.Stdout)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func login(what string) error {
	dir := os.Getenv("ATL_CONFIG_DIR")
	if dir == "" {
		var err error
		if dir, err = store.DefaultConfigDir(); err != nil {
			return err
		}
	}
	l, err := store.New(dir, nil).Login(os.Getenv("ATL_PROFILE"))
	if err != nil {
		return err
	}
	switch what {
	case "location":
		loc := l.Location(store.StorageKeychain)
		fmt.Println(loc.Service, loc.Account)
		return nil
	case "drop-cache":
		return l.DropCachedToken()
	}
	m, g, err := l.Load()
	if err != nil {
		return err
	}
	g.Expiry = time.Now().Add(-time.Minute)
	return l.SaveRefreshed(m, g)
}

func counts(name string) error {
	resp, err := http.Get(os.Getenv("ATL_AUTH_URL") + "/_authtest/counts")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var c map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return err
	}
	fmt.Println(c[name])
	return nil
}

// loginLatency runs n logins of atl, each from its start to the moment its
// browser command runs, and prints their median in ms.
func loginLatency(n int, atl string) error {
	dir, err := os.MkdirTemp("", "atl-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var ds []float64
	for i := range n {
		stamp := filepath.Join(dir, fmt.Sprintf("stamp%d", i))
		cmd := exec.Command(atl, "login", "--timeout", "30s")
		cmd.Env = append(os.Environ(), "ATL_BROWSER="+self+" stamp "+stamp)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("atl login: %v: %s", err, out)
		}
		b, err := os.ReadFile(stamp)
		if err != nil {
			return err
		}
		t, _ := strconv.ParseInt(string(b), 10, 64)
		ds = append(ds, float64(time.Unix(0, t).Sub(start))/float64(time.Millisecond))
	}
	sort.Float64s(ds)
	fmt.Printf("%.2f %.2f %.2f\n", ds[len(ds)/2], ds[0], ds[len(ds)-1])
	return nil
}

type hyperfine struct {
	Results []struct {
		Command string    `json:"command"`
		Median  float64   `json:"median"`
		Mean    float64   `json:"mean"`
		Stddev  float64   `json:"stddev"`
		Min     float64   `json:"min"`
		Max     float64   `json:"max"`
		Times   []float64 `json:"times"`
	} `json:"results"`
}

// report prints the table of scripts/bench: each measurement's median
// and spread, its ratios against the floors measured in the same run, and
// each target with its verdict; atl proxy's with curlJSON (reportProxy).
func report(hyperfineJSON, extraTxt, curlJSON string, w io.Writer) error {
	b, err := os.ReadFile(hyperfineJSON)
	if err != nil {
		return err
	}
	var h hyperfine
	if err := json.Unmarshal(b, &h); err != nil {
		return err
	}
	med, fastest := map[string]float64{}, map[string]float64{}
	fmt.Fprintf(w, "%-36s %10s %10s %10s %10s %8s %8s\n", "command (40 runs each)", "median ms", "stddev", "min", "max", "×hello", "×keychain")
	for _, r := range h.Results {
		med[r.Command], fastest[r.Command] = r.Median, r.Min
	}
	hello, floor := med["hello"], med["keychain floor (go-keyring read)"]
	for _, r := range h.Results {
		fmt.Fprintf(w, "%-36s %10.2f %10.2f %10.2f %10.2f %8.2f %8.2f\n", r.Command, r.Median*1000, r.Stddev*1000, r.Min*1000, r.Max*1000, r.Median/hello, r.Median/floor)
	}
	extra := map[string]float64{}
	if b, err := os.ReadFile(extraTxt); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
				extra[strings.TrimSpace(k)] = f
			}
		}
	}
	fmt.Fprintln(w)
	for _, k := range sortedKeys(extra) {
		fmt.Fprintf(w, "%-44s %g\n", k, extra[k])
	}
	fmt.Fprintln(w)
	target := func(name string, value, limit float64, unit string) {
		verdict := "met"
		if value > limit {
			verdict = "NOT MET"
		}
		fmt.Fprintf(w, "%-60s %8.2f %-3s (target ≤ %g) %s\n", name, value, unit, limit, verdict)
	}
	target("cache hit / keychain floor", med["atl token (cache hit)"]/floor, 0.5, "×")
	target("cache hit / hello", med["atl token (cache hit)"]/hello, 2, "×")
	target("cache miss / keychain floor", med["atl token (cache empty, keychain)"]/floor, 1.2, "×")
	sa, hit := "atl token (service account, cache hit)", "atl token (cache hit)"
	target("service account's cache hit / person's cache hit", med[sa]/med[hit], 1.1, "×")
	fmt.Fprintf(w, "%-60s %8.2f ×   (person's: %.2f×; fastest runs: %.2f× and %.2f×)\n", "service account's cache hit / hello",
		med[sa]/hello, med[hit]/hello, fastest[sa]/fastest["hello"], fastest[hit]/fastest["hello"])
	target("--help / hello", med["atl --help"]/hello, 2, "×")
	target("completion bash / hello", med["atl completion bash"]/hello, 2, "×")
	exactly := func(name string, value, want float64) {
		verdict := "met"
		if value != want {
			verdict = "NOT MET"
		}
		fmt.Fprintf(w, "%-60s %8.3g     (target = %g) %s\n", name, value, want, verdict)
	}
	exactly("refresh: token requests per refresh (45 runs)", extra["refresh_token_requests_per_run"], 1)
	exactly("refresh: keychain writes (CreateItem)", extra["refresh_secret_CreateItem"], 1)
	exactly("refresh: keychain reads (GetSecret: the grant, the read-back)", extra["refresh_secret_GetSecret"], 2)
	exactly("cache hit: keychain calls", extra["cache_hit_secret_CreateItem"]+extra["cache_hit_secret_GetSecret"]+extra["cache_hit_secret_SearchItems"], 0)
	exactly("cache miss: keychain reads", extra["cache_miss_secret_GetSecret"], 1)
	exactly("--help, completion, cache hit with no D-Bus (1 = all ran)", extra["no_dbus_on_help_completion_and_cache_hit"], 1)
	one := med["atl token (refresh due)"] * 1000
	target("50 at expiry: wall / one refresh", extra["concurrent50_wall_ms"]/one, 3, "×")
	fmt.Fprintf(w, "%-60s %8.2f ×   (50 hello at once: %g ms, %.2f× one refresh; 50 atl --help: %g ms, %.2f×)\n",
		"50 at expiry: wall / 50 atl --help at once", extra["concurrent50_wall_ms"]/extra["concurrent50_help_wall_ms"],
		extra["concurrent50_hello_wall_ms"], extra["concurrent50_hello_wall_ms"]/one,
		extra["concurrent50_help_wall_ms"], extra["concurrent50_help_wall_ms"]/one)
	exactly("50 at expiry: refreshes (most in a round)", extra["concurrent50_max_refreshes_per_round"], 1)
	exactly("50 at expiry: failed processes (5 rounds)", extra["concurrent50_failed"], 0)
	exactly("50 at expiry: distinct outputs (most in a round)", extra["concurrent50_max_distinct_outputs_per_round"], 1)
	exactly("50 at expiry, service account: token requests (most)", extra["sa_concurrent50_max_token_requests_per_round"], 1)
	exactly("50 at expiry, service account: failed (5 rounds)", extra["sa_concurrent50_failed"], 0)
	exactly("50 at expiry, service account: distinct outputs (most)", extra["sa_concurrent50_max_distinct_outputs_per_round"], 1)
	target("peak RSS, cache hit", extra["rss_hit_kib"]/1024, 12, "MiB")
	target("peak RSS, refresh", extra["rss_refresh_kib"]/1024, 12, "MiB")
	target("release binary", extra["binary_bytes"]/1e6, 10, "MB")
	target("login: listener bound, browser launched (median)", extra["login_to_browser_ms"], 50, "ms")
	return reportProxy(w, extra, curlJSON, target)
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
