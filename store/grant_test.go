package store

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func sameGrant(a, b Grant) bool {
	a.Expiry, b.Expiry = a.Expiry.UTC(), b.Expiry.UTC()
	return a == b
}

func TestGrantRoundTrip(t *testing.T) {
	cases := []Grant{
		{RefreshToken: "r"},
		{RefreshToken: "rt-" + strings.Repeat("x", 4000), AccessToken: "eyJ" + strings.Repeat("a", 3000), TokenType: "Bearer",
			Expiry: time.Date(2031, 2, 3, 4, 5, 6, 789, time.UTC), ClientSecret: "s3cret"},
		{RefreshToken: "r", Expiry: time.Date(2030, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600))},
		{RefreshToken: "eyJ.a-b_c~d+e/f==", AccessToken: "a", AuthURL: "https://auth.example.test", APIURL: "https://api.example.test",
			ClientID: "ünïcødé \"client\"", AccountID: "557058:f58131cb", ConfigDir: "/home/ada/.config/atl"},
	}
	for _, g := range cases {
		enc, err := EncodeGrant(g)
		if err != nil {
			t.Fatalf("EncodeGrant: %v", err)
		}
		got, err := DecodeGrant(enc)
		if err != nil {
			t.Fatalf("DecodeGrant(%.60q): %v", enc, err)
		}
		if !sameGrant(got, g) {
			t.Errorf("round trip changed the grant:\n got %+v\nwant %+v", got, g)
		}
		if !strings.Contains(enc, `"v":2`) {
			t.Errorf("encoding %.60q carries no version", enc)
		}
	}
}

func TestGrantEncodingOmitsZeroFields(t *testing.T) {
	enc, err := EncodeGrant(Grant{RefreshToken: "r"})
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"access_token", "expiry", "client_secret", "token_type", "auth_url", "api_url", "client_id", "account_id", "config_dir"} {
		if strings.Contains(enc, field) {
			t.Errorf("%s in %s", field, enc)
		}
	}
}

func TestDecodeGrantVersion1(t *testing.T) {
	g, err := DecodeGrant(`{"v":1,"refresh_token":"r","access_token":"a","client_secret":"s"}`)
	if err != nil || g != (Grant{RefreshToken: "r", AccessToken: "a", ClientSecret: "s"}) {
		t.Fatalf("DecodeGrant(v1) = %+v, %v", g, err)
	}
}

func TestValidToken(t *testing.T) {
	for s, want := range map[string]bool{
		"abc": true, "eyJhbGciOi.eyJzdWIi.SflKx-_~+/": true, "YWJj==": true, "a=": true,
		"": false, "a b": false, "a\x1b": false, "a\n": false, "=a": false, "a=b": false, "ü": false, `a"`: false,
		strings.Repeat("a", MaxSecretSize): true, strings.Repeat("a", MaxSecretSize+1): false,
	} {
		if got := ValidToken(s); got != want {
			t.Errorf("ValidToken(%.20q) = %v, want %v", s, got, want)
		}
	}
}

func TestDecodeGrantCorrupt(t *testing.T) {
	valid, err := EncodeGrant(Grant{RefreshToken: "r", AccessToken: "a"})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":                 "",
		"whitespace":            " \n",
		"truncated":             valid[:len(valid)-1],
		"truncated half":        valid[:len(valid)/2],
		"empty object":          "{}",
		"null":                  "null",
		"array":                 `[1,2]`,
		"string":                `"r"`,
		"number":                `1`,
		"unknown version":       `{"v":3,"refresh_token":"r"}`,
		"version zero":          `{"v":0,"refresh_token":"r"}`,
		"negative version":      `{"v":-1,"refresh_token":"r"}`,
		"version as string":     `{"v":"1","refresh_token":"r"}`,
		"version as float":      `{"v":1.5,"refresh_token":"r"}`,
		"no version":            `{"refresh_token":"r"}`,
		"missing refresh token": `{"v":1,"access_token":"a"}`,
		"empty refresh token":   `{"v":1,"refresh_token":""}`,
		"refresh token number":  `{"v":1,"refresh_token":5}`,
		"bad expiry":            `{"v":1,"refresh_token":"r","expiry":"tomorrow"}`,
		"trailing garbage":      valid + "x",
		"foreign":               "hunter2",
		"chunk head":            chunkHead + "g:1:0123456789abcdef",
		"binary":                "\x00\xff\xfe",
		"escape in refresh":     `{"v":2,"refresh_token":"r\u001b[31m"}`,
		"space in access":       `{"v":2,"refresh_token":"r","access_token":"a b"}`,
		"newline in access":     `{"v":1,"refresh_token":"r","access_token":"a\n"}`,
		"padding inside":        `{"v":2,"refresh_token":"r=r"}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			g, err := DecodeGrant(in)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("DecodeGrant(%q) = %+v, %v; want ErrCorrupt", in, g, err)
			}
			if g != (Grant{}) {
				t.Errorf("DecodeGrant returned %+v along with the error", g)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q repeats the stored secret", err)
			}
		})
	}
}

func FuzzDecodeGrant(f *testing.F) {
	for _, g := range []Grant{
		{RefreshToken: "r"},
		{RefreshToken: "r", AccessToken: "a", TokenType: "Bearer", Expiry: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), ClientSecret: "s"},
		{AccessToken: "a", TokenType: "Bearer", Expiry: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), ClientSecret: "s"}, // a service account's
	} {
		enc, err := EncodeGrant(g)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Add("")
	f.Add("hunter2")
	f.Add(`{"v":1,"refresh_token":"r","expiry":"2030-01-01T00:00:00+01:00"}`)
	f.Fuzz(func(t *testing.T, s string) {
		g, err := DecodeGrant(s)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("DecodeGrant error %v is not ErrCorrupt", err)
			}
			return
		}
		if g.RefreshToken == "" && g.ClientSecret == "" {
			t.Fatal("decoded a grant with neither a refresh token nor a client secret (a service account's)")
		}
		enc, err := EncodeGrant(g)
		if err != nil {
			t.Fatalf("EncodeGrant of a decoded grant: %v", err)
		}
		g2, err := DecodeGrant(enc)
		if err != nil {
			t.Fatalf("DecodeGrant(EncodeGrant(g)) = %v for %q", err, enc)
		}
		if !sameGrant(g, g2) {
			t.Fatalf("re-decoded grant differs:\n got %+v\nwant %+v", g2, g)
		}
	})
}

func TestSameServer(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"https://auth.atlassian.com", "https://auth.atlassian.com/", true},
		{"https://Auth.Example.TEST/", "https://auth.example.test", true},
		{"HTTP://127.0.0.1:8080/a/", "http://127.0.0.1:8080/a", true},
		{"http://127.0.0.1:8080/a", "http://127.0.0.1:8080/A", false}, // the path keeps its case
		{"https://auth.atlassian.com", "https://auth.example.test", false},
		{"https://auth.atlassian.com", "http://auth.atlassian.com", false},
		{"https://auth.atlassian.com:8443", "https://auth.atlassian.com", false},
	} {
		if got := SameServer(tc.a, tc.b); got != tc.same {
			t.Errorf("SameServer(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
