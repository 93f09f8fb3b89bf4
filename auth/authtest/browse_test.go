package authtest

import "testing"

func TestParseForm(t *testing.T) {
	f, ok := parseForm(`<p>x</p><FORM Method='POST' action="/a?x=1&amp;y=2"><input type=hidden name=a value="1 &amp; 2">` +
		`<input type="checkbox" name="c"><input type="checkbox" name="d" checked><input type="submit" name="s" value="go">` +
		`<input name="t" value='q"'></form>`)
	if !ok || f.method != "POST" || f.action != "/a?x=1&y=2" || f.fields.Encode() != "a=1+%26+2&d=on&t=q%22" {
		t.Errorf("parseForm = %+v %v", f, ok)
	}
	if _, ok := parseForm("<html>no form</html>"); ok {
		t.Error("parseForm found a form in a page without one")
	}
}
