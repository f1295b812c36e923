package coze

import "testing"

func noControl(s string) bool { return !needsEscape(s) }

func FuzzSanitize(f *testing.F) {
	f.Add("plain")
	f.Add("\x1b[2J\x1b]52;c;ZXZpbA==\x07\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if out := Sanitize(s); !noControl(out) {
			t.Errorf("Sanitize(%q) = %q still holds control characters", s, out)
		}
	})
}
