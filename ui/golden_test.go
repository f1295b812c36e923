package ui

import (
	"bytes"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

// The golden tests run the whole program (Init, commands, Update, View) in
// teatest at a fixed size, with a fixed clock, the ASCII colour profile and a
// one-frame spinner, and compare the final screen with testdata/*.golden.
// Regenerate with: go test ./ui -run Golden -update

const goldenW, goldenH = 80, 24

func startProgram(t *testing.T, f *fixture) *teatest.TestModel {
	t.Helper()
	return teatest.NewTestModel(t, New(f.deps), teatest.WithInitialTermSize(goldenW, goldenH))
}

// waitFor polls the program's output until it shows want.
func waitFor(t *testing.T, tm *teatest.TestModel, want string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
		teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

// finalView quits the program and returns its last screen, with the
// addresses that change from run to run replaced by fixed ones.
func finalView(t *testing.T, tm *teatest.TestModel, f *fixture) []byte {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	defer fm.Close()
	v := fm.View()
	if fm.consent.flow != nil {
		// The authorize URL carries a random state and PKCE challenge, and
		// the callback a free port: show fixed ones of the same length.
		u := fm.consent.flow.URL()
		fixed := normalizeURL(u)
		v = strings.Replace(v, hardwrap(u, goldenW), hardwrap(fixed, goldenW), 1)
		port := portOf(fm.consent.flow.RedirectURI())
		nines := strings.Repeat("9", len(port))
		v = strings.ReplaceAll(v, "127.0.0.1:"+port+"/", "127.0.0.1:"+nines+"/")
		v = strings.ReplaceAll(v, port+":localhost:"+port, nines+":localhost:"+nines)
	}
	v = strings.ReplaceAll(v, f.coze.srv.URL, "http://127.0.0.1:"+strings.Repeat("8", len(portOf(f.coze.srv.URL))))
	return []byte(v)
}

func portOf(raw string) string {
	u, _ := url.Parse(raw)
	return u.Port()
}

var randomParam = regexp.MustCompile(`(state|code_challenge)=([A-Za-z0-9_-]+)`)

func normalizeURL(u string) string {
	u = randomParam.ReplaceAllStringFunc(u, func(s string) string {
		k, v, _ := strings.Cut(s, "=")
		return k + "=" + strings.Repeat("X", len(v))
	})
	u = regexp.MustCompile(`127\.0\.0\.1%3A\d+`).ReplaceAllStringFunc(u, func(s string) string {
		return "127.0.0.1%3A" + strings.Repeat("9", len(s)-len("127.0.0.1%3A"))
	})
	return regexp.MustCompile(`^http://127\.0\.0\.1:\d+`).ReplaceAllStringFunc(u, func(s string) string {
		return "http://127.0.0.1:" + strings.Repeat("8", len(s)-len("http://127.0.0.1:"))
	})
}

func TestGoldenForm(t *testing.T) {
	f := newFixture(t)
	f.deps.Initial.ClientID = ""
	f.deps.Initial.APIBase, f.deps.Initial.WWWBase = "", ""
	f.deps.Initial.RedirectURI = ""
	tm := startProgram(t, f)
	waitFor(t, tm, "Redirect URI")
	tm.Type("7420000000000000001.app.coze")
	waitFor(t, tm, "0001.app.coze")
	teatest.RequireEqualOutput(t, finalView(t, tm, f))
}

func TestGoldenFormErrors(t *testing.T) {
	f := newFixture(t)
	f.deps.Initial.ClientID = ""
	f.deps.Initial.RedirectURI = "http://example.com:8080/callback"
	tm := startProgram(t, f)
	waitFor(t, tm, "Redirect URI")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "is not loopback")
	teatest.RequireEqualOutput(t, finalView(t, tm, f))
}

func TestGoldenConsent(t *testing.T) {
	f := newFixture(t)
	tm := startProgram(t, f)
	waitFor(t, tm, "Redirect URI")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Opened your browser")
	teatest.RequireEqualOutput(t, finalView(t, tm, f))
}

func TestGoldenConsentExchangeFailed(t *testing.T) {
	f := newFixture(t)
	f.coze.set(func(fc *fakeCoze) { fc.failExchange = true })
	tm := startProgram(t, f)
	waitFor(t, tm, "Redirect URI")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "press a")
	tm.Type("a")
	waitFor(t, tm, "Press r to try again")
	teatest.RequireEqualOutput(t, finalView(t, tm, f))
}

func TestGoldenProbe(t *testing.T) {
	f := newFixture(t)
	f.loggedIn(t)
	tm := startProgram(t, f)
	waitFor(t, tm, "token dashboard")
	tm.Type("p")
	waitFor(t, tm, "belongs to")
	teatest.RequireEqualOutput(t, finalView(t, tm, f))
}

func TestGoldenProbePartial(t *testing.T) {
	f := newFixture(t)
	f.loggedIn(t)
	f.prober.fail = map[string]bool{"www": true}
	tm := startProgram(t, f)
	waitFor(t, tm, "token dashboard")
	tm.Type("p")
	waitFor(t, tm, "Partly reachable")
	teatest.RequireEqualOutput(t, finalView(t, tm, f))
}

func TestGoldenDashboard(t *testing.T) {
	f := newFixture(t)
	f.loggedIn(t)
	f.clock.Advance(4*time.Minute + 10*time.Second)
	tm := startProgram(t, f)
	waitFor(t, tm, "10:50 left")
	teatest.RequireEqualOutput(t, finalView(t, tm, f))
}

func TestGoldenDashboardRefreshFailed(t *testing.T) {
	f := newFixture(t)
	f.loggedIn(t)
	f.coze.set(func(fc *fakeCoze) { fc.refreshCode = 500 })
	tm := startProgram(t, f)
	waitFor(t, tm, "token dashboard")
	tm.Type("r")
	waitFor(t, tm, "failed")
	teatest.RequireEqualOutput(t, finalView(t, tm, f))
}

func TestGoldenDashboardHelp(t *testing.T) {
	f := newFixture(t)
	f.loggedIn(t)
	tm := startProgram(t, f)
	waitFor(t, tm, "token dashboard")
	tm.Type("?")
	waitFor(t, tm, "less")
	teatest.RequireEqualOutput(t, finalView(t, tm, f))
}

// headlessReason is what auth.HeadlessReason says on Linux without a display.
const headlessReason = "there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"

func TestGoldenConsentHeadless(t *testing.T) {
	f := newFixture(t)
	f.deps.Headless = headlessReason
	tm := startProgram(t, f)
	waitFor(t, tm, "Redirect URI")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Three ways on")
	teatest.RequireEqualOutput(t, finalView(t, tm, f))
}

func TestGoldenDevice(t *testing.T) {
	f := newFixture(t)
	f.sleep = sleepUntilCancelled // nobody approves: the code stays on screen
	f.deps.ApproveDevice = func(string) error { return nil }
	tm := startProgram(t, f)
	waitFor(t, tm, "Redirect URI")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Opened your browser")
	tm.Type("d")
	waitFor(t, tm, "Waiting for approval")
	teatest.RequireEqualOutput(t, finalView(t, tm, f))
}

func TestGoldenDeviceDenied(t *testing.T) {
	f := newFixture(t)
	f.coze.set(func(fc *fakeCoze) { fc.deviceAnswer = "access_denied" })
	tm := startProgram(t, f)
	waitFor(t, tm, "Redirect URI")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Opened your browser")
	tm.Type("d")
	waitFor(t, tm, "new code")
	teatest.RequireEqualOutput(t, finalView(t, tm, f))
}
