package auth

import "testing"

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain site", "plain site"},
		{"red \x1b[31mALERT\x1b[0m done", "red ALERT done"},
		{"title \x1b]0;pwned\x07 after", "title  after"},
		{"osc st \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "osc st link"},
		{"bell\x07 nul\x00 cr\r nl\n tab\t", "bell nul cr nl tab"},
		{"csi8 \u009b2J gone", "csi8  gone"},
		{"rtl \u202etxt", "rtl txt"},
		{"trailing esc \x1b", "trailing esc "},
		{"ünïcødé ok", "ünïcødé ok"},
	} {
		if got := CleanText(tc.in, 100); got != tc.want {
			t.Errorf("CleanText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := CleanText("abcdef", 3); got != "abc…" {
		t.Errorf("cut: %q", got)
	}
}
