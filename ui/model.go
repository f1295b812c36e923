// Package ui is cozeauth's terminal interface: a wizard that walks a
// first-time user from nothing to a working, self-refreshing Coze token
// (setup form, browser consent or a device code, connectivity probe) and a
// dashboard that shows the token's life and refreshes it. It is built on
// [auth] and [probe]; every effect runs in a tea.Cmd over the injected [Deps].
// It owns the screens only: it must not speak Coze's protocol, touch the
// store or the network except through [Deps], or print outside the program.
package ui

import (
	"context"
	"regexp"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cozeauth/cozeauth/auth"
)

// screen is which of the wizard's screens is showing.
type screen int

const (
	screenLoading screen = iota // reading the saved profile, before the first decision
	screenForm
	screenConsent
	screenDevice
	screenProbe
	screenDashboard
)

func (s screen) String() string {
	return [...]string{"loading", "form", "consent", "device", "probe", "dashboard"}[s]
}

// Model is the root model: which screen shows, the child model of each
// screen, and what they share (size, clock, spinner, keys, styles).
type Model struct {
	d      Deps
	st     Styles
	keys   keyMap
	help   help.Model
	spin   spinner.Model
	screen screen

	width, height int
	now           time.Time
	// spinning and ticking say whether a spinner or clock chain is running;
	// each stops by itself when nothing on screen needs it, so an idle
	// dashboard wakes once a second and a finished probe not at all.
	spinning, ticking bool

	// cfg is the configuration in use: the saved one, or the form's.
	cfg auth.Config
	// gen numbers login attempts and probe runs; answers to older ones are dropped.
	gen int
	// relogin says the login showing was started from the dashboard (l):
	// Esc goes back to it while its token is valid.
	relogin bool
	// interrupted says the user left with Ctrl+C.
	interrupted bool

	form    formModel
	consent consentModel
	device  deviceModel
	probe   probeModel
	dash    dashModel
}

// frameRate caps redraws per second. Bubble Tea's renderer wakes this often
// even when nothing changes: 30 keeps typing and the spinner smooth and the
// first frame quick, at half the idle CPU of the default 60 (docs/measurements.md).
const frameRate = 30

// Minimum size the layout is designed for; smaller still draws, clipped.
const (
	minWidth  = 60
	minHeight = 20
)

// New builds the model. It does no I/O: [Model.Init] reads the profile and
// asks the terminal for its background. Until an answer comes (and when
// none does) the screens are drawn for a dark background.
func New(d Deps) Model {
	d = d.withDefaults()
	m := Model{
		d:      d,
		keys:   newKeyMap(),
		help:   help.New(),
		spin:   spinner.New(spinner.WithSpinner(d.Spinner)),
		screen: screenLoading,
		width:  80,
		height: 24,
		cfg:    d.Initial,
		form:   newForm(d.Initial),
	}
	m.form.sandboxApps, m.form.anyPort = d.SandboxApps, d.AnyRedirectPort
	m.setStyles(NewStyles(true))
	m.form.setWidth(m.width)
	m.syncKeys()
	return m
}

// setStyles draws every screen, and the parts that keep styles of their
// own (help, spinner, text inputs), with st.
func (m *Model) setStyles(st Styles) {
	m.st = st
	m.help.Styles = st.Help
	m.spin.Style = st.Accent
	m.form.setStyles(st)
	m.consent.paste.SetStyles(st.input())
}

// Init reads the saved profile to choose between the form and the
// dashboard, and asks the terminal for its background: from inside the
// program, whose input reader takes the answer as a message (a terminal
// that never answers costs nothing but the default).
func (m Model) Init() tea.Cmd {
	return tea.Batch(loadProfileCmd(m.d, m.cfg), tea.RequestBackgroundColor)
}

// Screen is the screen showing, for tests and callers.
func (m Model) Screen() string { return m.screen.String() }

// Update handles quit keys, the window size and the clock, then hands the
// message to the active screen.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := m.update(msg)
	next.syncKeys()
	return next, tea.Batch(cmd, next.keepAnimating())
}

func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.BackgroundColorMsg:
		m.setStyles(NewStyles(msg.IsDark()))
		return m, nil
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.form.setWidth(msg.Width)
		m.consent.setWidth(msg.Width)
		return m, nil
	case tea.KeyPressMsg:
		if key.Matches(msg, m.keys.Quit) {
			m.interrupted = true
			return m, tea.Quit
		}
		if key.Matches(msg, m.keys.QuitQ, m.keys.Leave) {
			return m, tea.Quit
		}
		if key.Matches(msg, m.keys.Help) {
			m.toggleHelp()
			return m, nil
		}
	case spinner.TickMsg:
		if !m.busy() {
			m.spinning = false // let the chain end
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tickMsg:
		m.now = msg.now
		if !m.needsClock() {
			m.ticking = false
			return m, nil
		}
		cmd := m.onTick()
		return m, tea.Batch(cmd, tickCmd(m.d))
	case tokenRefreshedMsg, refreshFailedMsg, userLoadedMsg, userLookupFailedMsg:
		// The dashboard's own work may finish while another screen shows.
		return m.updateDashboard(msg)
	case loginStartedMsg:
		if m.screen != screenConsent { // the user left before the listener was up
			return m, closeFlowCmd(msg.flow)
		}
	case profileLoadedMsg:
		return m.profileLoaded(msg)
	case profileLoadFailedMsg:
		m.now = msg.now
		m.form.notice = "Could not read the saved profile: " + msg.err.Error()
		m.screen = screenForm
		return m, nil
	}
	return m.updateScreen(msg)
}

// updateScreen hands msg to the active screen.
func (m Model) updateScreen(msg tea.Msg) (Model, tea.Cmd) {
	switch m.screen {
	case screenForm:
		return m.updateForm(msg)
	case screenConsent:
		return m.updateConsent(msg)
	case screenDevice:
		return m.updateDevice(msg)
	case screenProbe:
		return m.updateProbe(msg)
	case screenDashboard:
		return m.updateDashboard(msg)
	}
	return m, nil
}

// toggleHelp switches between the one-line help and the full one.
func (m *Model) toggleHelp() {
	m.help.ShowAll = !m.help.ShowAll
	if m.help.ShowAll {
		m.keys.Help.SetHelp("?", "less")
	} else {
		m.keys.Help.SetHelp("?", "more")
	}
}

// profileLoaded opens the dashboard for a profile that is logged in, and the
// form for any other.
func (m Model) profileLoaded(msg profileLoadedMsg) (Model, tea.Cmd) {
	m.now = msg.now
	if msg.status != nil && msg.status.LoggedIn {
		m.dash = newDash(msg.status)
		return m.openDashboard()
	}
	if msg.status != nil && msg.status.AccessExpiresAt != nil {
		m.form.notice = "The saved login has expired (the refresh token lives 30 days): log in again."
	}
	m.screen = screenForm
	return m, nil
}

// busy reports whether a spinner is on screen.
func (m Model) busy() bool {
	switch m.screen {
	case screenLoading:
		return true
	case screenConsent:
		return m.consent.busy()
	case screenDevice:
		return m.device.busy()
	case screenProbe:
		return m.probe.busy()
	case screenDashboard:
		return m.dash.busy()
	}
	return false
}

// needsClock reports whether a countdown is on screen.
func (m Model) needsClock() bool {
	switch m.screen {
	case screenConsent:
		return m.consent.phase == consentWaiting
	case screenDevice:
		return m.device.phase == deviceWaiting
	case screenDashboard:
		return m.dash.status != nil
	}
	return false
}

// keepAnimating starts the spinner or the clock when the screen needs one
// and it is not already running.
func (m *Model) keepAnimating() tea.Cmd {
	var cmds []tea.Cmd
	if m.busy() && !m.spinning {
		m.spinning = true
		cmds = append(cmds, m.spin.Tick)
	}
	if m.needsClock() && !m.ticking {
		m.ticking = true
		cmds = append(cmds, tickCmd(m.d))
	}
	return tea.Batch(cmds...)
}

// onTick lets the active screen act on the new time.
func (m *Model) onTick() tea.Cmd {
	switch m.screen {
	case screenDashboard:
		return m.dashTick()
	case screenDevice:
		m.deviceTick()
	}
	return nil
}

// syncKeys enables exactly the keys that do something now.
func (m *Model) syncKeys() {
	k := &m.keys
	switch m.screen {
	case screenLoading:
		k.enableOnly(&k.Quit, &k.QuitQ)
	case screenForm:
		on := []*key.Binding{&k.Submit, &k.Next, &k.Prev, &k.Leave, &k.Quit}
		if !m.form.typing() {
			on = append(on, &k.Region, &k.QuitQ)
		}
		k.enableOnly(on...)
		k.Region.SetHelp("←/→", "region")
		if m.form.focus == fieldAppType {
			k.Region.SetHelp("←/→", "app type")
		}
	case screenConsent:
		m.consent.keys(k, m.d)
		if m.backToDashboard() && !m.consent.pasting {
			k.Back.SetHelp("esc", "dashboard")
		}
	case screenDevice:
		m.device.keys(k, m.d)
		if m.backToDashboard() {
			k.Back.SetHelp("esc", "dashboard")
		}
	case screenProbe:
		k.enableOnly(&k.Rerun, &k.Continue, &k.QuitQ, &k.Quit, &k.Help)
		k.Rerun.SetEnabled(!m.probe.busy())
	case screenDashboard:
		k.enableOnly(&k.Refresh, &k.Probe, &k.Login, &k.QuitQ, &k.Quit, &k.Help)
		k.Refresh.SetEnabled(!m.dash.refreshing)
	}
}

// View draws the model on the alternate screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.content())
	v.AltScreen = true
	return v
}

// content is the active screen, then its status and help at the bottom.
func (m Model) content() string {
	w := max(m.width, 20)
	var body, status string
	switch m.screen {
	case screenLoading:
		body = m.spin.View() + " Reading the saved profile…"
	case screenForm:
		body = m.form.view(m.st, w, m.d.SandboxBase)
	case screenConsent:
		body, status = m.consent.view(m.st, w, m.now, m.spin.View(), m.d)
	case screenDashboard:
		body, status = m.dash.view(m.st, w, m.now, m.spin.View(), m.d.SandboxBase)
	case screenDevice:
		status = m.device.note.render(m.st, m.st.OK, w)
	}
	// bubbles' help overruns its width when not even its ellipsis fits:
	// cut it to the window.
	footer := m.help.View(m.keys)
	lines := strings.Split(footer, "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "…")
	}
	footer = strings.Join(lines, "\n")
	if status != "" {
		footer = status + "\n" + footer
	}
	if m.screen == screenProbe {
		// Like the device screen's QR code, the probe's group headings are
		// drawn only when they fit.
		body, status = m.probe.view(m.st, w, m.height-lineCount(footer)-1, m.spin.View())
		if status != "" {
			footer = status + "\n" + footer
		}
	}
	if m.screen == screenDevice {
		// The QR code is drawn only where it fits, so the body is drawn
		// knowing the rows the footer leaves.
		room := m.height - lineCount(footer) - 1
		body = m.device.view(m.st, w, room, m.now, m.spin.View(), m.d)
	}
	var input string
	if m.screen == screenConsent {
		input = m.consent.pasteView(w)
	}
	return layout(body, input, footer, m.height)
}

// layout pins the footer to the bottom of a height-row screen, with input
// (a prompt and its text field; "" for none) right under the body. When the
// window is too small for all of it, the body is clipped first: an input
// stays whole, its last lines (the field) the longest.
func layout(body, input, footer string, height int) string {
	bl := strings.Split(body, "\n")
	fl := strings.Split(footer, "\n")
	room := height - len(fl) - 1
	if room < 1 {
		room = 1
	}
	var il []string
	if input != "" {
		il = strings.Split(input, "\n")
		il = il[max(0, len(il)-room):]
	}
	if len(bl)+len(il) > room {
		bl = bl[:room-len(il)]
	}
	bl = append(bl, il...)
	for len(bl) < room {
		bl = append(bl, "")
	}
	lines := append(append(bl, ""), fl...)
	for i, l := range lines {
		lines[i] = trimRight(l) // text fields pad themselves to their width
	}
	return strings.Join(lines, "\n")
}

// sgr matches a Select Graphic Rendition sequence.
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// trimRight drops a line's trailing blanks: the spaces text fields pad
// themselves with. A space that shows (reverse video or a background: a
// text field's cursor) is kept, and a style cut off with the spaces is
// reset.
func trimRight(l string) string {
	if !endsBlank(l) {
		return l // most lines: nothing to trim, no need to read their styles
	}
	keep, shows, pos := 0, false, 0 // keep: the end of the last cell that shows
	for _, loc := range append(sgr.FindAllStringIndex(l, -1), []int{len(l), len(l)}) {
		switch text := l[pos:loc[0]]; {
		case text != "" && shows:
			keep = loc[0]
		case strings.TrimRight(text, " ") != "":
			keep = pos + len(strings.TrimRight(text, " "))
		}
		if loc[0] < len(l) {
			shows = sgrShows(l[loc[0]:loc[1]], shows)
		}
		pos = loc[1]
	}
	cut := l[keep:]
	if !strings.Contains(cut, " ") {
		return l
	}
	l = l[:keep]
	if strings.Contains(cut, "\x1b[") {
		l += ansi.ResetStyle
	}
	return l
}

// endsBlank reports whether l's last character, past any trailing SGR
// sequences, is a space.
func endsBlank(l string) bool {
	for strings.HasSuffix(l, "m") {
		i := strings.LastIndex(l, "\x1b[")
		if i < 0 || strings.Trim(l[i+2:len(l)-1], "0123456789;:") != "" {
			break
		}
		l = l[:i]
	}
	return strings.HasSuffix(l, " ")
}

// sgrShows reports whether, after seq, a space is visible: reverse video or
// a background colour is on. shows is whether it was before seq.
func sgrShows(seq string, shows bool) bool {
	params := strings.FieldsFunc(strings.TrimSuffix(strings.TrimPrefix(seq, "\x1b["), "m"), func(r rune) bool { return r == ';' || r == ':' })
	if len(params) == 0 {
		return false // ESC[m resets
	}
	for i := 0; i < len(params); i++ {
		p := params[i]
		switch {
		case p == "0" || p == "27" || p == "49":
			shows = false
		case p == "7" || p == "48" || isBasicBackground(p):
			shows = true
		}
		if p == "38" || p == "48" || p == "58" { // a colour's own parameters follow
			i += colourParams(params[i+1:])
		}
	}
	return shows
}

// isBasicBackground reports whether an SGR parameter sets one of the 16
// basic background colours.
func isBasicBackground(p string) bool {
	return (len(p) == 2 && p[0] == '4' && p[1] <= '7') || (len(p) == 3 && p[:2] == "10")
}

// colourParams is how many parameters an extended colour takes after its
// 38, 48 or 58: 5;n or 2;r;g;b.
func colourParams(rest []string) int {
	switch {
	case len(rest) > 0 && rest[0] == "5":
		return 2
	case len(rest) > 0 && rest[0] == "2":
		return 4
	}
	return 0
}

// Close releases what a quit left open: the callback listener and the
// contexts of any login or probe in progress. Run calls it on the final model.
func (m Model) Close() {
	m.device.stop()
	for _, cmd := range []tea.Cmd{m.consent.stop(), m.probe.stop()} {
		if cmd != nil {
			cmd()
		}
	}
}

// Outcome is how the wizard ended, for the caller to say so on the normal
// screen and in its exit code.
type Outcome struct {
	// Interrupted: the user left with Ctrl+C.
	Interrupted bool
	// Status is the profile's login when the wizard ended with a valid one;
	// nil when it ended without.
	Status *auth.Status
	// AuthorizeURL is the address of a browser login that was still waiting
	// ("" when none was).
	AuthorizeURL string
}

// Outcome is how the wizard stands now: what Run reports when it ends.
func (m Model) Outcome() Outcome {
	o := Outcome{Interrupted: m.interrupted}
	if m.loggedIn() {
		o.Status = m.dash.status
	}
	if m.screen == screenConsent && m.consent.flow != nil && m.consent.phase == consentWaiting {
		o.AuthorizeURL = m.consent.flow.URL()
	}
	return o
}

// loggedIn reports whether the profile has a login that still works: the
// dashboard's status, unless a refresh was refused or the refresh token has
// run out.
func (m Model) loggedIn() bool {
	st := m.dash.status
	if st == nil || !st.LoggedIn || m.dash.loginNeeded {
		return false
	}
	return st.RefreshExpiresAt == nil || m.now.IsZero() || m.now.Before(*st.RefreshExpiresAt)
}

// backToDashboard reports whether Esc on a login screen goes back to the
// dashboard (a re-login started there, whose token still works) rather than
// to the form.
func (m Model) backToDashboard() bool { return m.relogin && m.loggedIn() }

// leaveLogin is Esc on the consent or device screen: back to the dashboard
// of a re-login whose token still works, else to the form.
func (m Model) leaveLogin() Model {
	if m.backToDashboard() {
		m.screen = screenDashboard
		return m
	}
	m.relogin = false
	m.form.notice = ""
	m.screen = screenForm
	return m
}

// Run shows the wizard until the user quits or ctx ends, and reports how it
// ended.
func Run(ctx context.Context, d Deps, opts ...tea.ProgramOption) (Outcome, error) {
	fm, err := runProgram(ctx, New(d), opts)
	return fm.Outcome(), err
}

// closer is a model that owns work to stop when its program ends.
type closer interface {
	tea.Model
	Close()
}

// runProgram runs m until it quits or ctx ends, stops its work and returns
// its final state; an error caused by ctx ending is ctx's.
func runProgram[M closer](ctx context.Context, m M, opts []tea.ProgramOption) (M, error) {
	p := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithFPS(frameRate)}, opts...)...)
	final, err := p.Run()
	fm, ok := final.(M)
	if !ok {
		fm = m
	}
	fm.Close()
	if err != nil && ctx.Err() != nil {
		return fm, ctx.Err()
	}
	return fm, err
}
