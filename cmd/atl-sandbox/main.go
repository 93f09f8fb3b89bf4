// Command atl-sandbox runs a fake Atlassian OAuth 2.0 (3LO) and API server
// (package authtest) for trying atl end to end without Atlassian, and plays
// the user's browser against it.
//
// Usage:
//
//	atl-sandbox serve [-port N] [-client-id ID] [-client-secret S] [-callback URL]
//	                  [-sites N] [-access-ttl DUR] [-token-bytes N] [-deny] [-v]
//	                  [-env-file PATH] [-tls-ca PATH]
//	atl-sandbox browse [ARGS...] URL
//
// serve prints shell export lines (ATL_CLIENT_ID, ATL_CLIENT_SECRET if any,
// ATL_CALLBACK_URL, ATL_AUTH_URL, ATL_API_URL) on stdout and nothing else,
// optionally writes the same lines atomically to the -env-file once
// listening (and removes it on exit), then serves until SIGINT or SIGTERM.
// With -tls-ca it serves https (offering HTTP/2) with a test certificate
// for 127.0.0.1, written as PEM to that file for its clients' trust
// (SSL_CERT_FILE, curl --cacert).
//
// browse opens URL (its last argument) as a browser would, approves the
// consent page and follows the redirect to the app's callback. It exits 0
// if the final response is 2xx. Set BROWSER to "atl-sandbox browse" (or to
// the atl-sandbox binary itself: arguments ending in a URL mean browse).
package main

import (
	"context"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
)

const usage = `usage:
  atl-sandbox serve [flags]     run the fake Atlassian server (see -h)
  atl-sandbox browse [...] URL  play the browser for an authorize URL
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "browse":
		return browse(ctx, args[1:], stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	if isURL(args[len(args)-1]) { // BROWSER=/path/to/atl-sandbox
		return browse(ctx, args, stderr)
	}
	fmt.Fprintf(stderr, "atl-sandbox: unknown command %q\n%s", args[0], usage)
	return 2
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("atl-sandbox serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("port", 0, "port to listen on at 127.0.0.1 (0: a random free port)")
	clientID := fs.String("client-id", "sandbox-client", "OAuth client id")
	secret := fs.String("client-secret", "sandbox-secret", `OAuth client secret ("" for a public client)`)
	callback := fs.String("callback", "http://127.0.0.1:27813/callback", "registered callback (redirect) URL")
	sites := fs.Int("sites", 1, "number of Atlassian sites the account can access")
	ttl := fs.Duration("access-ttl", time.Hour, "access token lifetime")
	tokenBytes := fs.Int("token-bytes", authtest.DefaultTokenBytes, "length of access and refresh tokens")
	deny := fs.Bool("deny", false, "the consent page denies access")
	verbose := fs.Bool("v", false, "log requests to stderr")
	envFile := fs.String("env-file", "", "also write the export lines to this file (atomically) once listening")
	tlsCA := fs.String("tls-ca", "", "serve https with a test certificate, written as PEM to this file (for SSL_CERT_FILE or curl --cacert)")
	counts := fs.Bool("counts", false, "serve the request counters at GET /_authtest/counts (and POST /_authtest/counts/reset), and POST /_authtest/latency?d=DURATION")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "atl-sandbox serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *sites < 1 || *port < 0 || *port > 65535 {
		fmt.Fprintln(stderr, "atl-sandbox serve: -sites must be at least 1 and -port in 0..65535")
		return 2
	}

	opts := authtest.Options{
		ClientID:     *clientID,
		ClientSecret: *secret,
		RedirectURI:  *callback,
		Sites:        makeSites(*sites),
		AccessTTL:    *ttl,
		TokenBytes:   *tokenBytes,
		Deny:         *deny,
		ExposeCounts: *counts,
		TLS:          *tlsCA != "",
	}
	if *port != 0 {
		opts.Addr = "127.0.0.1:" + strconv.Itoa(*port)
	}
	if *verbose {
		l := log.New(stderr, "atl-sandbox: ", log.Ltime|log.Lmicroseconds)
		opts.Logf = l.Printf
	}
	srv, err := authtest.Start(opts)
	if err != nil {
		fmt.Fprintln(stderr, "atl-sandbox serve:", err)
		return 1
	}
	defer srv.Close()
	if *tlsCA != "" {
		cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
		if err := writeFileAtomic(*tlsCA, string(cert)); err != nil {
			fmt.Fprintln(stderr, "atl-sandbox serve:", err)
			return 1
		}
		defer os.Remove(*tlsCA)
	}

	lines := exportLines(opts, srv.URL())
	if _, err := io.WriteString(stdout, lines); err != nil {
		fmt.Fprintln(stderr, "atl-sandbox serve:", err)
		return 1
	}
	if *envFile != "" {
		if err := writeFileAtomic(*envFile, lines); err != nil {
			fmt.Fprintln(stderr, "atl-sandbox serve:", err)
			return 1
		}
		defer os.Remove(*envFile)
	}
	fmt.Fprintf(stderr, "atl-sandbox: serving on %s (client %s, callback %s); Ctrl-C to stop\n", srv.URL(), opts.ClientID, opts.RedirectURI)
	<-ctx.Done()
	fmt.Fprintln(stderr, "atl-sandbox: stopping")
	return 0
}

func makeSites(n int) []authtest.Site {
	sites := []authtest.Site{{ID: authtest.DefaultSiteID, URL: authtest.DefaultSiteURL, Name: authtest.DefaultSiteName}}
	for i := 2; i <= n; i++ {
		name := fmt.Sprintf("example%d", i)
		sites = append(sites, authtest.Site{
			ID:   fmt.Sprintf("11111111-2222-3333-4444-%012d", i),
			URL:  "https://" + name + ".atlassian.net",
			Name: name,
		})
	}
	return sites
}

func exportLines(opts authtest.Options, base string) string {
	var b strings.Builder
	export := func(k, v string) { fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v)) }
	export("ATL_CLIENT_ID", opts.ClientID)
	if opts.ClientSecret != "" {
		export("ATL_CLIENT_SECRET", opts.ClientSecret)
	}
	export("ATL_CALLBACK_URL", opts.RedirectURI)
	export("ATL_AUTH_URL", base)
	export("ATL_API_URL", base)
	return b.String()
}

// shellQuote quotes s for POSIX shells.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeFileAtomic writes data to a temporary file next to path and renames it
// into place, so a reader sees either no file or the whole content.
func writeFileAtomic(path, data string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.WriteString(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// browse takes the URL as the last argument and ignores any others, since
// it may be started as $BROWSER with extra arguments.
func browse(ctx context.Context, args []string, stderr io.Writer) int {
	if len(args) == 0 || !isURL(args[len(args)-1]) {
		fmt.Fprintln(stderr, "usage: atl-sandbox browse URL")
		return 2
	}
	target := args[len(args)-1]
	client := &http.Client{Timeout: 30 * time.Second}
	status, body, err := authtest.Browse(ctx, client, target)
	if err != nil {
		fmt.Fprintln(stderr, "atl-sandbox browse: error:", err)
		return 1
	}
	fmt.Fprintf(stderr, "atl-sandbox browse: %d %s: %s\n", status, http.StatusText(status), summarize(body))
	if status/100 != 2 {
		return 1
	}
	return 0
}

// summarize reduces a page to one short line of text.
func summarize(body string) string {
	var b strings.Builder
	inTag := false
	for _, r := range body {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
			b.WriteByte(' ')
		case !inTag:
			b.WriteRune(r)
		}
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	if r := []rune(s); len(r) > 120 {
		s = string(r[:117]) + "..."
	}
	return s
}
