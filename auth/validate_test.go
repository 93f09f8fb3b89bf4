package auth

import (
	"strings"
	"testing"
)

// The checks of what Atlassian's servers send, written by hand instead of
// as regular expressions (which cost atl token's start-up).

func TestValidCloudID(t *testing.T) {
	for s, want := range map[string]bool{
		"11223344-5566-7788-99aa-bbccddeeff00":  true,
		"ABCDEF01-2345-6789-abcd-ef0123456789":  true,
		"11223344-5566-7788-99aa-bbccddeeff0":   false, // short
		"11223344-5566-7788-99aa-bbccddeeff000": false, // long
		"1122334455-66-7788-99aa-bbccddeeff00":  false, // dash misplaced
		"11223344-5566-7788-99aa-bbccddeeff0g":  false,
		"11223344-5566-7788-99aa-bbccddeeff0/":  false, // just below '0'
		"11223344-5566-7788-99aa-bbccddeeff0:":  false, // just above '9'
		"11223344-5566-7788-99aa-bbccddeeff0`":  false, // just below 'a'
		"11223344-5566-7788-99aa-bbccddeeff0@":  false, // just below 'A'
		"11223344-5566-7788-99aa-bbccddeeff0G":  false,
		"11223344x5566-7788-99aa-bbccddeeff00":  false,
		"":                                      false,
		"../../../../../../../../../../../../":  false,
	} {
		if got := validCloudID(s); got != want {
			t.Errorf("validCloudID(%q) = %v", s, got)
		}
	}
}

func TestValidAccountID(t *testing.T) {
	for s, want := range map[string]bool{
		"557058:f58131cb-b67d-43c7-b30d-6b58d40bd077": true,
		"5b10ac8d82e05b22cc7d4ef5":                    true,
		"Az09:_-":                                     true,
		"aZ":                                          true, // the other ends of the letter ranges
		strings.Repeat("a", 128):                      true,
		strings.Repeat("a", 129):                      false,
		"":                                            false,
		"a b":                                         false, "a/b": false, "a\x1b": false, "ü": false, "a@b": false, "a[b": false, "a{b": false, "a`b": false,
	} {
		if got := validAccountID(s); got != want {
			t.Errorf("validAccountID(%q) = %v", s, got)
		}
	}
}

func TestValidScope(t *testing.T) {
	for s, want := range map[string]bool{
		"read:jira-work":                  true,
		"offline_access read:me":          true,
		"read:jira-work  write:jira-work": true, // empty tokens between spaces are skipped
		"":                                true,
		"!#[]~":                           true,
		`a"b`:                             false,
		`a\b`:                             false,
		"a\tb":                            false,
		"a\x7f":                           false,
		"ü":                               false,
	} {
		if got := validScope(s); got != want {
			t.Errorf("validScope(%q) = %v", s, got)
		}
	}
	if validScopeToken("") {
		t.Error("an empty scope token is valid")
	}
	// At most 4096 bytes in all.
	long := strings.Repeat("a ", 2048)
	if !validScope(long[:4096]) || validScope(long+"a") {
		t.Error("the 4096-byte limit of a scope list")
	}
}
