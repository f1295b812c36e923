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
	"fmt"
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
	// done ends with the program's context (nil: never): the u key's wait
	// for Enter, outside the frame, ends with it.
	done <-chan struct{}

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

// Minimum size the layout is designed for. A smaller window shows only a
// line saying so (as Charm's own apps do) rather than screens cut mid-word;
// the keys still work.
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
	m.form.sandboxApps, m.form.anyPort, m.form.home = d.SandboxApps, d.AnyRedirectPort, d.Home
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
	st := msg.status
	if st.LoggedIn {
		m.dash = newDash(st)
		return m.openDashboard()
	}
	switch st.State {
	case auth.StateNotSetUp, auth.StateLoggedOut:
	case auth.StateExpired:
		m.form.notice = "The saved login has expired (the refresh token lives 30 days): log in again."
	default:
		m.form.notice = "The saved login no longer works: " + st.Problem + "; or log in again here."
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

// frame is what every screen is drawn with: the styles, the window's
// width, the rows its body may fill above the footer, the clock, the
// spinner's frame and the dependencies (which say sandbox, headless, what
// keys can do).
type frame struct {
	st    Styles
	width int
	room  int
	now   time.Time
	spin  string
	d     Deps
}

// screenView is how a screen is drawn: its body, and the status line over
// the help ("" for none). The status is drawn first: the body's room is
// what the footer leaves.
type screenView interface {
	view(fr frame) string
	statusLine(fr frame) string
}

// inputView is a screen with a prompt and its text field under the body,
// kept whole when the window is too small for everything.
type inputView interface {
	input(fr frame) string
}

// loadingView is the screen before the first decision.
type loadingView struct{}

func (loadingView) view(fr frame) string    { return fr.spin + " Reading the saved profile…" }
func (loadingView) statusLine(frame) string { return "" }

// active is the screen showing.
func (m Model) active() screenView {
	switch m.screen {
	case screenForm:
		return m.form
	case screenConsent:
		return m.consent
	case screenDevice:
		return m.device
	case screenProbe:
		return m.probe
	case screenDashboard:
		return m.dash
	}
	return loadingView{}
}

// content is the active screen, then its status and help at the bottom.
func (m Model) content() string {
	if m.width < minWidth || m.height < minHeight {
		return tooSmall(m.width, m.height)
	}
	fr := frame{st: m.st, width: m.width, now: m.now, spin: m.spin.View(), d: m.d}
	s := m.active()
	// bubbles' help overruns its width when not even its ellipsis fits:
	// cut it to the window.
	footer := m.keys.shortHelpView(m.help, fr.width)
	if m.help.ShowAll {
		footer = m.help.View(m.keys)
	}
	lines := strings.Split(footer, "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, fr.width, "…")
	}
	footer = strings.Join(lines, "\n")
	if status := s.statusLine(fr); status != "" {
		footer = status + "\n" + footer
	}
	fr.room = m.height - lineCount(footer) - 1
	var input string
	if in, ok := s.(inputView); ok {
		input = in.input(fr)
	}
	return layout(s.view(fr), input, footer, m.height)
}

// tooSmall is the whole screen of a window smaller than the layout's
// minimum: what it needs, wrapped between words, cut to the window's rows.
func tooSmall(width, height int) string {
	text := fmt.Sprintf("Window too small: %d×%d. cozeauth needs at least %d×%d: enlarge the window, or press Ctrl+C to quit.",
		width, height, minWidth, minHeight)
	lines := strings.Split(wrap(text, max(width, 1)), "\n")
	return strings.Join(lines[:min(len(lines), max(height, 1))], "\n")
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

// Close releases what a quit left open: the callback listener and the
// contexts of any login or probe in progress. Run calls it on the final model.
func (m Model) Close() {
	m.device.stop()
	m.probe.stop()
	if closeFlow := m.consent.stop(); closeFlow != nil {
		closeFlow()
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
}

// Outcome is how the wizard stands now: what Run reports when it ends.
func (m Model) Outcome() Outcome {
	o := Outcome{Interrupted: m.interrupted}
	if m.dash.works(m.now) {
		o.Status = m.dash.status
	}
	return o
}

// backToDashboard reports whether Esc on a login screen goes back to the
// dashboard (a re-login started there, whose token still works) rather than
// to the form.
func (m Model) backToDashboard() bool { return m.relogin && m.dash.works(m.now) }

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
	m := New(d)
	m.done = ctx.Done()
	fm, err := runProgram(ctx, m, opts)
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
