package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// palette is every colour the UI uses. Each one is adaptive, so the screens
// read on light and dark terminals alike; under NO_COLOR (or any terminal
// without colours) the renderer drops them and the layout still carries the
// meaning through symbols.
type palette struct {
	Accent, Text, Muted, Faint, OK, Warn, Bad lipgloss.AdaptiveColor
	// Phases colour the probe's timing bar: DNS, connect, TLS, waiting for
	// the first byte and reading the rest.
	Phases [5]lipgloss.AdaptiveColor
	// QRLight and QRDark are the QR code's modules. They do not adapt: a
	// scanner needs dark modules on a light ground whatever the terminal's
	// background, so the code brings both.
	QRLight, QRDark lipgloss.AdaptiveColor
}

func defaultPalette() palette {
	return palette{
		Accent: lipgloss.AdaptiveColor{Light: "#5A3FD6", Dark: "#9D8CFF"},
		Text:   lipgloss.AdaptiveColor{Light: "#1F1F1F", Dark: "#E6E6E6"},
		Muted:  lipgloss.AdaptiveColor{Light: "#5E5E5E", Dark: "#A0A0A0"},
		Faint:  lipgloss.AdaptiveColor{Light: "#A8A8A8", Dark: "#5C5C5C"},
		OK:     lipgloss.AdaptiveColor{Light: "#17803D", Dark: "#4CD07D"},
		Warn:   lipgloss.AdaptiveColor{Light: "#9A6200", Dark: "#F2B84B"},
		Bad:    lipgloss.AdaptiveColor{Light: "#B3261E", Dark: "#FF6B61"},
		Phases: [5]lipgloss.AdaptiveColor{
			{Light: "#7E57C2", Dark: "#B39DDB"}, // dns
			{Light: "#1E88E5", Dark: "#64B5F6"}, // connect
			{Light: "#00897B", Dark: "#4DB6AC"}, // tls
			{Light: "#F57C00", Dark: "#FFB74D"}, // first byte
			{Light: "#757575", Dark: "#BDBDBD"}, // rest
		},
		QRLight: lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#FFFFFF"},
		QRDark:  lipgloss.AdaptiveColor{Light: "#000000", Dark: "#000000"},
	}
}

// phaseGlyphs tell the probe's phases apart without colour.
var phaseGlyphs = [5]string{"░", "▒", "▓", "█", "▪"}

// phaseNames label the phases in the legend, in the same order.
var phaseNames = [5]string{"dns", "connect", "tls", "wait", "read"}

// Styles is the one set of styles every screen renders with. It is built
// from a [lipgloss.Renderer], so tests can fix the colour profile and the
// background without touching package state.
type Styles struct {
	Title, Subtitle  lipgloss.Style
	Label, Value     lipgloss.Style
	Muted, Faint     lipgloss.Style
	Key              lipgloss.Style
	Focused, Blurred lipgloss.Style
	OK, Warn, Bad    lipgloss.Style
	Accent           lipgloss.Style
	BarFull, BarRest lipgloss.Style
	Phases           [5]lipgloss.Style
	// UserCode frames a device login's user code, spaced out and bold so
	// that it reads easily off the screen.
	UserCode lipgloss.Style
	// QR draws a QR code whose light modules are the ink (█▀▄): without
	// colours it relies on a light-on-dark terminal, the common case.
	QR   lipgloss.Style
	Help help.Styles
}

// NewStyles builds the styles for r (nil: lipgloss's default renderer, which
// looks at stdout and honours NO_COLOR).
func NewStyles(r *lipgloss.Renderer) Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	p := defaultPalette()
	fg := func(c lipgloss.AdaptiveColor) lipgloss.Style { return r.NewStyle().Foreground(c) }
	s := Styles{
		Title:    fg(p.Accent).Bold(true),
		Subtitle: fg(p.Muted),
		Label:    fg(p.Muted),
		Value:    fg(p.Text),
		Muted:    fg(p.Muted),
		Faint:    fg(p.Faint),
		Key:      fg(p.Accent).Bold(true),
		Focused:  fg(p.Accent).Bold(true),
		Blurred:  fg(p.Muted),
		OK:       fg(p.OK),
		Warn:     fg(p.Warn),
		Bad:      fg(p.Bad),
		Accent:   fg(p.Accent),
		BarFull:  fg(p.Accent),
		BarRest:  fg(p.Faint),
		UserCode: fg(p.Accent).Bold(true).Border(lipgloss.RoundedBorder()).BorderForeground(p.Accent).Padding(0, 2),
		QR:       fg(p.QRLight).Background(p.QRDark),
	}
	for i, c := range p.Phases {
		s.Phases[i] = fg(c)
	}
	s.Help = help.Styles{
		Ellipsis:       fg(p.Faint),
		ShortKey:       fg(p.Muted),
		ShortDesc:      fg(p.Faint),
		ShortSeparator: fg(p.Faint),
		FullKey:        fg(p.Muted),
		FullDesc:       fg(p.Faint),
		FullSeparator:  fg(p.Faint),
	}
	return s
}

// bar draws a progress bar of width cells, frac of it full.
func (s Styles) bar(width int, frac float64) string {
	if width < 1 {
		return ""
	}
	frac = max(0, min(1, frac))
	full := int(frac*float64(width) + 0.5)
	return s.BarFull.Render(strings.Repeat("█", full)) + s.BarRest.Render(strings.Repeat("░", width-full))
}

// wrap word-wraps s to width cells, breaking words longer than a line.
func wrap(s string, width int) string {
	if width < 8 {
		width = 8
	}
	return ansi.Wrap(s, width, "")
}

// hardwrap cuts s into lines of width cells: for URLs, which have no spaces.
func hardwrap(s string, width int) string {
	if width < 8 {
		width = 8
	}
	return ansi.Hardwrap(s, width, true)
}

// urlwrap cuts a URL into lines of width cells: after its ? when that
// leaves two lines, else after a / ? & or - where it can, so that its parts
// (a user code) stay readable.
func urlwrap(u string, width int) string {
	if width < 8 {
		width = 8
	}
	if ansi.StringWidth(u) <= width {
		return u
	}
	if i := strings.IndexByte(u, '?'); i >= 0 && i < width && ansi.StringWidth(u[i+1:]) <= width {
		return u[:i+1] + "\n" + u[i+1:]
	}
	return ansi.Wrap(u, width, "/?&")
}

// pad right-pads s with spaces to width cells.
func pad(s string, width int) string {
	if w := ansi.StringWidth(s); w < width {
		return s + strings.Repeat(" ", width-w)
	}
	return s
}

// indentLines prefixes every line of s.
func indentLines(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// paint renders each line of s on its own, so that lines keep their own
// width instead of being padded into a block.
// statusNote is a screen's one-line status above the help: a good-news note,
// or an error (bad).
type statusNote struct {
	text string
	bad  bool
}

func okNote(s string) statusNote  { return statusNote{text: s} }
func badNote(s string) statusNote { return statusNote{text: s, bad: true} }

// render wraps the note to width and paints it in good, or Bad for an error;
// an empty note renders as nothing.
func (n statusNote) render(st Styles, good lipgloss.Style, width int) string {
	if n.text == "" {
		return ""
	}
	if n.bad {
		good = st.Bad
	}
	return paint(good, wrap(n.text, width))
}

func paint(st lipgloss.Style, s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = st.Render(l)
	}
	return strings.Join(lines, "\n")
}
