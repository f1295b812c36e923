package ui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
)

// keyMap is every key the wizard and dashboard answer to. Bindings that do
// nothing in the current state are disabled by [Model.syncKeys], which makes
// them both unmatched and hidden from the help line: what help shows is
// exactly what works.
type keyMap struct {
	Quit  key.Binding // everywhere: Ctrl+C, which interrupts (exit 130)
	QuitQ key.Binding // where no text is being typed
	Leave key.Binding // Esc on the first screen, the form
	Help  key.Binding

	// Setup form.
	Next, Prev, Region, Submit key.Binding

	// Consent, and the device code screen.
	Back, Open, Copy, Print, Paste, Device, Approve, Retry key.Binding

	// Probe.
	Rerun, Continue key.Binding

	// Dashboard.
	Refresh, Probe, Login key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Quit:     key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		QuitQ:    key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		Leave:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "quit")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more")),
		Next:     key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next")),
		Prev:     key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "back")),
		Region:   key.NewBinding(key.WithKeys("left", "right", "space"), key.WithHelp("←/→", "region")),
		Submit:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "form")),
		Open:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open")),
		Copy:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy")),
		Print:    key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "one-line url")),
		Paste:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "paste")),
		Device:   key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "device")),
		Approve:  key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "approve")),
		Retry:    key.NewBinding(key.WithKeys("r", "enter"), key.WithHelp("r", "retry")),
		Rerun:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "run again")),
		Continue: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
		Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Probe:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "probe")),
		Login:    key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "log in again")),
	}
}

// all lists every binding, in the order the short help shows them.
func (k *keyMap) all() []*key.Binding {
	return []*key.Binding{
		&k.Submit, &k.Continue, &k.Retry, &k.Next, &k.Prev, &k.Region,
		&k.Approve, &k.Open, &k.Copy, &k.Print, &k.Paste, &k.Device, &k.Back,
		&k.Rerun, &k.Refresh, &k.Probe, &k.Login,
		&k.QuitQ, &k.Leave, &k.Quit, &k.Help,
	}
}

// enableOnly enables the given bindings and disables every other one.
func (k *keyMap) enableOnly(on ...*key.Binding) {
	for _, b := range k.all() {
		b.SetEnabled(false)
	}
	for _, b := range on {
		b.SetEnabled(true)
	}
}

// ShortHelp is the one-line help under every screen. It names one way to
// quit, to save room: q, else Esc, else Ctrl+C.
func (k keyMap) ShortHelp() []key.Binding {
	out := make([]key.Binding, 0, 12)
	for _, b := range k.all() {
		if (b == &k.Quit && (k.QuitQ.Enabled() || k.Leave.Enabled())) || (b == &k.Leave && k.QuitQ.Enabled()) {
			continue
		}
		out = append(out, *b)
	}
	return out
}

// dropOrder is the order in which the one-line help leaves keys out when
// the window is too narrow for all of them: the least needed first. A way
// to quit and ? are never left out, and ? lists what was.
func (k *keyMap) dropOrder() []*key.Binding {
	return []*key.Binding{
		&k.Prev, &k.Back, &k.Print, &k.Device, &k.Login, &k.Probe, &k.Paste, &k.Copy, &k.Open,
		&k.Region, &k.Approve, &k.Rerun, &k.Refresh, &k.Next, &k.Retry, &k.Continue, &k.Submit,
	}
}

// shortHelpView is the one-line help in width columns: whole key hints,
// fewer of them in a narrow window, rather than a line cut before the way
// to quit and ?.
func (k keyMap) shortHelpView(h help.Model, width int) string {
	h.SetWidth(0) // measured here, never cut with an ellipsis
	for _, b := range k.dropOrder() {
		if ansi.StringWidth(h.ShortHelpView(k.ShortHelp())) <= width {
			break
		}
		b.SetEnabled(false) // k is a copy: only this line leaves b out
	}
	return h.ShortHelpView(k.ShortHelp())
}

// FullHelp is what ? shows: actions, then movement, then leaving.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Submit, k.Continue, k.Retry, k.Approve, k.Open, k.Copy, k.Print, k.Paste, k.Device, k.Rerun, k.Refresh, k.Probe, k.Login},
		{k.Next, k.Prev, k.Region, k.Back},
		{k.QuitQ, k.Leave, k.Quit, k.Help},
	}
}
