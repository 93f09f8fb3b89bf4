// Package jsoncolor writes JSON indented, and coloured for a terminal, as
// jq does, keeping the order of object keys, with every invisible
// character in its strings escaped.
package jsoncolor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The colours of jq's default palette.
const (
	colorNull   = "\x1b[1;30m"
	colorPlain  = "\x1b[0;39m" // numbers, true, false
	colorString = "\x1b[0;32m"
	colorKey    = "\x1b[34;1m"
	colorDelim  = "\x1b[1;39m"
	colorReset  = "\x1b[0m"
)

// Write writes the JSON value in data to w, indented by two spaces, with
// colour when color is set. Strings are written as encoding/json escapes
// them and with Escape's escapes, so no control or format character in the
// data (C0, DEL, C1 such as U+009B, bidi overrides such as U+202E) reaches
// w raw. Data that is not one JSON value is an error, and nothing is
// written.
func Write(w io.Writer, data []byte, color bool) error {
	if !json.Valid(data) {
		return errors.New("not a JSON value")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := printer{color: color}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		p.token(tok)
	}
	p.b.WriteByte('\n')
	_, err := io.WriteString(w, p.b.String())
	return err
}

// frame is an object or array being written.
type frame struct {
	object bool
	n      int  // members or elements so far
	key    bool // in an object: the next token is a key
}

// token writes the next token of the value.
func (p *printer) token(tok json.Token) {
	var top *frame
	if len(p.stack) > 0 {
		top = &p.stack[len(p.stack)-1]
	}
	if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
		p.end(d)
		return
	}
	if s, ok := tok.(string); ok && top != nil && top.object && top.key {
		p.key(top, s)
		return
	}
	if top != nil && !top.object {
		if top.n > 0 {
			p.paint(colorDelim, ",")
		}
		p.newline(len(p.stack))
		top.n++
	}
	switch t := tok.(type) {
	case json.Delim:
		p.paint(colorDelim, string(t))
		p.stack = append(p.stack, frame{object: t == '{', key: t == '{'})
		return
	case nil:
		p.paint(colorNull, "null")
	case bool:
		p.paint(colorPlain, strconv.FormatBool(t))
	case json.Number:
		p.paint(colorPlain, t.String())
	case string:
		p.paint(colorString, quote(t))
	}
	if top != nil && top.object {
		top.key = true
	}
}

// end closes the object or array being written with d.
func (p *printer) end(d json.Delim) {
	f := p.stack[len(p.stack)-1]
	p.stack = p.stack[:len(p.stack)-1]
	if f.n > 0 {
		p.newline(len(p.stack))
	}
	p.paint(colorDelim, string(d))
	if len(p.stack) > 0 && p.stack[len(p.stack)-1].object {
		p.stack[len(p.stack)-1].key = true
	}
}

// key writes an object's member name.
func (p *printer) key(top *frame, s string) {
	if top.n > 0 {
		p.paint(colorDelim, ",")
	}
	p.newline(len(p.stack))
	p.paint(colorKey, quote(s))
	p.paint(colorDelim, ":")
	p.b.WriteByte(' ')
	top.key = false
	top.n++
}

type printer struct {
	b     strings.Builder
	color bool
	stack []frame
}

func (p *printer) paint(color, s string) {
	if p.color {
		p.b.WriteString(color + s + colorReset)
		return
	}
	p.b.WriteString(s)
}

func (p *printer) newline(depth int) {
	p.b.WriteByte('\n')
	p.b.WriteString(strings.Repeat("  ", depth))
}

func quote(s string) string {
	b, _ := json.Marshal(s) // escapes C0 controls, <, >, &, U+2028 and U+2029
	return string(Escape(b))
}

// escaped reports whether Escape writes r as an escape: a control (Unicode
// Cc: C0, DEL, C1) or format character (Cf: bidi controls, zero-width
// characters, the byte order mark, tags), or a line or paragraph separator
// (Zl, Zp); but not the tab, newline and carriage return that JSON allows
// as white space between values.
func escaped(r rune) bool {
	return r != '\t' && r != '\n' && r != '\r' && unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
}

// Escape returns the JSON text b with each character escaped writes as a
// \uXXXX escape (a pair of them beyond U+FFFF), and each byte that is not
// UTF-8 as \ufffd. In valid JSON, raw tabs, newlines and carriage returns
// only stand between values and the others only inside strings, so the
// result is valid JSON of the same value (as a decoder reads it), safe to
// print on a terminal. b is returned as it is when there is nothing to
// change.
func Escape(b []byte) []byte {
	i := bytes.IndexFunc(b, func(r rune) bool { return r == utf8.RuneError || escaped(r) })
	if i < 0 {
		return b
	}
	out := append(make([]byte, 0, len(b)+16), b[:i]...)
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = append(out, `\ufffd`...)
		case !escaped(r):
			out = append(out, b[i:i+n]...)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += n
	}
	return out
}
