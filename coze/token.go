package coze

import "fmt"

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
