package ui

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
)

func TestConsentWaitingOpensBrowser(t *testing.T) {
	f := newFixture(t)
	m, cmd := f.consent(t)
	if m.consent.phase != consentWaiting {
		t.Fatalf("phase = %v, want waiting", m.consent.phase)
	}
	m, _ = step(m, await[browserOpenedMsg](t, cmd))
	if got := f.browser.opened(); len(got) != 1 || got[0] != m.consent.flow.URL() {
		t.Errorf("browser opened %q, want the authorize URL", got)
	}
	v := viewText(m)
	for _, want := range []string{"Opened your browser", "5:00 left", "Waiting for the browser"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	// The countdown follows the clock.
	m, _ = step(m, tickMsg{now: f.clock.Advance(90 * time.Second)})
	if v := viewText(m); !strings.Contains(v, "3:30 left") {
		t.Errorf("after 90s the countdown does not show 3:30:\n%s", v)
	}
}

func TestConsentHeadlessDoesNotOpen(t *testing.T) {
	f := newFixture(t)
	f.deps.Headless = "this is an SSH session"
	m, cmd := f.consent(t)
	msg := await[codeReceivedMsg](t, tea.Batch(cmd, func() tea.Msg {
		// Nothing opened: finish the wait through the callback ourselves.
		redirect, _ := approveURL(m.consent.flow.URL())
		resp, err := http.Get(redirect)
		if err == nil {
			resp.Body.Close()
		}
		return nil
	}))
	if got := f.browser.opened(); len(got) != 0 {
		t.Errorf("browser opened %q on a headless machine", got)
	}
	if v := viewText(m); !strings.Contains(v, "this is an SSH session") || !strings.Contains(v, "press p") {
		t.Errorf("headless view does not say why nor what to do:\n%s", v)
	}
	if msg.via != "browser" || msg.code != "fake-code" {
		t.Errorf("code message = %+v", msg)
	}
}

func TestConsentBrowserFailureIsShown(t *testing.T) {
	f := newFixture(t)
	f.browser.err = errors.New("could not open a browser: xdg-open not found")
	m, cmd := f.consent(t)
	m, _ = step(m, await[browserFailedMsg](t, cmd))
	if v := viewText(m); !strings.Contains(v, "xdg-open not found") || !strings.Contains(v, "Open this address yourself") {
		t.Errorf("view:\n%s", v)
	}
	if m.consent.phase != consentWaiting {
		t.Errorf("a browser failure ended the wait: phase %v", m.consent.phase)
	}
}

func TestConsentKeyO(t *testing.T) {
	f := newFixture(t)
	m, _ := f.consent(t)
	m, cmd := step(m, press("o"))
	step(m, await[browserOpenedMsg](t, cmd))
	if n := len(f.browser.opened()); n < 1 {
		t.Errorf("o opened nothing")
	}
}

func TestConsentKeyC(t *testing.T) {
	f := newFixture(t)
	m, _ := f.consent(t)
	m, cmd := step(m, press("c"))
	if got, raw := clipboardWrites(t, cmd); got != m.consent.flow.URL() || raw != nil {
		t.Errorf("copied %q and wrote %q", got, raw)
	}
	m, _ = step(m, await[urlCopiedMsg](t, cmd))
	if v := strings.Join(strings.Fields(viewText(m)), " "); !strings.Contains(v, "Sent the address to the terminal's clipboard (OSC 52)") || strings.Contains(v, "Copied") {
		t.Errorf("the note claims more or less than that the address was sent:\n%s", v)
	}
	// Without a clipboard the key is off.
	f.deps.Clipboard = nil
	m2, _ := f.consent(t)
	if m2.keys.Copy.Enabled() {
		t.Error("c is enabled with no clipboard")
	}
}

// Inside tmux the address also goes wrapped for passthrough, through the
// renderer, and the note says what tmux needs when its set-clipboard is off.
func TestConsentCopyInTmux(t *testing.T) {
	f := newFixture(t)
	f.deps.Clipboard = &Clipboard{Multiplexer: "tmux", Note: "tmux needs `set -g set-clipboard on`."}
	m, _ := f.consent(t)
	m, cmd := step(m, press("c"))
	text, raw := clipboardWrites(t, cmd)
	if text != m.consent.flow.URL() || len(raw) != 1 || !strings.HasPrefix(raw[0], "\x1bPtmux;") {
		t.Errorf("copied %q and wrote %q, want the URL and one tmux passthrough", text, raw)
	}
	m, _ = step(m, await[urlCopiedMsg](t, cmd))
	if v := strings.Join(strings.Fields(viewText(m)), " "); !strings.Contains(v, "tmux needs `set -g set-clipboard on`.") {
		t.Errorf("the note does not say what tmux needs:\n%s", v)
	}
}

func TestConsentPaste(t *testing.T) {
	f := newFixture(t)
	m, _ := f.consent(t)
	m, _ = step(m, press("p"))
	if !m.consent.pasting {
		t.Fatal("p did not open the paste box")
	}
	// Letters go into the box, not to the keys.
	m = typeText(m, "q")
	if m.consent.paste.Value() != "q" {
		t.Fatalf("paste box = %q", m.consent.paste.Value())
	}
	m, _ = step(m, press("backspace"))

	// A wrong state is refused and the box stays open.
	m = typeText(m, m.consent.flow.RedirectURI()+"?code=abc&state=wrong")
	m, cmd := step(m, press("enter"))
	m, _ = step(m, await[pasteRejectedMsg](t, cmd))
	if !m.consent.pasting || !strings.Contains(viewText(m), "state does not match") {
		t.Errorf("wrong state: pasting %v, view:\n%s", m.consent.pasting, viewText(m))
	}

	// The right address goes on to the exchange.
	redirect, _ := approveURL(m.consent.flow.URL())
	m.consent.paste.SetValue(redirect)
	m, cmd = step(m, press("enter"))
	code := await[codeReceivedMsg](t, cmd)
	if code.via != "paste" || code.code != "fake-code" {
		t.Fatalf("code = %+v", code)
	}
	m, cmd = step(m, code)
	if m.consent.phase != consentExchanging || m.consent.pasting {
		t.Fatalf("phase %v pasting %v, want exchanging", m.consent.phase, m.consent.pasting)
	}
	done := await[loginFinishedMsg](t, cmd)
	if done.result.Record.AccessToken != "czu_fake_access_0001" {
		t.Errorf("record = %+v", done.result.Record)
	}
}

func TestConsentPasteEscCancels(t *testing.T) {
	m, _ := newFixture(t).consent(t)
	m, _ = step(m, press("p"))
	m, _ = step(m, press("esc"))
	if m.consent.pasting || m.screen != screenConsent {
		t.Errorf("esc in the paste box: pasting %v screen %v", m.consent.pasting, m.screen)
	}
}

func TestConsentApproveKeyOnlyInSandbox(t *testing.T) {
	f := newFixture(t)
	f.deps.Approve = nil
	m, _ := f.consent(t)
	if m.keys.Approve.Enabled() {
		t.Error("a is enabled outside sandbox mode")
	}
	if m, _ = step(m, press("a")); m.consent.phase != consentWaiting {
		t.Errorf("a outside sandbox mode changed the phase to %v", m.consent.phase)
	}
	if strings.Contains(viewText(m), "approve") {
		t.Errorf("the view offers a outside sandbox mode:\n%s", viewText(m))
	}
}

func TestConsentApproveKeyLogsIn(t *testing.T) {
	f := newFixture(t)
	m, _ := f.consent(t)
	if !strings.Contains(viewText(m), "press a") {
		t.Errorf("sandbox consent does not offer a:\n%s", viewText(m))
	}
	m, cmd := step(m, press("a"))
	if m.consent.phase != consentApproving {
		t.Fatalf("phase = %v, want approving", m.consent.phase)
	}
	code := await[codeReceivedMsg](t, cmd)
	if code.via != "sandbox" {
		t.Errorf("via = %q", code.via)
	}
	m, cmd = step(m, code)
	m, cmd = step(m, await[loginFinishedMsg](t, cmd))
	if m.screen != screenProbe {
		t.Fatalf("after the login: screen %v, want probe", m.screen)
	}
	if m.dash.status == nil || m.dash.status.User.Display() != "Test User (@tester)" {
		t.Errorf("dashboard status = %+v", m.dash.status)
	}
	rec, err := f.store.Load("default")
	if err != nil || rec == nil || rec.AccessToken != "czu_fake_access_0001" {
		t.Errorf("stored record %+v, %v", rec, err)
	}
	step(m, await[probeStartedMsg](t, cmd))
}

func TestConsentApproveFailure(t *testing.T) {
	f := newFixture(t)
	f.deps.Approve = func(string) (string, error) { return "", errors.New("unknown client_id") }
	m, _ := f.consent(t)
	m, cmd := step(m, press("a"))
	m, _ = step(m, await[consentFailedMsg](t, cmd))
	if m.consent.phase != consentFailed || !strings.Contains(viewText(m), "unknown client_id") {
		t.Errorf("phase %v view:\n%s", m.consent.phase, viewText(m))
	}
}

func TestConsentExchangeFailureAndRetry(t *testing.T) {
	f := newFixture(t)
	f.coze.set(func(fc *fakeCoze) { fc.failExchange = true })
	m, _ := f.consent(t)
	m, cmd := step(m, press("a"))
	m, cmd = step(m, await[codeReceivedMsg](t, cmd))
	m, _ = step(m, await[exchangeFailedMsg](t, cmd))
	if m.consent.phase != consentFailed || m.consent.stage != "exchange" {
		t.Fatalf("phase %v stage %q", m.consent.phase, m.consent.stage)
	}
	v := strings.Join(strings.Fields(viewText(m)), " ")
	for _, want := range []string{"Coze did not exchange the code", "the authorization code has expired", "20250102FAKELOGID", "Press r to try again"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, viewText(m))
		}
	}
	if !m.keys.Retry.Enabled() || m.keys.Open.Enabled() {
		t.Errorf("keys after a failure: retry %v open %v", m.keys.Retry.Enabled(), m.keys.Open.Enabled())
	}

	// r starts a new attempt with the same settings, nothing retyped.
	f.coze.set(func(fc *fakeCoze) { fc.failExchange = false })
	gen := m.consent.gen
	m, cmd = step(m, press("r"))
	if m.screen != screenConsent || m.consent.gen == gen || m.consent.phase != consentStarting {
		t.Fatalf("r: screen %v gen %d->%d phase %v", m.screen, gen, m.consent.gen, m.consent.phase)
	}
	m, _ = step(m, await[loginStartedMsg](t, cmd))
	defer m.Close()
	if m.consent.flow.Request().RedirectURI == "" || m.cfg.ClientID != testClientID {
		t.Errorf("retry lost the settings: %+v", m.cfg)
	}
}

func TestConsentTimeoutFails(t *testing.T) {
	f := newFixture(t)
	f.deps.Timeout = time.Millisecond
	m, cmd := f.consent(t)
	m, _ = step(m, await[consentFailedMsg](t, cmd))
	if m.consent.phase != consentFailed || !strings.Contains(viewText(m), "timed out") {
		t.Errorf("phase %v view:\n%s", m.consent.phase, viewText(m))
	}
}

func TestConsentDeniedInBrowser(t *testing.T) {
	f := newFixture(t)
	m, cmd := f.consent(t)
	u, _ := url.Parse(m.consent.flow.URL())
	deny := m.consent.flow.RedirectURI() + "?" + url.Values{"error": {"access_denied"}, "error_description": {"the user said no"}, "state": {u.Query().Get("state")}}.Encode()
	go func() {
		if resp, err := http.Get(deny); err == nil {
			resp.Body.Close()
		}
	}()
	m, _ = step(m, await[consentFailedMsg](t, cmd))
	if v := strings.Join(strings.Fields(viewText(m)), " "); !strings.Contains(v, "denied in the browser") || !strings.Contains(v, "the user said no") {
		t.Errorf("view:\n%s", v)
	}
}

func TestConsentEscBackToForm(t *testing.T) {
	f := newFixture(t)
	m, _ := f.consent(t)
	flow := m.consent.flow
	m, cmd := step(m, press("esc"))
	if m.screen != screenForm {
		t.Fatalf("screen = %v, want form", m.screen)
	}
	if cmd == nil {
		t.Fatal("esc left the listener open")
	}
	if msg := cmd(); msg != nil { // closes the listener
		t.Errorf("closing the listener said %#v", msg)
	}
	if _, err := http.Get(flow.RedirectURI()); err == nil {
		t.Error("the callback listener still answers after esc")
	}
	if m.form.config().ClientID != testClientID {
		t.Error("the form lost its content")
	}
}

func TestConsentStaleAnswersAreDropped(t *testing.T) {
	m, _ := newFixture(t).consent(t)
	old := m.consent.gen - 1
	for _, msg := range []tea.Msg{
		codeReceivedMsg{gen: old, code: "x"},
		consentFailedMsg{gen: old, err: errors.New("old")},
		exchangeFailedMsg{gen: old, err: errors.New("old")},
		loginStartFailedMsg{gen: old, err: errors.New("old")},
		browserFailedMsg{gen: old, err: errors.New("old")},
	} {
		next, cmd := step(m, msg)
		if next.consent.phase != consentWaiting || next.consent.err != nil || next.consent.browser != "" || cmd != nil && isQuit(cmd) {
			t.Errorf("%T of an old attempt changed the state: phase %v err %v", msg, next.consent.phase, next.consent.err)
		}
	}
}

func TestConsentStartFailure(t *testing.T) {
	f := newFixture(t)
	busy := auth.BusyPortError{Port: "8080"}
	m := f.form(t)
	m, _ = step(m, press("enter"))
	m, _ = step(m, loginStartFailedMsg{gen: m.consent.gen, err: &busy})
	v := strings.Join(strings.Fields(viewText(m)), " ")
	if m.consent.phase != consentFailed || !strings.Contains(v, "port 8080 is already in use") {
		t.Errorf("phase %v view:\n%s", m.consent.phase, viewText(m))
	}
	if m, _ = step(m, press("esc")); m.screen != screenForm {
		t.Errorf("esc after a failed start: screen %v", m.screen)
	}
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0:00", 59 * time.Second: "0:59", 5 * time.Minute: "5:00", 61*time.Minute + 2*time.Second: "1:01:02",
	} {
		if got := clock(d); got != want {
			t.Errorf("clock(%v) = %q, want %q", d, got, want)
		}
	}
}

// The status the dashboard gets after a login whose store could not be
// re-read renews on auth's margin, as one read from the store does.
func TestSavedStatusHasAuthsMargin(t *testing.T) {
	jwt := auth.Config{Settings: auth.Settings{AppType: auth.AppJWT, JWT: &auth.JWTSettings{PublicKeyID: "kid"}}}
	tests := []struct {
		name     string
		cfg      auth.Config
		life     time.Duration
		margin   time.Duration
		nextMint *time.Time
	}{
		{"pkce", auth.Config{}, 15 * time.Minute, auth.DefaultRefreshMargin, nil},
		{"jwt of 15 minutes", jwt, 15 * time.Minute, auth.DefaultRefreshMargin, ptrTime(t0.Add(10 * time.Minute))},
		{"jwt of 3 minutes", jwt, 3 * time.Minute, time.Minute, ptrTime(t0.Add(2 * time.Minute))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &auth.Record{Token: auth.Token{AccessToken: "czu_fake", Expiry: t0.Add(tt.life), IssuedAt: t0}}
			notDir := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(notDir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			mgr := &auth.Manager{Config: tt.cfg, Store: auth.NewStore(notDir), Now: func() time.Time { return t0 }}
			st := savedStatus(mgr, rec) // the store cannot be read: the record decides

			if st.RenewMargin != tt.margin {
				t.Errorf("RenewMargin = %v, want %v", st.RenewMargin, tt.margin)
			}
			if diff := cmp.Diff(tt.nextMint, st.NextMintAt); diff != "" {
				t.Errorf("NextMintAt (-want +got):\n%s", diff)
			}
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
