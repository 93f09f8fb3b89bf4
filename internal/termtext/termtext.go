// Package termtext makes text that came from a server safe to print on a
// terminal.
package termtext

import (
	"strings"
	"unicode"
)

// Clean makes s safe to show on a terminal: escape sequences (CSI, OSC,
// DCS, APC, PM and two-character ESC sequences) are removed whole, other
// control and format characters dropped, and the result cut to max runes
// (with an ellipsis when something was cut).
func Clean(s string, max int) string {
	var b strings.Builder
	rs := []rune(s)
	n := 0
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == 0x1b || r == 0x9b || r == 0x9d {
			i = skipEscape(rs, i)
			continue
		}
		if unicode.IsControl(r) || r == unicode.ReplacementChar || unicode.Is(unicode.Cf, r) {
			continue
		}
		if n >= max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// Lines is Clean for text of several lines: newlines and tabs are kept,
// every other control character and escape sequence removed, and nothing
// is cut.
func Lines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		parts := strings.Split(l, "\t")
		for j, p := range parts {
			parts[j] = Clean(p, len(p)+1)
		}
		lines[i] = strings.Join(parts, "\t")
	}
	return strings.Join(lines, "\n")
}

// OneLine folds s onto one line (runs of white space become one space)
// and cleans it, keeping at most max runes.
func OneLine(s string, max int) string {
	return Clean(strings.Join(strings.Fields(s), " "), max)
}

// skipEscape returns the index of the last rune of the escape sequence
// starting at rs[i].
func skipEscape(rs []rune, i int) int {
	kind := rs[i]
	if kind == 0x1b {
		if i+1 >= len(rs) {
			return i
		}
		switch rs[i+1] {
		case '[':
			kind = 0x9b
		case ']', 'P', '_', '^':
			kind = 0x9d
		default:
			return i + 1 // a two-character escape, such as ESC c
		}
		i++
	}
	for j := i + 1; j < len(rs); j++ {
		switch {
		case kind == 0x9b && rs[j] >= 0x40 && rs[j] <= 0x7e:
			return j
		case kind == 0x9d && (rs[j] == 0x07 || rs[j] == 0x9c):
			return j
		case kind == 0x9d && rs[j] == 0x1b && j+1 < len(rs) && rs[j+1] == '\\':
			return j + 1
		}
	}
	return len(rs) - 1
}
