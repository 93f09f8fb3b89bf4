package jsoncolor

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
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
