package ui

import (
	"strings"
	"testing"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
)

func TestKeyMapHelpShowsOnlyEnabled(t *testing.T) {
	k := newKeyMap()
	k.enableOnly(&k.Refresh, &k.QuitQ, &k.Quit)
	h := help.New()
	got := ansi.Strip(h.View(k))
	if !strings.Contains(got, "r refresh") || !strings.Contains(got, "q quit") {
		t.Errorf("short help = %q", got)
	}
	if strings.Contains(got, "ctrl+c") {
		t.Errorf("short help shows ctrl+c although q quits: %q", got)
	}
	if strings.Contains(got, "paste") || strings.Contains(got, "approve") {
		t.Errorf("short help shows disabled keys: %q", got)
	}
	k.enableOnly(&k.Submit, &k.Quit)
	if got := ansi.Strip(h.View(k)); !strings.Contains(got, "ctrl+c quit") {
		t.Errorf("without q, ctrl+c is not shown: %q", got)
	}
}

func TestKeyMapDisabledKeysDoNotMatch(t *testing.T) {
	k := newKeyMap()
	k.enableOnly(&k.Rerun)
	if !key.Matches(press("r"), k.Rerun) || key.Matches(press("r"), k.Refresh) {
		t.Error("r matched the wrong binding")
	}
}

func TestFullHelpOnConsent(t *testing.T) {
	m, _ := newFixture(t).consent(t)
	m, _ = step(m, press("?"))
	v := viewText(m)
	if strings.Contains(v, "device") {
		t.Errorf("full help offers a device code to a PKCE app:\n%s", v)
	}
	for _, want := range []string{"p      paste", "a      approve", "? less"} {
		if !strings.Contains(strings.Join(strings.Fields(v), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("full help lacks %q:\n%s", want, v)
		}
	}
}

func TestKeyMapFullHelpCoversEveryBinding(t *testing.T) {
	k := newKeyMap()
	n := 0
	for _, col := range k.FullHelp() {
		n += len(col)
	}
	if n != len(k.all()) {
		t.Errorf("full help has %d bindings, the key map %d", n, len(k.all()))
	}
	for _, b := range k.all() {
		if b.Help().Key == "" || b.Help().Desc == "" {
			t.Errorf("binding %v has no help", b.Keys())
		}
	}
}

// TestKeysPerScreen checks what each screen offers.
func TestKeysPerScreen(t *testing.T) {
	f := newFixture(t)
	form := f.form(t)
	consent, _ := f.consent(t)
	failed, _ := step(consent, consentFailedMsg{gen: consent.consent.gen, err: errString("x")})
	probing, started := newFixture(t).probing(t)
	probed := finishProbe(t, probing, started)
	dash := newFixture(t).dashboard(t)
	df := newFixture(t)
	df.sleep = sleepUntilCancelled
	df.deps.ApproveDevice = func(string) error { return nil }
	device, _ := df.device(t)
	deviceFailed, _ := step(device, deviceFailedMsg{gen: device.device.gen, err: errString("x")})
	tests := []struct {
		name string
		m    Model
		on   []string
		off  []string
	}{
		{"form", form, []string{"enter", "tab", "←/→"}, []string{"open", "refresh"}},
		{"consent", consent, []string{"o open", "c copy", "p paste", "a approve", "esc form"}, []string{"retry", "refresh", "d device"}},
		{"consent failed", failed, []string{"r retry", "esc form"}, []string{"o open", "paste", "d device"}},
		{"device", device, []string{"a approve", "c copy", "esc form", "q quit", "? more"}, []string{"retry", "new code", "d device", "paste"}},
		{"device failed", deviceFailed, []string{"r new code", "esc form"}, []string{"approve", "copy", "d device"}},
		{"probe", probed, []string{"r run again", "enter continue"}, []string{"refresh"}},
		{"dashboard", dash, []string{"r refresh", "p probe", "l log in again", "q quit", "? more"}, []string{"continue", "paste"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.m.help
			h.SetWidth(0) // no truncation
			got := ansi.Strip(h.View(tt.m.keys))
			for _, want := range tt.on {
				if !strings.Contains(got, want) {
					t.Errorf("help %q lacks %q", got, want)
				}
			}
			for _, not := range tt.off {
				if strings.Contains(got, not) {
					t.Errorf("help %q offers %q", got, not)
				}
			}
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }
