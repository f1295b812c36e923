package ui

import (
	"image/color"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// palette is every colour the UI uses, for one kind of background. Under
// NO_COLOR (or on any terminal without colours) Bubble Tea's renderer drops
// the colours and the layout still carries the meaning through symbols.
type palette struct {
	Accent, Text, Muted, Faint, OK, Warn, Bad color.Color
	// Phases colour the probe's timing bar: DNS, connect, TLS, waiting for
	// the first byte and reading the rest.
	Phases [5]color.Color
	// QRLight and QRDark are the QR code's modules. They are the same on
	// both backgrounds: a scanner needs dark modules on a light ground
	// whatever the terminal's background, so the code brings both.
	QRLight, QRDark color.Color
}

// darkPalette reads on a dark background: the common case, and what the
// wizard draws with until (or unless) the terminal says otherwise.
func darkPalette() palette {
	return palette{
		Accent: lipgloss.Color("#9D8CFF"),
		Text:   lipgloss.Color("#E6E6E6"),
		Muted:  lipgloss.Color("#A0A0A0"),
		Faint:  lipgloss.Color("#5C5C5C"),
		OK:     lipgloss.Color("#4CD07D"),
		Warn:   lipgloss.Color("#F2B84B"),
		Bad:    lipgloss.Color("#FF6B61"),
		Phases: [5]color.Color{
			lipgloss.Color("#B39DDB"), // dns
			lipgloss.Color("#64B5F6"), // connect
			lipgloss.Color("#4DB6AC"), // tls
			lipgloss.Color("#FFB74D"), // first byte
			lipgloss.Color("#BDBDBD"), // rest
		},
		QRLight: lipgloss.Color("#FFFFFF"),
		QRDark:  lipgloss.Color("#000000"),
	}
}

// lightPalette reads on a light background.
func lightPalette() palette {
	return palette{
		Accent: lipgloss.Color("#5A3FD6"),
		Text:   lipgloss.Color("#1F1F1F"),
		Muted:  lipgloss.Color("#5E5E5E"),
		Faint:  lipgloss.Color("#A8A8A8"),
		OK:     lipgloss.Color("#17803D"),
		Warn:   lipgloss.Color("#9A6200"),
		Bad:    lipgloss.Color("#B3261E"),
		Phases: [5]color.Color{
			lipgloss.Color("#7E57C2"), // dns
			lipgloss.Color("#1E88E5"), // connect
			lipgloss.Color("#00897B"), // tls
			lipgloss.Color("#F57C00"), // first byte
			lipgloss.Color("#757575"), // rest
		},
		QRLight: lipgloss.Color("#FFFFFF"),
		QRDark:  lipgloss.Color("#000000"),
	}
}

// phaseGlyphs tell the probe's phases apart without colour.
var phaseGlyphs = [5]string{"░", "▒", "▓", "█", "▪"}

// phaseNames label the phases in the legend, in the same order.
var phaseNames = [5]string{"dns", "connect", "tls", "wait", "read"}

// Styles is the one set of styles every screen renders with, for a dark or
// a light background. Styles render full colour; Bubble Tea's renderer
// brings them down to what the terminal has (none under NO_COLOR).
type Styles struct {
	// Dark says which palette the styles were built from.
	Dark             bool
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
	// cursor colours the text inputs' cursor.
	cursor color.Color
}

// NewStyles builds the styles for a dark (or else a light) background.
func NewStyles(dark bool) Styles {
	p := lightPalette()
	if dark {
		p = darkPalette()
	}
	fg := func(c color.Color) lipgloss.Style { return lipgloss.NewStyle().Foreground(c) }
	s := Styles{
		Dark:     dark,
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
		cursor:   p.Accent,
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

// input styles a text input: typed text, placeholder and cursor.
func (s Styles) input() textinput.Styles {
	ts := textinput.DefaultStyles(s.Dark)
	for _, st := range []*textinput.StyleState{&ts.Focused, &ts.Blurred} {
		st.Text = s.Value
		st.Placeholder = s.Faint
		st.Prompt = lipgloss.NewStyle()
	}
	ts.Cursor.Color = s.cursor
	ts.Cursor.Blink = false // no blink: no timer while idle
	return ts
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

// link paints the lines of wrapped, an address cut to the window, each as
// an OSC 8 hyperlink to the whole address: a click on any piece opens all
// of it, in the terminals that support hyperlinks.
func link(st lipgloss.Style, url, wrapped string) string {
	return paint(st.Hyperlink(url), wrapped)
}

// paint renders each line of s on its own, so that lines keep their own
// width instead of being padded into a block.
func paint(st lipgloss.Style, s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = st.Render(l)
	}
	return strings.Join(lines, "\n")
}
