package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/cozeauth/cozeauth/auth"
)

// TestOutcome: how the wizard ended, which the caller turns into a summary
// and an exit code (0 with a valid login, 130 after Ctrl+C, 1 without).
func TestOutcome(t *testing.T) {
	f := newFixture(t)
	form := f.form(t)
	consent, _ := f.consent(t)
	dash := newFixture(t).dashboard(t)
	refused, _ := step(dash, refreshFailedMsg{err: &auth.LoginRequiredError{Profile: "default", Reason: "coze refused the refresh token"}, at: t0})
	expired := dash
	expired.now = t0.Add(auth.RefreshTokenLifetime + time.Minute)

	tests := []struct {
		name        string
		m           Model
		key         string
		interrupted bool
		loggedIn    bool
	}{
		{"q on the form", form, "q", false, false},
		{"esc on the form", form, "esc", false, false},
		{"ctrl+c on the form", form, "ctrl+c", true, false},
		{"q while the browser login waits", consent, "q", false, false},
		{"ctrl+c while the browser login waits", consent, "ctrl+c", true, false},
		{"q on the dashboard", dash, "q", false, true},
		{"ctrl+c on the dashboard", dash, "ctrl+c", true, true},
		{"q after a refused refresh", refused, "q", false, false},
		{"q after the refresh token ran out", expired, "q", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, cmd := step(tt.m, press(tt.key))
			if !isQuit(cmd) {
				t.Fatalf("%s did not quit", tt.key)
			}
			o := m.Outcome()
			if o.Interrupted != tt.interrupted || (o.Status != nil) != tt.loggedIn {
				t.Errorf("outcome: interrupted %v, status %v; want interrupted %v, logged in %v",
					o.Interrupted, o.Status != nil, tt.interrupted, tt.loggedIn)
			}
		})
	}
}

// TestEscFromReloginBackToDashboard: l on the dashboard starts a new login;
// Esc from it (browser or device code) goes back to the dashboard while its
// token works, and to the form when it does not.
func TestEscFromReloginBackToDashboard(t *testing.T) {
	f := newFixture(t)
	f.sleep = sleepUntilCancelled
	dash := f.dashboard(t)
	m, cmd := step(dash, press("l"))
	if m.screen != screenConsent {
		t.Fatalf("l: screen %v, want consent", m.screen)
	}
	m, _ = step(m, await[loginStartedMsg](t, cmd))
	t.Cleanup(func() { m.Close() })
	if !strings.Contains(ansi.Strip(m.help.View(m.keys)), "esc dashboard") {
		t.Errorf("the help does not offer Esc back to the dashboard: %q", ansi.Strip(m.help.View(m.keys)))
	}
	back, _ := step(m, press("esc"))
	if back.screen != screenDashboard || back.dash.status == nil || back.dash.status.AccessToken != dash.dash.status.AccessToken {
		t.Fatalf("esc from the re-login: screen %v, want the same dashboard", back.screen)
	}
	if !strings.Contains(viewText(back), "token dashboard") {
		t.Errorf("view:\n%s", viewText(back))
	}

	// By a device code.
	d, cmd := step(m, press("d"))
	d, _ = step(d, await[deviceStartedMsg](t, cmd))
	t.Cleanup(func() { d.Close() })
	if back, _ := step(d, press("esc")); back.screen != screenDashboard {
		t.Errorf("esc from a device re-login: screen %v, want dashboard", back.screen)
	}

	// Once the token no longer works, there is no dashboard to go back to.
	refused, _ := step(m, refreshFailedMsg{err: &auth.LoginRequiredError{Profile: "default", Reason: "coze refused the refresh token"}, at: t0})
	if back, _ := step(refused, press("esc")); back.screen != screenForm {
		t.Errorf("esc after the token was refused: screen %v, want form", back.screen)
	}

	// A login started from the form goes back to the form.
	c, _ := newFixture(t).consent(t)
	if back, _ := step(c, press("esc")); back.screen != screenForm {
		t.Errorf("esc from a first login: screen %v, want form", back.screen)
	}
}

// TestAuthorizeURLIsOneHyperlink: the address is cut to the window, and
// every piece links to the whole of it (OSC 8), so a click opens all of it.
func TestAuthorizeURLIsOneHyperlink(t *testing.T) {
	f := newFixture(t)
	m, _ := f.consent(t)
	u := m.consent.flow.URL()
	pieces := strings.Split(hardwrap(u, m.width), "\n")
	if len(pieces) < 2 {
		t.Fatalf("the address fits one line at %d columns; the test needs it cut", m.width)
	}
	lines := strings.Split(m.content(), "\n")
	open := "\x1b]8;;" + u // then BEL or ST
	for _, p := range pieces {
		found := false
		for _, l := range lines {
			if ansi.Strip(l) != p {
				continue
			}
			found = true
			if !strings.Contains(l, open) {
				t.Errorf("piece %q is not a hyperlink to the whole address: %q", p, l)
			}
		}
		if !found {
			t.Errorf("piece %q is not a line of the screen", p)
		}
	}
}
