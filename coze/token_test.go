package coze

import (
	"fmt"
	"strings"
	"testing"
)

// CheckToken says what is wrong with a token in the words a person who
// pasted it needs: a space, a line break, another character.
func TestCheckTokenSaysWhatIsWrong(t *testing.T) {
	tests := []struct{ tok, want string }{
		{"pat_abc", ""},
		{"pat abc", "holds a space (byte 3)"},
		{"Bearer pat_abc", "holds a space (byte 6)"},
		{"pat_abc\n", "holds a line break (byte 7)"},
		{"pat_\x1babc", "not printable ASCII (byte 4)"},
		{"pat_é", "not printable ASCII (byte 4)"},
	}
	for _, tt := range tests {
		err := CheckToken("$COZE_API_TOKEN", tt.tok)
		if got := fmt.Sprint(err); tt.want == "" && err != nil || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("CheckToken(%q) = %v, want %q", tt.tok, err, tt.want)
		}
	}
}
