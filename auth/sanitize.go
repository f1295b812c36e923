package auth

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

// MaxTokenLen bounds an access or refresh token. Coze's are well under
// 200 bytes; a longer one is a broken or hostile answer.
const MaxTokenLen = 4096

// CheckToken tells why a token (from an answer, or given by a person)
// cannot be used: tokens are printed for scripts and sent in headers, so
// they must be printable ASCII without spaces, and bounded. name says what
// the token is, for the error.
func CheckToken(name, tok string) error {
	if len(tok) > MaxTokenLen {
		return fmt.Errorf("the %s is %d bytes long (at most %d)", name, len(tok), MaxTokenLen)
	}
	for i := 0; i < len(tok); i++ {
		switch c := tok[i]; {
		case c == ' ':
			return fmt.Errorf("the %s holds a space (byte %d): a token is one word, with no \"Bearer \" or second token", name, i)
		case c == '\n' || c == '\r':
			return fmt.Errorf("the %s holds a line break (byte %d): it was pasted with a newline", name, i)
		case c < ' ' || c >= 0x7f:
			return fmt.Errorf("the %s holds a character that is not printable ASCII (byte %d)", name, i)
		}
	}
	return nil
}
