// Package qr draws an address as a QR code for a terminal, the one way the
// CLI and the UI both draw the device login's address.
package qr

import (
	"strings"

	"github.com/mdp/qrterminal/v3"
)

// MaxURL bounds what is drawn: a longer address would not fit a terminal
// anyway (and qrterminal cannot encode beyond a QR code's capacity).
const MaxURL = 300

// Draw is u as a QR code in half blocks (two modules a row), with a
// one-module quiet zone (two would push the address off an 80×24 terminal), without a trailing newline; "" when u is empty or
// longer than [MaxURL].
func Draw(u string) string {
	if u == "" || len(u) > MaxURL {
		return ""
	}
	var b strings.Builder
	qrterminal.GenerateWithConfig(u, qrterminal.Config{
		Level: qrterminal.L, Writer: &b, HalfBlocks: true, QuietZone: 1,
		BlackChar: qrterminal.BLACK_BLACK, WhiteChar: qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE, WhiteBlackChar: qrterminal.WHITE_BLACK,
	})
	return strings.TrimRight(b.String(), "\n")
}
