package cli

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// The address and the code come after the QR code and stay on screen: the
// QR code is left out when it would push them off a terminal.
func TestWriteDeviceCode(t *testing.T) {
	t.Parallel()
	const address = "https://www.coze.com/open/oauth/device?user_code=XFZS-VHXS"
	tests := []struct {
		name       string
		rows, cols int
		wantQR     bool
	}{
		{"not a terminal", 0, 80, true},
		{"80x24", 24, 80, true},
		{"60x20", 20, 60, false},
		{"120x40", 40, 120, true},
		{"too narrow for the QR code", 40, 34, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := writeDeviceCode(&b, address, "XFZS-VHXS", tt.rows, tt.cols); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			hasQR := strings.Contains(out, "█")
			if hasQR != tt.wantQR {
				t.Errorf("QR code shown: %v, want %v\n%s", hasQR, tt.wantQR, out)
			}
			addr, code := strings.Index(out, address), strings.Index(out, "X F Z S - V H X S")
			if addr < 0 || code < addr {
				t.Fatalf("the address, then the code, are not shown:\n%s", out)
			}
			if hasQR && strings.LastIndex(out, "█") > addr {
				t.Errorf("the QR code comes after the address:\n%s", out)
			}
			if tt.rows > 0 {
				// The countdown line goes under it all.
				if n := screenLines(out, tt.cols) + 1; n > tt.rows {
					t.Errorf("%d lines on a terminal of %d rows: the address scrolls off", n, tt.rows)
				}
				for _, l := range strings.Split(out, "\n") {
					if tt.cols >= 60 && ansi.StringWidth(l) > tt.cols && !strings.Contains(l, address) {
						t.Errorf("a line wider than %d: %q", tt.cols, l)
					}
				}
			}
			if !hasQR && tt.rows > 0 && !strings.Contains(out, "No QR code") {
				t.Errorf("does not say why there is no QR code:\n%s", out)
			}
		})
	}
}
