package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/qr"
)

// devicePhase is where a device login stands.
type devicePhase int

const (
	deviceStarting devicePhase = iota // asking Coze for a user code
	deviceWaiting                     // showing the code; polling until it is approved
	deviceFailed                      // denied, expired or broken; r asks for a new code
)

// deviceModel is one device login (RFC 8628): the user code and where to
// enter it, its countdown, and, once it is over, how it failed. Its tokens
// arrive as a loginFinishedMsg, like a browser login's.
type deviceModel struct {
	gen    int
	phase  devicePhase
	cancel context.CancelFunc // ends the request for a code, then the polling
	auth   *auth.DeviceAuth
	qr     string // the verification URL as a QR code; "" when it cannot be drawn

	// approving: the sandbox's a key is being answered; approved: it was.
	approving, approved bool
	note                statusNote // the status line above the help
	err                 error
	stage               string // "start" or "wait": what failed
}

func (dv deviceModel) busy() bool {
	return dv.phase == deviceStarting || dv.phase == deviceWaiting
}

// stop ends the request or the polling at once.
func (dv *deviceModel) stop() {
	if dv.cancel != nil {
		dv.cancel()
		dv.cancel = nil
	}
}

// keys enables the device screen's keys for its phase.
func (dv deviceModel) keys(k *keyMap, d Deps) {
	switch dv.phase {
	case deviceWaiting:
		k.enableOnly(&k.Approve, &k.Copy, &k.Back, &k.QuitQ, &k.Quit, &k.Help)
		k.Approve.SetEnabled(d.ApproveDevice != nil && !dv.approving && !dv.approved)
		k.Copy.SetEnabled(d.Clipboard != nil)
	case deviceFailed:
		k.enableOnly(&k.Retry, &k.Back, &k.QuitQ, &k.Quit, &k.Help)
	default:
		k.enableOnly(&k.Back, &k.QuitQ, &k.Quit)
	}
	k.Retry.SetHelp("r", "new code")
	k.Back.SetHelp("esc", "form")
}

// startDevice leaves a browser login, if one is open (its listener is
// closed), and asks Coze for a user code with cfg.
func (m Model) startDevice(cfg auth.Config) (Model, tea.Cmd) {
	stop := m.consent.stop()
	m.device.stop()
	m.cfg = cfg
	m.gen++
	ctx, cancel := context.WithTimeout(context.Background(), exchangeTimeout)
	m.device = deviceModel{gen: m.gen, cancel: cancel}
	m.screen = screenDevice
	return m, tea.Batch(stop, beginDeviceCmd(ctx, m.d, m.gen, cfg))
}

// updateDevice handles the device screen's keys and its login's answers;
// answers to a login the user has already left are dropped.
func (m Model) updateDevice(msg tea.Msg) (Model, tea.Cmd) {
	if a, ok := msg.(attemptMsg); ok && a.attempt() != m.device.gen {
		return m, nil
	}
	dv := &m.device
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m.deviceKey(msg)
	case deviceStartedMsg:
		m.now = msg.now
		return m, dv.started(m.d, msg)
	case deviceStartFailedMsg:
		if dv.phase == deviceStarting {
			dv.fail("start", msg.err)
		}
	case deviceFailedMsg:
		if dv.phase == deviceWaiting {
			dv.fail("wait", msg.err)
		}
	case deviceApprovedMsg:
		dv.sandboxAnswered(nil)
	case deviceApproveFailedMsg:
		dv.sandboxAnswered(msg.err)
	case urlCopiedMsg:
		dv.note = okNote(msg.note)
	case loginFinishedMsg:
		// Taken even after the clock said the code expired: the tokens are saved.
		dv.stop()
		m.now = msg.now
		return m.loginFinished(msg)
	}
	return m, nil
}

// started shows the user code and polls until it is approved.
func (dv *deviceModel) started(d Deps, msg deviceStartedMsg) tea.Cmd {
	dv.stop() // the request for a code is over; the polling gets its own context
	ctx, cancel := context.WithCancel(context.Background())
	dv.cancel, dv.auth, dv.qr, dv.phase = cancel, msg.flow.Auth(), msg.qr, deviceWaiting
	return waitForDeviceCmd(ctx, d, dv.gen, msg.mgr, msg.flow)
}

// fail ends the login: stage says during what ("start" or "wait").
func (dv *deviceModel) fail(stage string, err error) {
	dv.stop()
	dv.phase, dv.err, dv.stage, dv.approving, dv.note = deviceFailed, err, stage, false, statusNote{}
}

// sandboxAnswered notes how the sandbox's a key went (err nil: approved).
func (dv *deviceModel) sandboxAnswered(err error) {
	if dv.phase != deviceWaiting {
		return
	}
	dv.approving = false
	if err != nil {
		dv.note = badNote("The sandbox did not approve: " + err.Error())
		return
	}
	dv.approved = true
	dv.note = okNote("Approved as the sandbox user: the next check picks it up.")
}

func (m Model) deviceKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	dv := &m.device
	k := m.keys
	switch {
	case key.Matches(msg, k.Back):
		dv.stop()
		return m.leaveLogin(), nil
	case key.Matches(msg, k.Retry):
		return m.startDevice(m.cfg)
	case key.Matches(msg, k.Approve):
		dv.approving, dv.note = true, statusNote{}
		return m, approveDeviceCmd(m.d, dv.gen, dv.auth.UserCode)
	case key.Matches(msg, k.Copy):
		return m, copyCmd(m.d.Clipboard, dv.auth.VerificationURL())
	}
	return m, nil
}

// deviceTick ends a login whose code has expired by the clock, rather than
// leave 0:00 on screen until the next poll hears it from Coze.
func (m *Model) deviceTick() {
	dv := &m.device
	if dv.phase != deviceWaiting || m.now.Before(dv.auth.ExpiresAt) {
		return
	}
	dv.fail("wait", &auth.DeviceError{Code: "expired_token"})
}

// qrGap is the room between the text and the QR code beside it; textMin
// and textMax bound the text's width there.
const (
	qrGap   = 3
	textMin = 36
	textMax = 60
)

func (dv deviceModel) statusLine(fr frame) string { return dv.note.render(fr.st, fr.st.OK, fr.width) }

// view draws the screen in width columns and at most room rows: the QR code
// goes beside the text, else under it, else it is left out with a word why.
func (dv deviceModel) view(fr frame) string {
	st, width, room, now, spin, d := fr.st, fr.width, fr.room, fr.now, fr.spin, fr.d
	header := st.Title.Render("cozeauth") + st.Subtitle.Render(" · log in with a device code") + "\n\n"
	switch dv.phase {
	case deviceStarting:
		return header + spin + " Asking Coze for a device code…"
	case deviceFailed:
		return header + dv.failedView(st, width)
	}
	room -= 2 // the header
	qrW, qrH := blockSize(dv.qr)
	if dv.qr != "" {
		if tw := min(width-qrW-qrGap, textMax); tw >= textMin {
			text := dv.text(st, tw, now, spin, d, true)
			if max(lineCount(text), qrH) <= room {
				return header + beside(text, tw+qrGap, paint(st.QR, dv.qr))
			}
		}
		text := dv.text(st, width, now, spin, d, true)
		if qrW <= width && lineCount(text)+1+qrH <= room {
			return header + text + "\n\n" + paint(st.QR, dv.qr)
		}
	}
	text := dv.text(st, width, now, spin, d, false)
	if dv.qr != "" {
		text += "\n\n" + paint(st.Muted, wrap("The window is too small for the QR code of this address: enlarge it to see the code.", width))
	}
	return header + text
}

// text is the device screen's words: where to go, the code, the countdown.
func (dv deviceModel) text(st Styles, width int, now time.Time, spin string, d Deps, withQR bool) string {
	var b strings.Builder
	open := "On any device, open"
	if withQR {
		open += " (or scan)"
	}
	b.WriteString(open + ":\n")
	b.WriteString(link(st.Accent, dv.auth.VerificationURL(), urlwrap(dv.auth.VerificationURL(), width)) + "\n\n")
	b.WriteString("and enter the code:\n")
	b.WriteString(st.UserCode.Render(spaced(dv.auth.UserCode)) + "\n\n")
	left := max(dv.auth.ExpiresAt.Sub(now), 0)
	b.WriteString(wrap(fmt.Sprintf("%s Waiting for approval · %s left", spin, clock(left)), width) + "\n")
	if d.ApproveDevice != nil {
		hint := "Sandbox: approve on the page, or press a to approve as the sandbox user."
		switch {
		case dv.approving:
			hint = "Sandbox: approving as the sandbox user…"
		case dv.approved:
			hint = "Sandbox: approved as the sandbox user."
		}
		b.WriteString("\n" + paint(st.Muted, wrap(hint, width)) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (dv deviceModel) failedView(st Styles, width int) string {
	what := "The device login failed"
	var de *auth.DeviceError
	switch {
	case dv.stage == "start":
		what = "Could not get a device code"
	case errors.As(dv.err, &de) && de.Code == "access_denied":
		what = "The device login was denied"
	case errors.As(dv.err, &de) && de.Code == "expired_token":
		what = "The device code expired"
	}
	return st.Bad.Render("✗ "+what) + "\n\n" +
		paint(st.Bad, wrap(dv.err.Error(), width)) + "\n\n" +
		paint(st.Muted, wrap("Press r for a new code, or Esc to change the settings.", width))
}

// spaced puts a space between the characters of a user code, to read it out.
func spaced(code string) string {
	return strings.Join(strings.Split(code, ""), " ")
}

// beside joins left, padded to width columns, and right line by line.
func beside(left string, width int, right string) string {
	l, r := strings.Split(left, "\n"), strings.Split(right, "\n")
	out := make([]string, max(len(l), len(r)))
	for i := range out {
		var a, b string
		if i < len(l) {
			a = l[i]
		}
		if i < len(r) {
			b = r[i]
		}
		out[i] = pad(a, width) + b
	}
	return strings.Join(out, "\n")
}

// blockSize is the width and height of a block of text.
func blockSize(s string) (w, h int) {
	if s == "" {
		return 0, 0
	}
	lines := strings.Split(s, "\n")
	for _, l := range lines {
		w = max(w, ansi.StringWidth(l))
	}
	return w, len(lines)
}

func lineCount(s string) int { return strings.Count(s, "\n") + 1 }

// Commands of the device screen. Each runs off the UI goroutine.

func beginDeviceCmd(ctx context.Context, d Deps, gen int, cfg auth.Config) tea.Cmd {
	return func() tea.Msg {
		mgr := d.Manager(cfg)
		flow, err := mgr.BeginDevice(ctx)
		switch {
		case err != nil && errors.Is(ctx.Err(), context.Canceled):
			return nil // the user left
		case err != nil:
			return deviceStartFailedMsg{gen: gen, err: err}
		}
		return deviceStartedMsg{gen: gen, mgr: mgr, flow: flow, qr: qr.Draw(flow.Auth().VerificationURL()), now: d.Now()}
	}
}

// waitForDeviceCmd polls until the code is approved, refused or expired; a
// wait cancelled by the UI (Esc, a new code, quitting) reports nothing.
func waitForDeviceCmd(ctx context.Context, d Deps, gen int, mgr *auth.Manager, flow *auth.DeviceFlow) tea.Cmd {
	return func() tea.Msg {
		res, err := flow.Wait(ctx)
		switch {
		case err != nil && errors.Is(ctx.Err(), context.Canceled):
			return nil
		case err != nil:
			return deviceFailedMsg{gen: gen, err: err}
		}
		return loginFinishedMsg{gen: gen, result: res, status: savedStatus(mgr, res.Record), now: d.Now()}
	}
}

func approveDeviceCmd(d Deps, gen int, userCode string) tea.Cmd {
	return func() tea.Msg {
		if err := d.ApproveDevice(userCode); err != nil {
			return deviceApproveFailedMsg{gen: gen, err: err}
		}
		return deviceApprovedMsg{gen: gen}
	}
}
