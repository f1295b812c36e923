package coze

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sanitize makes server-chosen text safe to print on a terminal: control
// characters (C0, DEL, C1), the bidirectional overrides that reorder what a
// person reads, and bytes that are not UTF-8 are escaped as \xNN or \uNNNN.
// An error message must not clear a screen, move the cursor, set a window
// title or write the clipboard (OSC 52).
func Sanitize(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case isHiddenRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r < 0x20 || r == 0x7f || isHiddenRune(r) {
			return true
		}
		i += size
	}
	return false
}

// isHiddenRune is a C1 control or a bidirectional control.
func isHiddenRune(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}
