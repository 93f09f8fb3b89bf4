package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeAndBrowse(t *testing.T) {
	var mu sync.Mutex
	var gotCode string
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotCode = r.URL.Query().Get("code")
		mu.Unlock()
		io.WriteString(w, "<html><body><h1>Signed in</h1></body></html>")
	}))
	defer cb.Close()

	envFile := filepath.Join(t.TempDir(), "sandbox.env")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "-callback", cb.URL + "/callback", "-sites", "2", "-env-file", envFile}, &stdout, &stderr)
	}()

	var data []byte
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var err error
		if data, err = os.ReadFile(envFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("env file never appeared; stderr: %s", stderr.String())
		}
	}
	if string(data) != stdout.String() {
		t.Errorf("env file %q != stdout %q", data, stdout.String())
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok || !strings.HasPrefix(line, "export ") {
			t.Fatalf("bad line %q", line)
		}
		env[k] = strings.Trim(v, "'")
	}
	if env["ATL_CLIENT_ID"] != "sandbox-client" || env["ATL_CLIENT_SECRET"] != "sandbox-secret" ||
		env["ATL_CALLBACK_URL"] != cb.URL+"/callback" || env["ATL_AUTH_URL"] == "" || env["ATL_API_URL"] != env["ATL_AUTH_URL"] {
		t.Fatalf("env = %v", env)
	}

	q := url.Values{
		"audience": {"api.atlassian.com"}, "client_id": {env["ATL_CLIENT_ID"]}, "scope": {"read:me offline_access"},
		"redirect_uri": {env["ATL_CALLBACK_URL"]}, "state": {"xyz"}, "response_type": {"code"},
		"code_challenge": {authtest.S256Challenge(strings.Repeat("v", 43))}, "code_challenge_method": {"S256"},
	}
	var berr bytes.Buffer
	if code := run(context.Background(), []string{"bogus"}, io.Discard, &berr); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
	if code := run(context.Background(), []string{"browse", "--new-window", env["ATL_AUTH_URL"] + "/authorize?" + q.Encode()}, io.Discard, &berr); code != 0 {
		t.Fatalf("browse exit %d: %s", code, berr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if gotCode == "" || !strings.Contains(berr.String(), "200 OK: Signed in") {
		t.Errorf("code %q, stderr %q", gotCode, berr.String())
	}
	berr.Reset()
	q.Set("redirect_uri", "http://127.0.0.1:1/elsewhere")
	if code := run(context.Background(), []string{env["ATL_AUTH_URL"] + "/authorize?" + q.Encode()}, io.Discard, &berr); code != 1 {
		t.Errorf("browse with a bad redirect_uri: exit %d: %s", code, berr.String())
	}

	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(envFile); !os.IsNotExist(err) {
		t.Errorf("env file not removed: %v", err)
	}
}

func TestShellQuote(t *testing.T) {
	if got := shellQuote("it's"); got != `'it'\''s'` {
		t.Errorf("shellQuote = %s", got)
	}
}

func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	envFile, caFile := filepath.Join(dir, "sandbox.env"), filepath.Join(dir, "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"serve", "-tls-ca", caFile, "-env-file", envFile}, &stdout, &stderr) }()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(envFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("env file never appeared; stderr: %s", stderr.String())
		}
	}
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("not a PEM certificate: %q", pemBytes)
	}
	_, api, _ := strings.Cut(stdout.String(), "ATL_API_URL='")
	api, _, _ = strings.Cut(api, "'")
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = roots
	resp, err := (&http.Client{Transport: tr}).Get(api + "/me")
	if err != nil {
		t.Fatalf("GET %s/me: %v", api, err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(api, "https://127.0.0.1:") || resp.StatusCode != 401 || resp.ProtoMajor != 2 {
		t.Fatalf("%s: %s %s", api, resp.Proto, resp.Status)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(caFile); !os.IsNotExist(err) {
		t.Errorf("CA file not removed: %v", err)
	}
}
