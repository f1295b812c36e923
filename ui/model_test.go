package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cozeauth/cozeauth/auth"
)

func TestNewDoesNoIO(t *testing.T) {
	f := newFixture(t)
	calls := 0
	mk := f.deps.Manager
	f.deps.Manager = func(c auth.Config) *auth.Manager { calls++; return mk(c) }
	m := New(f.deps)
	_ = viewText(m)
	if calls != 0 || m.screen != screenLoading {
		t.Errorf("New built %d managers, screen %v", calls, m.screen)
	}
	if !strings.Contains(viewText(m), "Reading the saved profile") {
		t.Errorf("first frame:\n%s", viewText(m))
	}
}

func TestInitChoosesScreen(t *testing.T) {
	t.Run("no login: form", func(t *testing.T) {
		newFixture(t).form(t)
	})
	t.Run("logged in: dashboard", func(t *testing.T) {
		newFixture(t).dashboard(t)
	})
	t.Run("refresh token expired: form with a note", func(t *testing.T) {
		f := newFixture(t)
		f.loggedIn(t)
		f.clock.Advance(auth.RefreshTokenLifetime + time.Hour)
		m := f.form(t)
		if !strings.Contains(viewText(m), "The saved login has expired") {
			t.Errorf("view:\n%s", viewText(m))
		}
	})
	t.Run("unreadable store: form with the reason", func(t *testing.T) {
		f := newFixture(t)
		if err := os.WriteFile(filepath.Join(f.store.Dir, "tokens.json"), []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		m := New(f.deps)
		m, _ = step(m, await[profileLoadFailedMsg](t, m.Init()))
		if m.screen != screenForm || !strings.Contains(viewText(m), "Could not read the saved profile") {
			t.Errorf("screen %v view:\n%s", m.screen, viewText(m))
		}
	})
}

func TestCtrlCQuitsEverywhere(t *testing.T) {
	f := newFixture(t)
	screens := map[string]Model{"loading": New(f.deps), "form": f.form(t)}
	c, _ := f.consent(t)
	screens["consent"] = c
	p, _ := step(c, press("p")) // typing into the paste box
	screens["consent paste"] = p
	df := newFixture(t)
	df.sleep = sleepUntilCancelled
	screens["device"], _ = df.device(t)
	for name, m := range screens {
		if _, cmd := step(m, press("ctrl+c")); !isQuit(cmd) {
			t.Errorf("%s: ctrl+c did not quit", name)
		}
	}
	if _, cmd := step(p, press("q")); isQuit(cmd) {
		t.Error("q in the paste box quit")
	}
}

func TestWindowSize(t *testing.T) {
	f := newFixture(t)
	m := f.dashboard(t)
	m, _ = step(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	if m.width != 100 || m.height != 30 || m.help.Width() != 100 {
		t.Errorf("size %dx%d help %d", m.width, m.height, m.help.Width())
	}
	if got := strings.Count(viewText(m), "\n") + 1; got != 30 {
		t.Errorf("view has %d lines, want 30", got)
	}
}

// TestSmallWindowFits checks every screen at the smallest supported size.
func TestSmallWindowFits(t *testing.T) {
	f := newFixture(t)
	f.deps.Initial.ClientID = ""
	size := tea.WindowSizeMsg{Width: minWidth, Height: minHeight}
	form := f.form(t)
	form, _ = step(form, size)
	form, _ = step(form, press("enter")) // errors shown
	f.deps.Initial.ClientID = testClientID
	consent, _ := f.consent(t)
	consent, _ = step(consent, size)
	failed, _ := step(consent, exchangeFailedMsg{gen: consent.consent.gen, err: errors.New(strings.Repeat("a long error from coze ", 10))})
	failed.consent.phase = consentFailed
	probing, started := newFixture(t).probing(t)
	probing, _ = step(probing, size)
	probing = finishProbe(t, probing, started)
	dash, _ := step(newFixture(t).dashboard(t), size)
	hf := newFixture(t)
	hf.deps.Headless = headlessReason
	headless, _ := hf.consent(t)
	headless, _ = step(headless, size)
	df := newFixture(t)
	df.sleep = sleepUntilCancelled
	df.deps.ApproveDevice = func(string) error { return nil }
	device, _ := df.device(t)
	device, _ = step(device, size)
	deviceFailed, _ := step(device, deviceFailedMsg{gen: device.device.gen, err: &auth.DeviceError{Code: "expired_token"}})
	for name, m := range map[string]Model{"form": form, "consent": consent, "consent failed": failed, "probe": probing, "dashboard": dash,
		"consent headless": headless, "device": device, "device failed": deviceFailed} {
		lines := strings.Split(viewText(m), "\n")
		if len(lines) != minHeight {
			t.Errorf("%s: %d lines, want %d", name, len(lines), minHeight)
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w > minWidth {
				t.Errorf("%s: line %d is %d wide: %q", name, i, w, l)
			}
		}
		if last := lines[len(lines)-1]; !strings.Contains(last, "quit") && !strings.Contains(last, "…") {
			t.Errorf("%s: help line missing at the bottom: %q", name, last)
		}
	}
}

// TestHeadlessLadderAt60x20 checks that the three ways on, with the real
// callback port, all fit the smallest window, sandbox hint included.
func TestHeadlessLadderAt60x20(t *testing.T) {
	for _, reason := range []string{headlessReason, "this is an SSH session"} {
		t.Run(reason, func(t *testing.T) {
			f := newFixture(t)
			f.deps.Headless = reason
			m, _ := f.consent(t)
			m, _ = step(m, tea.WindowSizeMsg{Width: minWidth, Height: minHeight})
			port := portOf(m.consent.flow.RedirectURI())
			v := viewText(m)
			flat := strings.Join(strings.Fields(v), " ")
			for _, want := range []string{
				"No browser opened: " + reason + ". Three ways on:",
				"1. On a machine with a browser, run ssh -L " + port + ":localhost:" + port + " <this host> to forward the port",
				"2. Open it anywhere, then press p and paste the address the browser ended on.",
				"3. Device codes need a device app: Esc, choose type device.", // a PKCE app cannot use one
				"Sandbox: press a to approve as the sandbox user.",            // the last line of the body: nothing clipped
			} {
				if !strings.Contains(flat, want) {
					t.Errorf("view lacks %q:\n%s", want, v)
				}
			}
			if !strings.Contains(strings.ReplaceAll(v, "\n", ""), m.consent.flow.URL()) {
				t.Errorf("the authorize URL is not whole:\n%s", v)
			}
			if len(f.browser.opened()) != 0 {
				t.Error("a browser was opened on a headless machine")
			}

			// While pasting, the ladder gives way to the paste box.
			p, _ := step(m, press("p"))
			if pv := viewText(p); strings.Contains(pv, "Three ways on") || !strings.Contains(pv, "> ") {
				t.Errorf("paste view:\n%s", pv)
			}
		})
	}
}

func TestAnimationsStopWhenIdle(t *testing.T) {
	f := newFixture(t)
	m := New(f.deps)
	m, _ = step(m, m.spin.Tick()) // loading: the spinner turns
	m, _ = step(m, await[profileLoadedMsg](t, m.Init()))
	if m.screen != screenForm {
		t.Fatal("not on the form")
	}
	m, cmd := step(m, spinner.TickMsg{ID: m.spin.ID()})
	if m.spinning || cmd != nil {
		t.Errorf("the spinner keeps turning on the form: spinning %v cmd %v", m.spinning, cmd != nil)
	}
	m, cmd = step(m, tickMsg{now: f.clock.Now()})
	if m.ticking || cmd != nil {
		t.Errorf("the clock keeps ticking on the form: ticking %v cmd %v", m.ticking, cmd != nil)
	}

	// The dashboard needs the clock but no spinner.
	d := newFixture(t).dashboard(t)
	d.spinning = true
	if d, cmd = step(d, spinner.TickMsg{ID: d.spin.ID()}); d.spinning || cmd != nil {
		t.Error("an idle dashboard keeps its spinner turning")
	}
	if d, cmd = step(d, tickMsg{now: f.clock.Now()}); !d.ticking || cmd == nil {
		t.Error("the dashboard's clock stopped")
	}
}

func TestCloseReleasesListener(t *testing.T) {
	m, _ := newFixture(t).consent(t)
	redirect := m.consent.flow.RedirectURI()
	m.Close()
	if _, err := httpGet(redirect); err == nil {
		t.Error("the listener still answers after Close")
	}
}

func TestScreenNames(t *testing.T) {
	for s, want := range map[screen]string{screenLoading: "loading", screenForm: "form", screenConsent: "consent", screenDevice: "device", screenProbe: "probe", screenDashboard: "dashboard"} {
		if s.String() != want {
			t.Errorf("%d: %q", s, s.String())
		}
	}
	if got := New(newFixture(t).deps).Screen(); got != "loading" {
		t.Errorf("Screen() = %q", got)
	}
}

func TestLateAnswersReachTheirScreen(t *testing.T) {
	f := newFixture(t)

	// A refresh that finishes while the probe shows still ends on the dashboard.
	m := f.dashboard(t)
	m, cmd := step(m, press("r"))
	m, _ = step(m, press("p"))
	m, _ = step(m, await[tokenRefreshedMsg](t, cmd))
	if m.dash.refreshing || m.dash.last == nil || m.screen != screenProbe {
		t.Errorf("refreshing %v last %v screen %v", m.dash.refreshing, m.dash.last, m.screen)
	}

	// A listener that comes up after Esc is closed.
	m = newFixture(t).form(t)
	m, cmd = step(m, press("enter"))
	m, _ = step(m, press("esc"))
	started := await[loginStartedMsg](t, cmd)
	_, cmd = step(m, started)
	if cmd == nil {
		t.Fatal("no command to close the listener")
	}
	cmd()
	if _, err := httpGet(started.flow.RedirectURI()); err == nil {
		t.Error("the listener of an abandoned login still answers")
	}
}

func TestNoBackDuringExchange(t *testing.T) {
	m, _ := newFixture(t).consent(t)
	m, _ = step(m, codeReceivedMsg{gen: m.consent.gen, code: "c"})
	if m, _ = step(m, press("esc")); m.screen != screenConsent {
		t.Errorf("esc during the exchange left the screen: %v", m.screen)
	}
}

// TestPasteFieldNeverClipped: in a window too short for the whole consent
// screen, the text above the paste prompt is cut, not the field.
func TestPasteFieldNeverClipped(t *testing.T) {
	f := newFixture(t)
	m, _ := f.consent(t)
	m, _ = step(m, browserFailedMsg{gen: m.consent.gen, err: errors.New(strings.Repeat("the opener failed at length ", 6))})
	m, _ = step(m, press("p"))
	s, _ := step(m, tea.WindowSizeMsg{Width: minWidth, Height: minHeight})
	lines := strings.Split(viewText(s), "\n")
	if len(lines) != minHeight {
		t.Errorf("%d lines, want %d", len(lines), minHeight)
	}
	// The placeholder is this login's own redirect URI, not an example's.
	field := "> " + m.consent.flow.RedirectURI() + "?code=…&state=…"
	if !slices.ContainsFunc(lines[:len(lines)-1], func(l string) bool { return strings.HasPrefix(l, field) }) {
		t.Errorf("the paste field %q is not above the help:\n%s", field, viewText(s))
	}
	// A body taller than the window is cut, never the prompt and its field.
	body := strings.TrimSuffix(strings.Repeat("body\n", 30), "\n")
	out := strings.Split(layout(body, "\nPaste it:\n> field", "help", 10), "\n")
	if want := []string{"body", "body", "body", "body", "body", "", "Paste it:", "> field", "", "help"}; !slices.Equal(out, want) {
		t.Errorf("layout = %q, want %q", out, want)
	}
}

// TestWindowTooSmall: below the size the layout is made for, the screen is
// one message, wrapped between words, that says what is needed; the keys
// still work.
func TestWindowTooSmall(t *testing.T) {
	f := newFixture(t)
	m := f.form(t)
	for _, size := range [][2]int{{40, 12}, {59, 30}, {100, 19}} {
		s, _ := step(m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		v := viewText(s)
		flat := strings.Join(strings.Fields(v), " ")
		want := fmt.Sprintf("Window too small: %d×%d. cozeauth needs at least 60×20: enlarge the window, or press Ctrl+C to quit.", size[0], size[1])
		if flat != want {
			t.Errorf("%v: screen %q, want %q", size, flat, want)
		}
		for _, l := range strings.Split(v, "\n") {
			if ansi.StringWidth(l) > size[0] {
				t.Errorf("%v: line %q is wider than the window", size, l)
			}
		}
		if _, cmd := step(s, press("ctrl+c")); !isQuit(cmd) {
			t.Errorf("%v: ctrl+c does not quit", size)
		}
	}
	if v := viewText(step1(m, tea.WindowSizeMsg{Width: minWidth, Height: minHeight})); strings.Contains(v, "too small") {
		t.Errorf("60×20 is called too small:\n%s", v)
	}
}

func step1(m Model, msg tea.Msg) Model { m, _ = step(m, msg); return m }
