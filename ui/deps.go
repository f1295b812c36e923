package ui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/spinner"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/probe"
)

// Prober runs the connectivity probe; *probe.Prober is the real one. Start
// sends each result as it lands and closes the channel when all are in;
// ProxySummary names the proxy the targets go through ("" for direct).
type Prober interface {
	Start(ctx context.Context, targets []probe.Target) <-chan probe.Result
	ProxySummary(targets []probe.Target) string
}

// Deps is everything the UI needs from outside, in three groups: the
// services every effect goes through (each from inside a tea.Cmd), the
// sandbox's hooks, and how the screens look.
type Deps struct {
	// Initial prefills the form: flags, environment and the saved profile,
	// already resolved by the caller.
	Initial auth.Config
	// Timeout bounds the wait for the browser (default 5m).
	Timeout time.Duration

	Services
	SandboxHooks
	Appearance
}

// Services are the outside effects: tokens, the probe, the browser, the
// clipboard and the clock.
type Services struct {
	// Manager builds a token manager for a config (the form's, once
	// submitted); the caller wires its store, HTTP client and clock.
	Manager func(auth.Config) *auth.Manager
	// Prober runs the probe; Targets lists what it probes (nil: probe.Targets).
	Prober  Prober
	Targets func(apiBase, wwwBase, token string) []probe.Target
	// Browser opens the authorize URL. Headless, when not empty, says why it
	// is not opened by itself (an SSH session, no display: the rules of
	// `cozeauth login`); the o key still opens it on request.
	Browser  auth.Browser
	Headless string
	// Clipboard is how text is copied for the user (OSC 52); nil disables
	// the c key.
	Clipboard *Clipboard
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Home is the user's home directory: a path typed on the form as ~/…
	// is read from it ("": ~ is left as typed).
	Home string
}

// SandboxHooks are set only in sandbox mode (`cozeauth --sandbox`).
type SandboxHooks struct {
	// SandboxBase, when not empty, is the embedded fake Coze's base URL;
	// the screens say that they are talking to it.
	SandboxBase string
	// Approve does what the consent page's Approve button does and returns
	// the address the browser would be sent to. It enables the a key on the
	// consent screen.
	Approve func(authorizeURL string) (redirectURL string, err error)
	// ApproveDevice does what the device page's Approve button does for a
	// user code. It enables the a key on the device code screen.
	ApproveDevice func(userCode string) error
	// SandboxApps are the sandbox's app of each type: choosing a type on the
	// form fills in that app (client id, secret, key id and key).
	SandboxApps map[auth.AppType]auth.Config
	// AnyRedirectPort lets the form take a redirect URI with port 0: only a
	// server that registers whatever port is picked can accept it.
	AnyRedirectPort bool
}

// Appearance is how the screens are drawn. The colours need nothing here:
// the wizard asks the terminal for its background once it runs, and Bubble
// Tea's renderer fits them to the terminal (none under NO_COLOR).
type Appearance struct {
	// Spinner is the busy indicator (zero: a dot spinner). Tests use a
	// one-frame spinner so that golden files do not depend on timing.
	Spinner spinner.Spinner
	// TickEvery is the countdowns' clock period (default 1s).
	TickEvery time.Duration
}

// DefaultTimeout is how long the consent screen waits for the browser.
const DefaultTimeout = 5 * time.Minute

func (d Deps) withDefaults() Deps {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Timeout <= 0 {
		d.Timeout = DefaultTimeout
	}
	if d.TickEvery <= 0 {
		d.TickEvery = time.Second
	}
	if len(d.Spinner.Frames) == 0 {
		d.Spinner = spinner.MiniDot
	}
	if d.Targets == nil {
		d.Targets = probe.Targets
	}
	return d
}
