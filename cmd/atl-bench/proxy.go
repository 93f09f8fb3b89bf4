package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sort"
	"strconv"
	"time"
)

// keepalive times rounds of n sequential GETs by one keep-alive client:
// straight to the API (direct, with the access token in ATLBENCH_TOKEN,
// as a Go program holding the token sends them), through atl proxy (with
// its key in ATLBENCH_KEY) and through the floor proxy (floorProxy, with
// nothing), in turn, after a round of each to warm up; it prints the
// medians in ms as EXTRA.txt lines, their names ending in _TAG if given.
func keepalive(args []string) error {
	if len(args) != 5 && len(args) != 6 {
		return fmt.Errorf("usage: atl-bench keepalive N ROUNDS DIRECT_URL PROXY_URL FLOOR_URL [TAG]")
	}
	n, err1 := strconv.Atoi(args[0])
	rounds, err2 := strconv.Atoi(args[1])
	if err1 != nil || err2 != nil || n < 1 || rounds < 1 {
		return fmt.Errorf("keepalive: N and ROUNDS are counts")
	}
	names := []string{"keepalive_direct", "keepalive_proxy", "keepalive_floor"}
	if len(args) == 6 { // a second set of the same, e.g. with a latency
		for i := range names {
			names[i] += "_" + args[5]
		}
	}
	auths := []string{"Bearer " + os.Getenv("ATLBENCH_TOKEN"), "Bearer " + os.Getenv("ATLBENCH_KEY"), ""}
	times := make([][]float64, len(names))
	for i := -1; i < rounds; i++ {
		for j := range names {
			ms, err := sequential(n, args[2+j], auths[j])
			if err != nil {
				return err
			}
			if i >= 0 {
				times[j] = append(times[j], ms)
			}
		}
	}
	for j, name := range names {
		fmt.Printf("%s_ms = %.2f\n", name, median(times[j]))
	}
	return nil
}

// floorProxy serves, on a free loopback port it prints, the least a proxy
// of the API at target can be: httputil's ReverseProxy adding the access
// token in ATLBENCH_TOKEN, on the same kind of transport as atl proxy's,
// with no key, no routing and no rewriting. It serves until killed.
func floorProxy(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	auth := "Bearer " + os.Getenv("ATLBENCH_TOKEN")
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	rp := &httputil.ReverseProxy{Transport: t, Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Header.Set("Authorization", auth)
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("http://" + l.Addr().String())
	return http.Serve(l, rp)
}

// sequential sends n GETs of url with auth, one after the other, with a
// new keep-alive client (HTTP/2 where the server offers it), and returns
// the wall time in ms.
func sequential(n int, url, auth string) (float64, error) {
	c := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()
	start := time.Now()
	for range n {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			return 0, err
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("GET %s: %s %v", url, resp.Status, err)
		}
	}
	return float64(time.Since(start)) / float64(time.Millisecond), nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// reportProxy prints atl proxy's targets: from extra (keepalive's lines,
// proxy_rss_kib) and from the hyperfine run of the curl loops in
// curlJSON, if any.
func reportProxy(w io.Writer, extra map[string]float64, curlJSON string, target func(name string, value, limit float64, unit string)) error {
	if curlJSON == "" {
		return nil
	}
	b, err := os.ReadFile(curlJSON)
	if err != nil {
		return err
	}
	var h hyperfine
	if err := json.Unmarshal(b, &h); err != nil {
		return err
	}
	med := map[string]float64{}
	fmt.Fprintln(w)
	for _, r := range h.Results {
		med[r.Command] = r.Median
		fmt.Fprintf(w, "%-60s %8.0f ms (median of %d)\n", r.Command, r.Median*1000, len(r.Times))
	}
	fmt.Fprintln(w)
	target("proxy: 200 keep-alive requests / straight to the API", extra["keepalive_proxy_ms"]/extra["keepalive_direct_ms"], 1.3, "×")
	fmt.Fprintf(w, "%-60s %8.2f ×   (the floor proxy / straight: %.2f×; straight %.0f ms, atl proxy %.0f ms, floor %.0f ms)\n",
		"proxy: 200 keep-alive requests / the floor proxy", extra["keepalive_proxy_ms"]/extra["keepalive_floor_ms"],
		extra["keepalive_floor_ms"]/extra["keepalive_direct_ms"], extra["keepalive_direct_ms"], extra["keepalive_proxy_ms"], extra["keepalive_floor_ms"])
	if d := extra["keepalive_direct_10ms_ms"]; d > 0 {
		fmt.Fprintf(w, "%-60s %8.2f ×   (100 each: no real API is nearer than a few ms; straight %.0f ms, atl proxy %.0f ms, floor %.0f ms)\n",
			"proxy: keep-alive requests / straight, the API 10 ms away", extra["keepalive_proxy_10ms_ms"]/d, d, extra["keepalive_proxy_10ms_ms"], extra["keepalive_floor_10ms_ms"])
	}
	target("proxy: 200 curl runs / 200 curl -H \"$(atl token --header)\"", med["200 curl through atl proxy"]/med["200 curl with atl token --header"], 0.6, "×")
	target("proxy: peak RSS after a 50 MB body", extra["proxy_rss_kib"]/1024, 60, "MiB")
	return nil
}
