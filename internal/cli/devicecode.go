package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/cozeauth/cozeauth/internal/qr"
)

// writeDeviceCode shows where to approve a device login: the QR code of the
// address first, then the address and the code, so that those stay on
// screen under it. On a terminal (rows and cols known) a QR code that would
// push the address off the top, or not fit across, is left out.
func writeDeviceCode(w io.Writer, address, code string, rows, cols int) error {
	drawn := qr.Draw(address)
	if drawn == "" { // an address too long to draw
		_, err := io.WriteString(w, deviceText(address, code, "open"))
		return err
	}
	text := deviceText(address, code, "scan the QR code or open")
	// The countdown takes the line under the text; the command line above
	// may scroll away.
	need := strings.Count(drawn, "\n") + 1 + screenLines(text, cols) + 1
	qrWidth := ansi.StringWidth(strings.SplitN(drawn, "\n", 2)[0])
	out := drawn + "\n" + text
	if rows > 0 && (need > rows || qrWidth > cols) {
		out = deviceText(address, code, "open") + "(No QR code: the terminal is too small for it.)\n"
	}
	_, err := io.WriteString(w, out)
	return err
}

// deviceText is the address and the code in five lines.
func deviceText(address, code, how string) string {
	box := strings.Split(strings.TrimSuffix(bigCode(code), "\n"), "\n")
	const lead = "and enter the code"
	pad := strings.Repeat(" ", len(lead))
	return fmt.Sprintf("On any device, %s\n  %s\n%s%s\n%s%s\n%s%s\n", how, address, pad, box[0], lead, box[1], pad, box[2])
}

// screenLines is how many terminal lines text takes at cols columns.
func screenLines(text string, cols int) int {
	n := 0
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		n++
		if w := ansi.StringWidth(l); cols > 0 && w > cols {
			n += (w - 1) / cols
		}
	}
	return n
}
