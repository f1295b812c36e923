package ui

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cozeauth/cozeauth/auth"
)

// helpLine is the last line of m's screen: the one-line help.
func helpLine(m Model) string {
	lines := strings.Split(viewText(m), "\n")
	return lines[len(lines)-1]
}

// TestHelpKeepsQuitAndMore: in the smallest window, the one-line help
// leaves out less needed keys rather than cutting the way to quit and ?.
func TestHelpKeepsQuitAndMore(t *testing.T) {
	size := tea.WindowSizeMsg{Width: minWidth, Height: minHeight}
	form := step1(newFixture(t).form(t), size) // the focus is on the app type: q quits
	consent, _ := newFixture(t).consent(t)
	consent = step1(consent, size)
	for _, tt := range []struct {
		name string
		m    Model
		want []string
	}{
		{"form", form, []string{"enter continue", "tab next", "←/→ app type", "q quit"}},
		{"consent", consent, []string{"a approve", "o open", "c copy", "p paste", "q quit", "? more"}},
	} {
		l := helpLine(tt.m)
		if ansi.StringWidth(l) > minWidth || strings.Contains(l, "…") {
			t.Errorf("%s: help line cut: %q", tt.name, l)
		}
		for _, w := range tt.want {
			if !strings.Contains(l, w) {
				t.Errorf("%s: help line %q lacks %q", tt.name, l, w)
			}
		}
	}
	// In a wide window nothing is left out.
	wide := step1(consent, tea.WindowSizeMsg{Width: 120, Height: 30})
	if l := helpLine(wide); !strings.Contains(l, "esc form") {
		t.Errorf("at 120 columns the help leaves out esc: %q", l)
	}
}

// TestProbeTargetColumnFitsItsLabels: in a wide window the target column is
// as wide as its longest label, not the window's leftover.
func TestProbeTargetColumnFitsItsLabels(t *testing.T) {
	f := newFixture(t)
	f.loggedIn(t)
	m := step1(f.dashboard(t), tea.WindowSizeMsg{Width: 120, Height: 40})
	m, cmd := step(m, press("p"))
	m, cmd = step(m, await[probeStartedMsg](t, cmd))
	for m.probe.report == nil {
		msg := cmd()
		m, cmd = step(m, msg)
	}
	longest, rows := 0, 0
	for _, tg := range m.probe.targets {
		longest = max(longest, len(m.probe.label(tg)))
	}
	for _, l := range strings.Split(viewText(m), "\n") {
		if !strings.HasPrefix(l, "✓ ") {
			continue
		}
		// "✓ " + the label padded to the column + " " + the code.
		col := strings.Index(l, " 200 ")
		if col < 0 {
			col = strings.Index(l, " 401 ")
		}
		if col < 0 {
			continue
		}
		rows++
		if ansi.StringWidth(l[:col]) > 2+longest {
			t.Errorf("the target column is wider than its longest label (%d): %q", longest, l)
		}
	}
	if rows == 0 {
		t.Fatalf("no result rows on screen:\n%s", viewText(m))
	}
}

// TestPastePlaceholderIsTheRedirect: the paste prompt's example is the
// address this login's browser will end on.
func TestPastePlaceholderIsTheRedirect(t *testing.T) {
	m, _ := newFixture(t).consent(t)
	m = step1(m, press("p"))
	want := m.consent.flow.RedirectURI() + "?code=…&state=…"
	if !strings.Contains(viewText(m), "> "+want) {
		t.Errorf("the paste field does not show %q:\n%s", want, viewText(m))
	}
}

// TestOpenClearsCopiedNote: after c then o, the note that the address was
// copied is gone; what shows is o's own outcome.
func TestOpenClearsCopiedNote(t *testing.T) {
	f := newFixture(t)
	m, _ := f.consent(t)
	m, cmd := step(m, press("c"))
	m = step1(m, await[urlCopiedMsg](t, cmd))
	if !strings.Contains(viewText(m), "Sent the address") {
		t.Fatalf("no copy note:\n%s", viewText(m))
	}
	f.browser.err = errors.New("no program that opens a browser is installed")
	m, cmd = step(m, press("o"))
	m = step1(m, await[browserFailedMsg](t, cmd))
	v := viewText(m)
	if strings.Contains(v, "Sent the address") || !strings.Contains(v, "no program that opens a browser") {
		t.Errorf("after o failed, the screen:\n%s", v)
	}
}

// TestSandboxLadderHasNoPortForward: the embedded sandbox lives in this
// process on loopback, so no ssh -L from another machine reaches it; the
// headless screen offers the a key instead.
func TestSandboxLadderHasNoPortForward(t *testing.T) {
	f := newFixture(t)
	f.deps.Headless = headlessReason
	f.deps.SandboxBase = f.coze.srv.URL
	m, _ := f.consent(t)
	m = step1(m, tea.WindowSizeMsg{Width: minWidth, Height: minHeight})
	flat := strings.Join(strings.Fields(viewText(m)), " ")
	if strings.Contains(flat, "ssh -L") {
		t.Errorf("the sandbox offers a port forward:\n%s", viewText(m))
	}
	for _, want := range []string{"Three ways on:", "1. Press a to approve as the sandbox user.", "2. Open it in a browser on this machine, then press p"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the screen lacks %q:\n%s", want, viewText(m))
		}
	}
	if strings.Count(flat, "approve as the sandbox user") != 1 {
		t.Errorf("the a key is offered twice:\n%s", viewText(m))
	}
}

// TestJWTClientIDPlaceholder: a service app's id is plain digits.
func TestJWTClientIDPlaceholder(t *testing.T) {
	f := newFixture(t)
	f.deps.Initial.ClientID = ""
	m := f.form(t)
	if p := m.form.inputs[fieldClientID].Placeholder; p != "<digits>.app.coze" {
		t.Errorf("pkce placeholder %q", p)
	}
	m = step1(step1(m, press("shift+tab")), press("shift+tab")) // to the app type
	m = step1(m, press("left"))                                 // pkce → jwt
	if m.form.appType != auth.AppJWT {
		t.Fatalf("app type %v, want jwt", m.form.appType)
	}
	if p := m.form.inputs[fieldClientID].Placeholder; p != "<digits>" {
		t.Errorf("jwt placeholder %q, want <digits>", p)
	}
}

// TestNoErrorOnMovingThrough: moving through an empty field says nothing;
// typing or Enter does.
func TestNoErrorOnMovingThrough(t *testing.T) {
	f := newFixture(t)
	f.deps.Initial.ClientID = ""
	m := f.form(t) // on the client id
	for _, k := range []string{"shift+tab", "tab", "tab"} {
		m = step1(m, press(k))
		if strings.Contains(viewText(m), "client id is empty") {
			t.Fatalf("after %s, before any typing:\n%s", k, viewText(m))
		}
	}
	m = step1(m, press("enter"))
	if !strings.Contains(viewText(m), "client id is empty") {
		t.Errorf("Enter shows no error:\n%s", viewText(m))
	}
}

// TestLongValueIsRefusedNotCut: a 3,000-character paste is kept whole and
// refused with its length, never cut to a shorter id in silence.
func TestLongValueIsRefusedNotCut(t *testing.T) {
	f := newFixture(t)
	f.deps.Initial.ClientID = ""
	m := f.form(t)
	long := strings.Repeat("7", 3000)
	m = step1(m, tea.PasteMsg{Content: long})
	if got := m.form.inputs[fieldClientID].Value(); got != long {
		t.Fatalf("the paste was cut to %d characters", len(got))
	}
	m, cmd := step(m, press("enter"))
	if m.screen != screenForm || cmd != nil {
		t.Fatalf("Enter went on with a 3,000-character client id")
	}
	flat := strings.Join(strings.Fields(viewText(m)), " ")
	if !strings.Contains(flat, "3000 characters is too long for a client id (at most 512)") {
		t.Errorf("no word of the length:\n%s", viewText(m))
	}
}

// TestPathFieldsExpandHome: ~/ in the key file and config file fields is
// the home directory, and a key file that cannot be read is said in the
// form's terms, with the focus on its field.
func TestPathFieldsExpandHome(t *testing.T) {
	home := t.TempDir()
	f := newFixture(t)
	f.deps.Home = home
	f.deps.Initial.Settings.AppType = auth.AppJWT
	f.deps.Initial.JWT = &auth.JWTSettings{PublicKeyID: "kid", PrivateKeyFile: "~/keys/private_key.pem"}
	m := f.form(t)
	if got, want := m.form.config().JWT.PrivateKeyFile, filepath.Join(home, "keys", "private_key.pem"); got != want {
		t.Errorf("key file %q, want %q", got, want)
	}
	m.form.inputs[fieldConfig].SetValue("~/coze_oauth_config.json")
	if got, want := m.form.configPath(), filepath.Join(home, "coze_oauth_config.json"); got != want {
		t.Errorf("config path %q, want %q", got, want)
	}
	m.form.inputs[fieldConfig].SetValue("")

	m, cmd := step(m, press("enter")) // the key file does not exist
	failed := await[jwtLoginFailedMsg](t, cmd)
	m = step1(m, failed)
	flat := strings.Join(strings.Fields(viewText(m)), " ")
	for _, want := range []string{"private key file cannot be read", filepath.Join(home, "keys", "private_key.pem"), "correct the Private key field"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the notice lacks %q:\n%s", want, viewText(m))
		}
	}
	for _, not := range []string{"put it back", "--private-key-file"} {
		if strings.Contains(flat, not) {
			t.Errorf("the notice gives command-line advice %q:\n%s", not, viewText(m))
		}
	}
	if m.form.focus != fieldKeyFile {
		t.Errorf("focus %v, want the key file", m.form.focus)
	}

	for in, want := range map[string]string{"~": home, "~/a": filepath.Join(home, "a"), "~user/a": "~user/a", "/abs": "/abs", "rel/~/x": "rel/~/x"} {
		if got := expandHome(in, home); got != want {
			t.Errorf("expandHome(%q) = %q, want %q", in, got, want)
		}
	}
	if got := expandHome("~/a", ""); got != "~/a" {
		t.Errorf("without a home: %q", got)
	}
}
