package termtext

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain site", "plain site"},
		{"red \x1b[31mALERT\x1b[0m done", "red ALERT done"},
		{"title \x1b]0;pwned\x07 after", "title  after"},
		{"osc st \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "osc st link"},
		{"osc c1 st \x1b]0;t\u009cafter", "osc c1 st after"},
		{"dcs \x1bPq#0\x1b\\after", "dcs after"},
		{"apc \x1b_x\x07after", "apc after"},
		{"pm \x1b^x\x07after", "pm after"},
		{"bell\x07 nul\x00 cr\r nl\n tab\t", "bell nul cr nl tab"},
		{"csi8 \u009b2J gone", "csi8  gone"},
		{"osc8 \u009d0;t\x07 gone", "osc8  gone"},
		{"reset \x1bc screen", "reset  screen"},
		{"keypad \x1b= mode", "keypad  mode"},
		{"unterminated csi \x1b[31", "unterminated csi "},
		{"unterminated osc \x1b]0;title", "unterminated osc "},
		{"rtl \u202etxt", "rtl txt"},
		{"bad utf8 \xff end", "bad utf8  end"},
		{"trailing esc \x1b", "trailing esc "},
		{"ünïcødé ok", "ünïcødé ok"},
		{"csi8 at the end \u009b", "csi8 at the end "},
		{"nel \u0085 c1 \u0080\u0090\u009c\u009e\u009f", "nel  c1 "},
		{"del \x7f", "del "},
		{"bidi \u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069 end", "bidi  end"},
		{"marks \u200e\u200f\u061c zero width \u200b\u200d\ufeff tag \U000e0041", "marks  zero width  tag "},
	} {
		if got := Clean(tc.in, 100); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abcdef", 3, "abc…"},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"\x1b[1mab\x1b[0mc", 3, "abc"},
		{"ü ü ü", 3, "ü ü…"},
		{"", 3, ""},
	} {
		if got := Clean(tc.in, tc.max); got != tc.want {
			t.Errorf("Clean(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	if got := OneLine("multi\nline\x1b[31m  error\t here ", 100); got != "multi line error here" {
		t.Errorf("OneLine = %q", got)
	}
	if got := OneLine("a b c d", 3); got != "a b…" {
		t.Errorf("OneLine cut = %q", got)
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred", "\x1b]0;t\x07", "\u009b2J", "\x1bc", "a\x00b", "\xff", "\u0085\u202e\u2066\u200e\ufeff\u061c", "\U000e0041"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1000 {
			return
		}
		got := Clean(s, max)
		for _, r := range got {
			if unicode.In(r, unicode.Cc, unicode.Cf) || r == utf8.RuneError {
				t.Fatalf("Clean(%q) = %q keeps control or format character %U", s, got, r)
			}
		}
		if n := len([]rune(got)); n > max+1 {
			t.Fatalf("Clean(%q, %d) has %d runes", s, max, n)
		}
	})
}

func TestLines(t *testing.T) {
	in := "line 1\n\tindented \x1b[31mred\x1b[0m\r\nbell\x07\n\x1b]0;title\x07end"
	if got, want := Lines(in), "line 1\n\tindented red\nbell\nend"; got != want {
		t.Fatalf("Lines = %q, want %q", got, want)
	}
	in = "c1 \u009b31m\tred\u0085\n\u202egnp.exe\u2066x\u2069 \u200e\u200f\ufeff\u061cend\n"
	if got, want := Lines(in), "c1 \tred\ngnp.exex end\n"; got != want {
		t.Fatalf("Lines = %q, want %q", got, want)
	}
}
