package jsoncolor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

func TestWritePlain(t *testing.T) {
	in := `{"z":1,"a":[true,false,null,{"k":"v"},[]],"e":{},"s":"x\u001b[31my","n":-1.5e3}`
	var b bytes.Buffer
	if err := Write(&b, []byte(in), false); err != nil {
		t.Fatal(err)
	}
	want := `{
  "z": 1,
  "a": [
    true,
    false,
    null,
    {
      "k": "v"
    },
    []
  ],
  "e": {},
  "s": "x\u001b[31my",
  "n": -1.5e3
}
`
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	// Indenting keeps the value.
	var x, y any
	_ = json.Unmarshal([]byte(in), &x)
	_ = json.Unmarshal(b.Bytes(), &y)
	if xb, _ := json.Marshal(x); string(xb) != mustMarshal(y) {
		t.Fatal("the value changed")
	}
}

func mustMarshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestWriteColor(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, []byte(`{"k":["s",1,null,true]}`), true); err != nil {
		t.Fatal(err)
	}
	want := "\x1b[1;39m{\x1b[0m\n  \x1b[34;1m\"k\"\x1b[0m\x1b[1;39m:\x1b[0m \x1b[1;39m[\x1b[0m\n    \x1b[0;32m\"s\"\x1b[0m\x1b[1;39m,\x1b[0m\n    \x1b[0;39m1\x1b[0m\x1b[1;39m,\x1b[0m\n    \x1b[1;30mnull\x1b[0m\x1b[1;39m,\x1b[0m\n    \x1b[0;39mtrue\x1b[0m\n  \x1b[1;39m]\x1b[0m\n\x1b[1;39m}\x1b[0m\n"
	if b.String() != want {
		t.Fatalf("got %q\nwant %q", b.String(), want)
	}
	// Escapes in the data stay escaped: the only ESC bytes are ours.
	b.Reset()
	_ = Write(&b, []byte(`"a\u001b]0;x\u0007b"`), true)
	if strings.Count(b.String(), "\x1b") != 2 || strings.Contains(b.String(), "\x07") {
		t.Fatalf("got %q", b.String())
	}
}

func TestWriteRefusesWhatIsNotOneValue(t *testing.T) {
	for _, in := range []string{"", "{", "1 2", "<html>", `{"a":1}x`} {
		var b bytes.Buffer
		if err := Write(&b, []byte(in), false); err == nil || b.Len() != 0 {
			t.Errorf("Write(%q) = %v, wrote %q", in, err, b.String())
		}
	}
	var b bytes.Buffer
	if err := Write(&b, []byte(" 42 \n"), false); err != nil || b.String() != "42\n" {
		t.Errorf("a bare number: %q, %v", b.String(), err)
	}
}

// invisibles are characters a terminal may act on or hide text with: C1
// controls (U+009B is CSI on VTE and screen; U+0085 is NEL), DEL, bidi
// overrides, embeddings and isolates, marks, zero-width characters, the
// byte order mark, a tag character and the line separator.
var invisibles = []rune{0x7f, 0x80, 0x85, 0x9b, 0x9d, 0x9f, 0x061c, 0x200b, 0x200e, 0x200f, 0x2028, 0x202a, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0xfeff, 0xe0041}

func TestWriteEscapesInvisibleCharacters(t *testing.T) {
	for _, r := range invisibles {
		for _, in := range []string{
			`{"summary":"a` + string(r) + `b"}`,    // raw in the data
			fmt.Sprintf(`{"k%c":"a\u%04x"}`, r, r), // raw in a key; escaped in the data
		} {
			if r > 0xffff && strings.Contains(in, `\u`) {
				continue // not one \u escape
			}
			for _, color := range []bool{false, true} {
				var b bytes.Buffer
				if err := Write(&b, []byte(in), color); err != nil {
					t.Fatalf("Write(%q): %v", in, err)
				}
				if strings.ContainsRune(b.String(), r) {
					t.Fatalf("Write(%q, %v) = %q: %U is raw", in, color, b.String(), r)
				}
				want := fmt.Sprintf(`\u%04x`, r)
				if r > 0xffff {
					r1, r2 := utf16.EncodeRune(r)
					want = fmt.Sprintf(`\u%04x\u%04x`, r1, r2)
				}
				if !strings.Contains(b.String(), want) {
					t.Fatalf("Write(%q) = %q, want %s in it", in, b.String(), want)
				}
				if !color && !sameJSON(in, b.String()) {
					t.Fatalf("Write(%q) = %q: not the same value", in, b.String())
				}
			}
		}
	}
	// What is visible stays as it is.
	var b bytes.Buffer
	_ = Write(&b, []byte(`"ünïcødé ✓ 日本 \ufffd"`), false)
	if b.String() != "\"ünïcødé ✓ 日本 \ufffd\"\n" {
		t.Fatalf("got %q", b.String())
	}
}

// sameJSON reports whether a and b are JSON of the same value.
func sameJSON(a, b string) bool {
	x, errX := decode(a)
	y, errY := decode(b)
	return errX == nil && errY == nil && mustMarshal(x) == mustMarshal(y)
}

// decode decodes JSON, keeping numbers as they are written.
func decode(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a":[1,"x"]}`, `{"a":[1,"x"]}`},
		{"{\n\t\"a\": 1\r\n}", "{\n\t\"a\": 1\r\n}"}, // white space between values stays
		{"[\"\u009b2J\",\"\u202eevil\"]", `["\u009b2J","\u202eevil"]`},
		{"\"\u200e\u200f\u2066\u2067\u2068\u2069\ufeff\u061c\u0085\"", `"\u200e\u200f\u2066\u2067\u2068\u2069\ufeff\u061c\u0085"`},
		{"\"tag \U000e0041\"", `"tag \udb40\udc41"`},
		{"\"bad \xff byte\"", `"bad \ufffd byte"`},
		{"\"kept \ufffd\"", "\"kept \ufffd\""},
	} {
		got := Escape([]byte(tc.in))
		if string(got) != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if json.Valid([]byte(tc.in)) && !sameJSON(tc.in, string(got)) {
			t.Errorf("Escape(%q) = %q: not the same value", tc.in, got)
		}
	}
}

func FuzzWrite(f *testing.F) {
	for _, s := range []string{`{"a":[1,true,null,"x"]}`, "\"\u009b2J\"", "{\"\u202e\":\"\u2066x\u2069\"}", `"\u001b]0;t\u0007"`,
		"[\"\U000e0041\",\"\ufeff\"]", "\"\xff\"", `1e400`, `{"a":{"b":[[],{}]}}`} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, color bool) {
		var b bytes.Buffer
		if err := Write(&b, data, color); err != nil {
			if b.Len() != 0 {
				t.Fatalf("Write(%q) failed (%v) and wrote %q", data, err, b.String())
			}
			return
		}
		out := b.String()
		if color {
			out = strings.NewReplacer(colorNull, "", colorPlain, "", colorString, "", colorKey, "", colorDelim, "", colorReset, "").Replace(out)
		}
		for _, r := range out {
			if r != '\n' && (unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)) {
				t.Fatalf("Write(%q) = %q keeps %U", data, out, r)
			}
		}
		if !utf8.ValidString(out) {
			t.Fatalf("Write(%q) = %q is not UTF-8", data, out)
		}
		if !sameJSON(string(data), out) {
			t.Fatalf("Write(%q) = %q: not the same value", data, out)
		}
		if got := Escape([]byte(out)); string(got) != out {
			t.Fatalf("Escape changes Write's output %q to %q", out, got)
		}
	})
}
