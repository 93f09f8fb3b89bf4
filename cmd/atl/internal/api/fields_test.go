package api

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atl-cli/atl/cmd/atl/internal/cli"
)

func TestFieldsMakeABody(t *testing.T) {
	fields, err := parseFields([]string{"a=1", "n[x]=s", "list[]=x"}, []string{"b=2", "f=1.5", "t=true", "z=null", "s=0x10", "n[y][z]=false", "list[]=3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := body(fields)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(b)
	if want := `{"a":"1","b":2,"f":1.5,"list":["x",3],"n":{"x":"s","y":{"z":false}},"s":"0x10","t":true,"z":null}`; string(got) != want {
		t.Fatalf("body = %s, want %s", got, want)
	}
	for _, bad := range [][]string{{"a=1", "a[b]=2"}, {"a[b]=1", "a=2"}, {"a=1", "a[]=2"}, {"a[]=1", "a=2"}, {"a=1", "a=2"}, {"[x]=1"}, {"a[b=1"}, {"a[][b]=1"}} {
		fs, err := parseFields(bad, nil, nil)
		if err == nil {
			_, err = body(fs)
		}
		var ue *cli.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
	for _, bad := range []string{"novalue", "=x"} {
		if _, err := parseFields([]string{bad}, nil, nil); err == nil {
			t.Errorf("-f %q accepted", bad)
		}
		if _, err := parseFields(nil, []string{bad}, nil); err == nil {
			t.Errorf("-F %q accepted", bad)
		}
	}
	q := url.Values{}
	query(q, fields)
	if q.Get("n[y][z]") != "false" || q.Get("z") != "" || strings.Join(q["list[]"], ",") != "x,3" {
		t.Fatalf("query %v", q)
	}
	stdin, err := parseFields(nil, []string{"d=@-"}, strings.NewReader("from stdin"))
	if err != nil || stdin[0].value != "from stdin" {
		t.Fatalf("@-: %+v %v", stdin, err)
	}
	if _, err := parseFields(nil, []string{"d=@/nonexistent/file"}, nil); err == nil {
		t.Fatal("a missing @file was accepted")
	}
}

func TestFieldsAndInputShareTheBodyLimit(t *testing.T) {
	big := strings.NewReader(strings.Repeat("x", maxBodySize+1))
	if _, err := parseFields(nil, []string{"d=@-"}, big); err == nil || !strings.Contains(err.Error(), "larger than 67108864 bytes") {
		t.Fatalf("-F d=@- of maxBodySize+1 bytes: %v", err)
	}
	file := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(file, []byte(strings.Repeat("x", maxBodySize)), 0o600); err != nil {
		t.Fatal(err)
	}
	if fs, err := parseFields(nil, []string{"d=@" + file}, nil); err != nil || len(fs[0].value.(string)) != maxBodySize {
		t.Fatalf("-F d=@file of exactly maxBodySize bytes: %v", err)
	}
	if err := os.Truncate(file, maxBodySize+1); err != nil {
		t.Fatal(err)
	}
	if _, err := parseFields(nil, []string{"d=@" + file}, nil); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("-F d=@file of maxBodySize+1 bytes: %v", err)
	}
	if _, err := readBody("--input", file, nil); err == nil || err.Error() != "--input is larger than 67108864 bytes" {
		t.Fatalf("--input of maxBodySize+1 bytes: %v", err)
	}
}
