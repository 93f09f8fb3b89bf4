package cli_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
)

func TestBrowserCommandGetsURLLastAndNoSecret(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a shell script")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "browser")
	record := filepath.Join(dir, "record")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > "+record+".tmp\nenv >> "+record+".tmp\nmv "+record+".tmp "+record+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	f, _, _, _ := clitest.NewFactory(t, map[string]string{"ATL_BROWSER": script + " --new-window"})
	f.Environ = func() []string { return []string{"PATH=/usr/bin:/bin", "ATL_CLIENT_SECRET=s3cret", "HOME=/home/x"} }
	if err := f.OpenBrowser("http://example.test/authorize?x=1"); err != nil {
		t.Fatal(err)
	}
	var b []byte
	for i := 0; i < 200; i++ {
		if b, _ = os.ReadFile(record); len(b) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 2 || lines[0] != "--new-window" || lines[1] != "http://example.test/authorize?x=1" {
		t.Fatalf("browser args = %q", lines)
	}
	if strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), "HOME=/home/x") {
		t.Fatalf("browser environment wrong:\n%s", b)
	}
}

func TestABlankBrowserVariableIsUnset(t *testing.T) {
	for _, env := range []map[string]string{
		{"ATL_BROWSER": " "},
		{"ATL_BROWSER": "\t", "BROWSER": "  "},
		{"BROWSER": " "},
	} {
		f, _, _, _ := clitest.NewFactory(t, env)
		opened := ""
		f.OpenURL = func(u string) error { opened = u; return nil }
		if err := f.OpenBrowser("http://127.0.0.1:1/start?k=x"); err != nil || opened != "http://127.0.0.1:1/start?k=x" {
			t.Errorf("%v: err %v, system browser got %q", env, err, opened)
		}
	}
}
