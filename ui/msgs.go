package ui

import (
	"time"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/probe"
)

// Messages are facts that commands report back to Update, one type per
// outcome. Those that belong to one login attempt or one probe run carry its
// generation, so that an answer to an attempt the user has already left (Esc,
// retry, run again) is recognised and dropped.

// attemptMsg is a message of one login attempt or probe run: attempt is its
// generation.
type attemptMsg interface{ attempt() int }

func (m loginStartedMsg) attempt() int        { return m.gen }
func (m loginStartFailedMsg) attempt() int    { return m.gen }
func (m browserOpenedMsg) attempt() int       { return m.gen }
func (m browserFailedMsg) attempt() int       { return m.gen }
func (m codeReceivedMsg) attempt() int        { return m.gen }
func (m consentFailedMsg) attempt() int       { return m.gen }
func (m pasteRejectedMsg) attempt() int       { return m.gen }
func (m loginFinishedMsg) attempt() int       { return m.gen }
func (m exchangeFailedMsg) attempt() int      { return m.gen }
func (m deviceStartedMsg) attempt() int       { return m.gen }
func (m deviceStartFailedMsg) attempt() int   { return m.gen }
func (m deviceFailedMsg) attempt() int        { return m.gen }
func (m deviceApprovedMsg) attempt() int      { return m.gen }
func (m deviceApproveFailedMsg) attempt() int { return m.gen }
func (m probeStartedMsg) attempt() int        { return m.gen }
func (m probeStartFailedMsg) attempt() int    { return m.gen }
func (m probeResultMsg) attempt() int         { return m.gen }
func (m probeFinishedMsg) attempt() int       { return m.gen }

// profileLoadedMsg: the saved profile was read at start-up.
type profileLoadedMsg struct {
	status *auth.Status
	now    time.Time
}

// profileLoadFailedMsg: the token store could not be read; the form opens
// with the reason, since a login moves an unreadable store aside.
type profileLoadFailedMsg struct {
	err error
	now time.Time
}

// tickMsg is the one-second clock that drives the countdowns.
type tickMsg struct{ now time.Time }

// loginStartedMsg: the callback listener is up and the authorize URL is known.
type loginStartedMsg struct {
	gen      int
	mgr      *auth.Manager
	flow     *auth.LoginFlow
	deadline time.Time
	now      time.Time
}

// loginStartFailedMsg: no listener could be started (busy port, bad input).
type loginStartFailedMsg struct {
	gen int
	err error
}

// browserOpenedMsg and browserFailedMsg report an attempt to open the browser.
type browserOpenedMsg struct{ gen int }

type browserFailedMsg struct {
	gen int
	err error
}

// urlCopiedMsg reports an OSC 52 copy of an address, with the note to show.
type urlCopiedMsg struct{ note string }

// codeReceivedMsg: an authorization code arrived, by callback, paste or the
// sandbox's approve key; via says which.
type codeReceivedMsg struct {
	gen  int
	code string
	via  string
}

// consentFailedMsg: waiting for the browser ended without a code (refusal,
// timeout, listener error).
type consentFailedMsg struct {
	gen int
	err error
}

// pasteRejectedMsg: the pasted address carried no code for this login.
type pasteRejectedMsg struct {
	gen int
	err error
}

// loginFinishedMsg: the code was exchanged and the tokens saved.
type loginFinishedMsg struct {
	gen    int
	result *auth.LoginResult
	status *auth.Status
	now    time.Time
}

// deviceStartedMsg: Coze gave a user code for a device login; qr is the
// verification URL drawn as a QR code (empty when it could not be drawn).
type deviceStartedMsg struct {
	gen  int
	mgr  *auth.Manager
	flow *auth.DeviceFlow
	qr   string
	now  time.Time
}

// deviceStartFailedMsg: no user code could be had (not a device app, no network).
type deviceStartFailedMsg struct {
	gen int
	err error
}

// deviceFailedMsg: the device login ended without tokens: denied, expired
// ([*auth.DeviceError]) or a poll that failed. Its success is a
// loginFinishedMsg, as for any login.
type deviceFailedMsg struct {
	gen int
	err error
}

// deviceApprovedMsg and deviceApproveFailedMsg answer the sandbox's a key on
// the device screen; the login itself finishes at the next poll.
type deviceApprovedMsg struct{ gen int }

type deviceApproveFailedMsg struct {
	gen int
	err error
}

// exchangeFailedMsg: Coze did not exchange the code (or the save failed).
type exchangeFailedMsg struct {
	gen int
	err error
}

// probeStartedMsg: a probe run began; results arrive on results.
type probeStartedMsg struct {
	gen     int
	targets []probe.Target
	results <-chan probe.Result
	started time.Time
	proxy   string
}

// probeStartFailedMsg: no probe could be started (no token, no prober).
type probeStartFailedMsg struct {
	gen int
	err error
}

// probeResultMsg: one target's result landed.
type probeResultMsg struct {
	gen    int
	result probe.Result
}

// probeFinishedMsg: every target has answered or failed.
type probeFinishedMsg struct {
	gen      int
	finished time.Time
}

// tokenRefreshedMsg: a refresh (manual or automatic) worked or was not needed.
type tokenRefreshedMsg struct {
	status *auth.Status
	auto   bool
	at     time.Time
}

// refreshFailedMsg: a refresh failed; the dashboard stays and says why.
type refreshFailedMsg struct {
	err  error
	auto bool
	at   time.Time
	// status is the profile's status read after the failure; nil when it
	// could not be read.
	status *auth.Status
}

// userLoadedMsg and userLookupFailedMsg answer GET /v1/users/me.
type userLoadedMsg struct{ user *coze.User }

type userLookupFailedMsg struct{ err error }
