package cli

import (
	"strings"
	"testing"
)

func TestParseScopes(t *testing.T) {
	got, err := ParseScopes([]string{"offline_access read:me", "read:me", "read:jira-user"})
	if err != nil || strings.Join(got, " ") != "offline_access read:me read:jira-user" {
		t.Fatalf("got %v %v", got, err)
	}
	if got, err := ParseScopes(nil); got != nil || err != nil {
		t.Fatalf("no --scopes = %v, %v; want nil (config.json's or the defaults)", got, err)
	}
	if _, err := ParseScopes([]string{" "}); err == nil {
		t.Fatal("empty scopes accepted")
	}
}

func TestReadSecret(t *testing.T) {
	if s, err := readSecret(strings.NewReader("  abc \nrest")); err != nil || s != "abc" {
		t.Fatalf("got %q %v", s, err)
	}
	if _, err := readSecret(strings.NewReader("")); err == nil {
		t.Fatal("empty secret accepted")
	}
}
