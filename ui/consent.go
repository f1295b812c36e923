package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/cozeauth/cozeauth/auth"
)

// consentPhase is where a login attempt stands.
type consentPhase int

const (
	consentStarting   consentPhase = iota // starting the callback listener
	consentWaiting                        // waiting for the browser (or a paste, or a)
	consentApproving                      // the sandbox is approving (a key)
	consentExchanging                     // trading the code for tokens
	consentFailed                         // the attempt ended; r retries, Esc goes back
)

// exchangeTimeout bounds the code exchange and the user lookup after it.
const exchangeTimeout = time.Minute

// consentModel is one login attempt: the listener, the URL, the countdown
// and, once it is over, how it failed.
type consentModel struct {
	gen      int
	phase    consentPhase
	mgr      *auth.Manager
	flow     *auth.LoginFlow
	cancel   context.CancelFunc // ends the wait for the callback
	deadline time.Time

	browser    string // "", "opened", "failed"
	browserErr error
	note       statusNote // the status line above the help
	pasting    bool
	paste      textinput.Model
	// err is why the attempt failed; stage says during what.
	err   error
	stage string
	width int
	// deviceOK says whether the app may use a device code instead: only a
	// device app (or one of unknown type) may; Coze refuses the others.
	deviceOK bool
}

func newConsent(gen int, width int, st Styles) consentModel {
	ti := textinput.New()
	ti.Prompt = "> "
	// The placeholder is the real redirect URI's, once the listener is up.
	ti.Placeholder = "the address, with ?code=…&state=…"
	ti.CharLimit = 4096
	ti.SetStyles(st.input())
	c := consentModel{gen: gen, paste: ti}
	c.setWidth(width)
	return c
}

func (c *consentModel) setWidth(w int) {
	c.width = w
	c.paste.SetWidth(max(10, w-4))
}

func (c consentModel) busy() bool {
	return c.phase == consentStarting || c.phase == consentApproving || c.phase == consentExchanging ||
		c.phase == consentWaiting
}

// stop ends the wait at once and returns the command that releases the
// listener (closing it waits for open connections, so not in Update).
func (c *consentModel) stop() tea.Cmd {
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	flow := c.flow
	c.flow = nil
	return closeFlowCmd(flow)
}

// closeFlowCmd stops a login's callback listener.
func closeFlowCmd(flow *auth.LoginFlow) tea.Cmd {
	if flow == nil {
		return nil
	}
	return func() tea.Msg { flow.Close(); return nil }
}

// keys enables the consent screen's keys for its phase.
func (c consentModel) keys(k *keyMap, d Deps) {
	switch {
	case c.pasting:
		k.enableOnly(&k.Submit, &k.Back, &k.Quit)
		k.Submit.SetHelp("enter", "use this address")
		k.Back.SetHelp("esc", "cancel")
		return
	case c.phase == consentWaiting:
		k.enableOnly(&k.Open, &k.Copy, &k.Print, &k.Paste, &k.Device, &k.Approve, &k.Back, &k.QuitQ, &k.Quit, &k.Help)
		k.Copy.SetEnabled(d.Clipboard != nil)
		k.Approve.SetEnabled(d.Approve != nil)
	case c.phase == consentFailed:
		k.enableOnly(&k.Retry, &k.Device, &k.Back, &k.QuitQ, &k.Quit, &k.Help)
	case c.phase == consentExchanging:
		// The tokens are being saved: going back now would hide a login
		// that worked.
		k.enableOnly(&k.QuitQ, &k.Quit)
	case c.phase == consentStarting:
		k.enableOnly(&k.Device, &k.Back, &k.QuitQ, &k.Quit)
	default:
		k.enableOnly(&k.Back, &k.QuitQ, &k.Quit)
	}
	if !c.deviceOK {
		k.Device.SetEnabled(false)
	}
	k.Retry.SetHelp("r", "retry")
	k.Submit.SetHelp("enter", "continue")
	k.Back.SetHelp("esc", "form")
}

// startLogin begins a new login attempt with cfg.
func (m Model) startLogin(cfg auth.Config) (Model, tea.Cmd) {
	stop := m.consent.stop()
	m.cfg = cfg
	m.gen++
	m.consent = newConsent(m.gen, m.width, m.st)
	m.consent.deviceOK = cfg.CheckFlow(auth.FlowDevice) == nil
	m.screen = screenConsent
	return m, tea.Batch(stop, beginLoginCmd(m.d, m.gen, cfg))
}

// updateConsent handles the consent screen's keys and its attempt's
// answers; answers to an attempt the user has already left are dropped.
func (m Model) updateConsent(msg tea.Msg) (Model, tea.Cmd) {
	if a, ok := msg.(attemptMsg); ok && a.attempt() != m.consent.gen {
		return m, dropStale(msg)
	}
	c := &m.consent
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m.consentKey(msg)
	case loginStartedMsg:
		return m.listenerStarted(msg)
	case loginStartFailedMsg:
		c.fail("start", msg.err)
	case browserOpenedMsg:
		c.browser, c.browserErr = "opened", nil
	case browserFailedMsg:
		c.browser, c.browserErr = "failed", msg.err
	case urlCopiedMsg:
		c.note = okNote(msg.note)
	case urlPrintedMsg:
		c.note = okNote(printedNote)
		if msg.err != nil {
			c.note = badNote("Could not print the address: " + msg.err.Error() + ". Press o to open it in the browser, or c to copy it.")
		}
	case pasteRejectedMsg:
		c.pasteRejected(msg.err)
	case codeReceivedMsg:
		return m, c.codeReceived(m.d, msg.code)
	case consentFailedMsg:
		return m, c.consentFailed(msg.err)
	case exchangeFailedMsg:
		c.fail("exchange", msg.err)
	case loginFinishedMsg:
		m.now = msg.now
		return m.loginFinished(msg)
	default:
		return m, c.updatePaste(msg)
	}
	return m, nil
}

// dropStale releases what an answer to an abandoned attempt holds: a
// callback listener that came up after the user left.
func dropStale(msg tea.Msg) tea.Cmd {
	if started, ok := msg.(loginStartedMsg); ok {
		return closeFlowCmd(started.flow)
	}
	return nil
}

// listenerStarted shows the authorize URL, waits for the browser to come
// back, and opens the browser unless this machine has none to open.
func (m Model) listenerStarted(msg loginStartedMsg) (Model, tea.Cmd) {
	c := &m.consent
	ctx, cancel := context.WithTimeout(context.Background(), m.d.Timeout)
	c.mgr, c.flow, c.cancel = msg.mgr, msg.flow, cancel
	c.deadline, m.now = msg.deadline, msg.now
	c.phase = consentWaiting
	c.paste.Placeholder = c.flow.RedirectURI() + "?code=…&state=…"
	cmds := []tea.Cmd{waitForCallbackCmd(ctx, c.gen, c.flow)}
	if m.d.Headless == "" {
		cmds = append(cmds, openBrowserCmd(m.d, c.gen, c.flow.URL()))
	}
	return m, tea.Batch(cmds...)
}

// fail ends the attempt: stage says during what ("start", "consent",
// "exchange").
func (c *consentModel) fail(stage string, err error) {
	c.phase, c.err, c.stage, c.pasting = consentFailed, err, stage, false
}

// waiting reports whether the attempt still waits for a code.
func (c *consentModel) waiting() bool {
	return c.phase == consentWaiting || c.phase == consentApproving
}

// pasteRejected reopens the paste prompt with why the address was refused.
func (c *consentModel) pasteRejected(err error) {
	if c.phase == consentWaiting {
		c.pasting = true
		c.note = badNote(err.Error())
	}
}

// codeReceived stops listening and trades the code for tokens.
func (c *consentModel) codeReceived(d Deps, code string) tea.Cmd {
	if !c.waiting() {
		return nil
	}
	if c.cancel != nil {
		c.cancel() // the listener has done its job
	}
	c.phase, c.pasting, c.note = consentExchanging, false, statusNote{}
	return finishLoginCmd(d, c.gen, c.mgr, c.flow, code)
}

// consentFailed ends an attempt whose browser brought back no code, and
// releases its listener.
func (c *consentModel) consentFailed(err error) tea.Cmd {
	if !c.waiting() {
		return nil
	}
	c.fail("consent", err)
	return c.stop()
}

// updatePaste hands anything else (a paste, a cursor blink) to the paste
// prompt while it is open.
func (c *consentModel) updatePaste(msg tea.Msg) tea.Cmd {
	if !c.pasting {
		return nil
	}
	var cmd tea.Cmd
	c.paste, cmd = c.paste.Update(msg)
	return cmd
}

func (m Model) consentKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	c := &m.consent
	k := m.keys
	if c.pasting {
		switch {
		case key.Matches(msg, k.Back):
			c.pasting, c.note = false, statusNote{}
			c.paste.Blur()
			return m, nil
		case key.Matches(msg, k.Submit):
			return m, pasteCmd(c.gen, c.flow, c.paste.Value())
		}
		var cmd tea.Cmd
		c.paste, cmd = c.paste.Update(msg)
		return m, cmd
	}
	switch {
	case key.Matches(msg, k.Back):
		stop := c.stop()
		return m.leaveLogin(), stop
	case key.Matches(msg, k.Retry):
		return m.startLogin(m.cfg)
	case key.Matches(msg, k.Device):
		return m.startDevice(m.cfg)
	case key.Matches(msg, k.Open):
		// A new attempt: what an earlier key said (the address was copied)
		// is no longer news, and must not sit beside this one's failure.
		c.browser, c.note = "", statusNote{}
		return m, openBrowserCmd(m.d, c.gen, c.flow.URL())
	case key.Matches(msg, k.Copy):
		return m, copyCmd(m.d.Clipboard, c.flow.URL())
	case key.Matches(msg, k.Print):
		c.note = statusNote{}
		return m, printURLCmd(c.flow.URL(), m.done)
	case key.Matches(msg, k.Paste):
		c.pasting, c.note = true, statusNote{}
		c.paste.SetValue("")
		return m, c.paste.Focus()
	case key.Matches(msg, k.Approve):
		c.phase = consentApproving
		return m, approveCmd(m.d, c.gen, c.flow)
	}
	return m, nil
}

// loginFinished moves on from a successful login to the probe, with the
// dashboard ready behind it.
func (m Model) loginFinished(msg loginFinishedMsg) (Model, tea.Cmd) {
	m.consent.cancel, m.consent.flow = nil, nil // finishLoginCmd closed the listener
	st := msg.status
	if st.User == nil {
		st.User = msg.result.Record.User
	}
	m.dash = newDash(st)
	m.dash.lastLogin = m.now
	if msg.result.UserErr != nil {
		m.dash.userErr = msg.result.UserErr
	}
	if msg.result.MovedAside != "" {
		m.dash.note = badNote("The unreadable token store was moved to " + msg.result.MovedAside)
	}
	return m.startProbe()
}

// savedStatus is the profile's status after a login that worked: as the
// store says, or when it cannot be read back, as the login's record says.
func savedStatus(mgr *auth.Manager, rec *auth.Record) *auth.Status {
	if st, err := mgr.Status(); err == nil {
		return st
	}
	return mgr.StatusOf(rec)
}

func (c consentModel) statusLine(fr frame) string { return c.note.render(fr.st, fr.st.OK, fr.width) }

func (c consentModel) view(fr frame) string {
	st, width, now, spin, d := fr.st, fr.width, fr.now, fr.spin, fr.d
	var b strings.Builder
	b.WriteString(st.Title.Render("cozeauth") + st.Subtitle.Render(" · authorize in the browser") + "\n\n")
	switch c.phase {
	case consentStarting:
		b.WriteString(spin + " Starting the callback listener…")
	case consentWaiting, consentApproving:
		left := c.deadline.Sub(now).Round(time.Second)
		if c.phase == consentWaiting && c.browser == "" && d.Headless != "" {
			b.WriteString(c.headlessView(st, width, spin, max(left, 0), d))
			break
		}
		wait := fmt.Sprintf("%s Waiting for the browser to come back to %s", spin, c.flow.RedirectURI())
		b.WriteString(wrap(wait, width) + "\n")
		b.WriteString(st.Muted.Render(fmt.Sprintf("  %s left", clock(max(left, 0)))) + "\n\n")
		switch {
		case c.phase == consentApproving:
			b.WriteString(spin + " Approving as the sandbox user…\n\n")
		case c.browser == "opened":
			b.WriteString(st.OK.Render("✓ Opened your browser.") + " If it did not, open this address:\n")
		case c.browser == "failed" && c.pasting:
			// The address matters now, not why no browser opened: at
			// 60×20 the reason would push its end off screen.
			b.WriteString("No browser opened. Open this address yourself:\n")
		case c.browser == "failed":
			b.WriteString(paint(st.Warn, wrap("! "+c.browserErr.Error(), width)) + "\nOpen this address yourself:\n")
		default:
			b.WriteString(spin + " Opening your browser at:\n")
		}
		b.WriteString(link(st.Accent, c.flow.URL(), hardwrap(c.flow.URL(), width)) + "\n")
		if !c.pasting && d.Approve != nil {
			b.WriteString("\n" + paint(st.Muted, wrap("Sandbox: approve on the page, or press a to approve as the sandbox user.", width)) + "\n")
		}
	case consentExchanging:
		b.WriteString(spin + " Exchanging the code for tokens…")
	case consentFailed:
		what := map[string]string{
			"start":    "Could not start the login",
			"consent":  "The browser did not bring back a code",
			"exchange": "Coze did not exchange the code",
		}[c.stage]
		b.WriteString(st.Bad.Render("✗ "+what) + "\n\n")
		b.WriteString(paint(st.Bad, wrap(c.err.Error(), width)) + "\n\n")
		again := "Press r to try again with the same settings, d to use a device code instead, or Esc to change them."
		if !c.deviceOK {
			again = "Press r to try again with the same settings, or Esc to change them."
		}
		b.WriteString(paint(st.Muted, wrap(again, width)))
	}
	return strings.TrimRight(b.String(), "\n")
}

// input is the paste prompt and its text field, drawn under the screen and
// kept whole when the window is too small for all of it: what is cut is the
// text above.
func (c consentModel) input(fr frame) string {
	width := fr.width
	if !c.pasting || c.flow == nil {
		return ""
	}
	return "\n" + wrap("Paste the whole address your browser ended on (it starts with "+c.flow.RedirectURI()+"):", width) + "\n" + c.paste.View()
}

// headlessView is the waiting screen where no browser was opened: why, and
// the three ways on (the fallback ladder of `cozeauth login`), short enough
// for a 60×20 window.
func (c consentModel) headlessView(st Styles, width int, spin string, left time.Duration, d Deps) string {
	var b strings.Builder
	// No blank line under this one: the ladder needs every row at 60×20.
	b.WriteString(wrap(fmt.Sprintf("%s Waiting for the browser · %s left", spin, clock(left)), width) + "\n")
	if c.pasting {
		b.WriteString(paint(st.Muted, wrap("Open this address in a browser anywhere:", width)) + "\n")
	} else {
		b.WriteString(paint(st.Muted, wrap("No browser opened: "+d.Headless+". Three ways on:", width)) + "\n")
		for i, way := range c.waysOn(st, d) {
			b.WriteString(fmt.Sprintf("%d. ", i+1) + indentLines(wrap(way, width-3), "   ")[3:] + "\n")
		}
	}
	b.WriteString(link(st.Accent, c.flow.URL(), hardwrap(c.flow.URL(), width)) + "\n")
	if !c.pasting && d.Approve != nil && d.SandboxBase == "" {
		b.WriteString(paint(st.Muted, wrap("Sandbox: press a to approve as the sandbox user.", width)) + "\n")
	}
	return b.String()
}

// waysOn are the ways on without a browser. The embedded sandbox lives in
// this process, on loopback: no other machine reaches it, so there its
// first way is the a key rather than a port forward.
func (c consentModel) waysOn(st Styles, d Deps) []string {
	first := "On a machine with a browser, run\n" +
		st.Value.Render(fmt.Sprintf("ssh -L %[1]s:localhost:%[1]s <this host>", callbackPort(c.flow.RedirectURI()))) +
		"\nto forward the port, then open the address below there."
	paste := "Open it anywhere, then press p and paste the address the browser ended on."
	if d.SandboxBase != "" {
		first = "Press a to approve as the sandbox user."
		paste = "Open it in a browser on this machine, then press p and paste the address it ended on."
	}
	return []string{first, paste, c.deviceWay()}
}

// deviceWay is the third way on: a device code, which only a device app
// may use; for another app, how to get one.
func (c consentModel) deviceWay() string {
	if c.deviceOK {
		return "Press d to log in with a device code instead."
	}
	return "Device codes need a device app: Esc, choose type device."
}

// callbackPort is the port the callback listener is on.
func callbackPort(redirect string) string {
	u, err := url.Parse(redirect)
	switch {
	case err != nil:
		return "8080"
	case u.Port() != "":
		return u.Port()
	case u.Scheme == "https":
		return "443"
	}
	return "80"
}

// clock formats a countdown as m:ss (or h:mm:ss).
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	h, mnt, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, mnt, s)
	}
	return fmt.Sprintf("%d:%02d", mnt, s)
}

// Commands of the consent screen. Each runs off the UI goroutine.

func beginLoginCmd(d Deps, gen int, cfg auth.Config) tea.Cmd {
	return func() tea.Msg {
		mgr := d.Manager(cfg)
		flow, err := mgr.BeginLogin(true)
		if err != nil {
			return loginStartFailedMsg{gen: gen, err: err}
		}
		now := d.Now()
		return loginStartedMsg{gen: gen, mgr: mgr, flow: flow, deadline: now.Add(d.Timeout), now: now}
	}
}

func openBrowserCmd(d Deps, gen int, url string) tea.Cmd {
	return func() tea.Msg {
		if d.Browser == nil {
			return browserFailedMsg{gen: gen, err: errors.New("no browser is configured")}
		}
		if err := d.Browser.Open(url); err != nil {
			return browserFailedMsg{gen: gen, err: err}
		}
		return browserOpenedMsg{gen: gen}
	}
}

// waitForCallbackCmd waits for the browser; a wait cancelled by the UI
// (Esc, a paste, quitting) reports nothing.
func waitForCallbackCmd(ctx context.Context, gen int, flow *auth.LoginFlow) tea.Cmd {
	return func() tea.Msg {
		code, err := flow.Wait(ctx)
		switch {
		case errors.Is(ctx.Err(), context.Canceled):
			return nil
		case err != nil:
			return consentFailedMsg{gen: gen, err: err}
		}
		return codeReceivedMsg{gen: gen, code: code, via: "browser"}
	}
}

func pasteCmd(gen int, flow *auth.LoginFlow, pasted string) tea.Cmd {
	return func() tea.Msg {
		code, err := flow.CodeFromURL(pasted)
		if err != nil {
			return pasteRejectedMsg{gen: gen, err: err}
		}
		return codeReceivedMsg{gen: gen, code: code, via: "paste"}
	}
}

func approveCmd(d Deps, gen int, flow *auth.LoginFlow) tea.Cmd {
	return func() tea.Msg {
		redirect, err := d.Approve(flow.URL())
		if err != nil {
			return consentFailedMsg{gen: gen, err: fmt.Errorf("the sandbox did not approve: %w", err)}
		}
		code, err := flow.CodeFromURL(redirect)
		if err != nil {
			return consentFailedMsg{gen: gen, err: err}
		}
		return codeReceivedMsg{gen: gen, code: code, via: "sandbox"}
	}
}

func finishLoginCmd(d Deps, gen int, mgr *auth.Manager, flow *auth.LoginFlow, code string) tea.Cmd {
	return func() tea.Msg {
		defer flow.Close()
		ctx, cancel := context.WithTimeout(context.Background(), exchangeTimeout)
		defer cancel()
		res, err := flow.Finish(ctx, code)
		if err != nil {
			return exchangeFailedMsg{gen: gen, err: err}
		}
		return loginFinishedMsg{gen: gen, result: res, status: savedStatus(mgr, res.Record), now: d.Now()}
	}
}
