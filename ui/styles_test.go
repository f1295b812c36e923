package ui

import (
	"image/color"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestStylesAdaptToBackground(t *testing.T) {
	light, dark := NewStyles(false).Bad.Render("x"), NewStyles(true).Bad.Render("x")
	if light == dark || !strings.Contains(dark, "\x1b[") {
		t.Errorf("light %q and dark %q should differ and be coloured", light, dark)
	}
}

// TestBackgroundAnswerRestyles: the wizard asks for the background once it
// runs, draws for a dark one until an answer comes, and redraws every part
// (its own styles, help, text inputs) with the answer.
func TestBackgroundAnswerRestyles(t *testing.T) {
	f := newFixture(t)
	m := New(f.deps)
	if !m.st.Dark {
		t.Fatal("the styles before any answer are not the dark default")
	}
	if !batchHas(m.Init(), func(msg tea.Msg) bool { return msg == tea.RequestBackgroundColor() }) {
		t.Error("Init does not ask the terminal for its background")
	}
	m, _ = step(m, tea.BackgroundColorMsg{Color: color.White})
	light := NewStyles(false)
	if m.st.Dark || m.help.Styles.ShortKey.GetForeground() != light.Help.ShortKey.GetForeground() ||
		m.form.inputs[fieldClientID].Styles().Focused.Text.GetForeground() != light.Value.GetForeground() ||
		m.spin.Style.GetForeground() != light.Accent.GetForeground() {
		t.Error("a light background did not restyle every part")
	}
	m, _ = step(m, tea.BackgroundColorMsg{Color: color.Black})
	if !m.st.Dark || m.help.Styles.ShortKey.GetForeground() != NewStyles(true).Help.ShortKey.GetForeground() {
		t.Error("a dark background did not restyle")
	}
}

// batchHas runs the commands of cmd (not those that wait on a timer) and
// reports whether one returns a message ok accepts.
func batchHas(cmd tea.Cmd, ok func(tea.Msg) bool) bool {
	if cmd == nil {
		return false
	}
	msg := cmd()
	if b, isBatch := msg.(tea.BatchMsg); isBatch {
		for _, c := range b {
			if batchHas(c, ok) {
				return true
			}
		}
		return false
	}
	return ok(msg)
}

func TestBar(t *testing.T) {
	st := NewStyles(true)
	for _, tt := range []struct {
		frac float64
		want string
	}{{0, "░░░░"}, {0.5, "██░░"}, {1, "████"}, {2, "████"}, {-1, "░░░░"}} {
		if got := ansi.Strip(st.bar(4, tt.frac)); got != tt.want {
			t.Errorf("bar(%v) = %q, want %q", tt.frac, got, tt.want)
		}
	}
	if st.bar(0, 1) != "" {
		t.Error("a zero-width bar is not empty")
	}
}

func TestWrapHelpers(t *testing.T) {
	url := "http://127.0.0.1:1234/api/permission/oauth2/authorize?client_id=1&state=abcdef"
	for _, l := range strings.Split(hardwrap(url, 20), "\n") {
		if ansi.StringWidth(l) > 20 {
			t.Errorf("hardwrap line %q is wider than 20", l)
		}
	}
	if got := strings.ReplaceAll(hardwrap(url, 20), "\n", ""); got != url {
		t.Errorf("hardwrap lost characters: %q", got)
	}
	device := "http://127.0.0.1:37733/sandbox/device?user_code=WCKH-TSZS"
	for _, w := range []int{8, 20, 40, 60} {
		got := urlwrap(device, w)
		for _, l := range strings.Split(got, "\n") {
			if ansi.StringWidth(l) > w {
				t.Errorf("urlwrap(%d) line %q is too wide", w, l)
			}
		}
		if strings.ReplaceAll(got, "\n", "") != device {
			t.Errorf("urlwrap(%d) lost characters: %q", w, got)
		}
	}
	for _, w := range []int{40, 44} {
		if got := urlwrap(device, w); got != "http://127.0.0.1:37733/sandbox/device?\nuser_code=WCKH-TSZS" {
			t.Errorf("urlwrap(%d) = %q, want a break after the ?", w, got)
		}
	}
	if got := wrap("one two three", 8); got != "one two\nthree" {
		t.Errorf("wrap = %q", got)
	}
	if got := pad("ab", 4); got != "ab  " {
		t.Errorf("pad = %q", got)
	}
	if got := indentLines("a\nb", "  "); got != "  a\n  b" {
		t.Errorf("indentLines = %q", got)
	}
	if got := ansi.Strip(paint(NewStyles(true).Bad, "a\nbbb")); got != "a\nbbb" {
		t.Errorf("paint padded lines: %q", got)
	}
}
