package ui

import "testing"

func TestTrimRight(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"abc   ", "abc"},
		{"abc", "abc"},
		{"\x1b[38;2;1;2;3mabc   \x1b[m", "\x1b[38;2;1;2;3mabc\x1b[m"},
		{"abc\x1b[38;2;7;48;3m     \x1b[m", "abc\x1b[m"},                     // padding in a colour whose numbers look like attributes
		{"abc\x1b[7m \x1b[m\x1b[38;2;1;2;3m    \x1b[m", "abc\x1b[7m \x1b[m"}, // a cursor at the end stays
		{"abc\x1b[38;2;1;2;3;7m \x1b[m   ", "abc\x1b[38;2;1;2;3;7m \x1b[m"},  // a coloured cursor too
		{"abc\x1b[48;5;4m  \x1b[m  ", "abc\x1b[48;5;4m  \x1b[m"},             // a background shows
		{"\x1b[1mcozeauth\x1b[m", "\x1b[1mcozeauth\x1b[m"},
	} {
		if got := trimRight(tt.in); got != tt.want {
			t.Errorf("trimRight(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
