package qr

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDraw(t *testing.T) {
	code := Draw("https://www.coze.test/device?user_code=BCDF-GHJK")
	lines := strings.Split(code, "\n")
	// Version 3 (29 modules) and a one-module quiet zone, two modules a row.
	if w, h := utf8.RuneCountInString(lines[0]), len(lines); w != 31 || h != 16 {
		t.Errorf("QR code is %dx%d, want 31x16:\n%s", w, h, code)
	}
	if strings.Trim(code, "█▀▄ \n") != "" {
		t.Errorf("QR code has other characters than half blocks:\n%s", code)
	}
	if Draw(strings.Repeat("x", MaxURL+1)) != "" || Draw("") != "" {
		t.Error("an address too long (or empty) was drawn")
	}
}
