package ui

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

func TestStylesNoColorIsPlain(t *testing.T) {
	st := NewStyles(asciiRenderer())
	out := st.Title.Render("title") + st.Bad.Render("bad") + st.bar(4, 0.5)
	if strings.Contains(out, "\x1b[") {
		t.Errorf("ascii profile rendered escapes: %q", out)
	}
}

func TestStylesNoColorEnv(t *testing.T) {
	render := func() string {
		// What lipgloss's default renderer does on a colour terminal.
		r := lipgloss.NewRenderer(io.Discard, termenv.WithTTY(true))
		return NewStyles(r).Bad.Render("bad")
	}
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("COLORTERM", "")
	t.Setenv("NO_COLOR", "")
	if out := render(); !strings.Contains(out, "\x1b[") {
		t.Fatalf("a colour terminal got no colour: %q", out)
	}
	t.Setenv("NO_COLOR", "1")
	if out := render(); strings.Contains(out, "\x1b[") {
		t.Errorf("NO_COLOR still colours: %q", out)
	}
}

func TestStylesAdaptToBackground(t *testing.T) {
	render := func(dark bool) string {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.TrueColor)
		r.SetHasDarkBackground(dark)
		return NewStyles(r).Bad.Render("x")
	}
	light, dark := render(false), render(true)
	if light == dark || !strings.Contains(dark, "\x1b[") {
		t.Errorf("light %q and dark %q should differ and be coloured", light, dark)
	}
}

func TestBar(t *testing.T) {
	st := NewStyles(asciiRenderer())
	for _, tt := range []struct {
		frac float64
		want string
	}{{0, "░░░░"}, {0.5, "██░░"}, {1, "████"}, {2, "████"}, {-1, "░░░░"}} {
		if got := st.bar(4, tt.frac); got != tt.want {
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
	if got := paint(NewStyles(asciiRenderer()).Bad, "a\nbbb"); got != "a\nbbb" {
		t.Errorf("paint padded lines: %q", got)
	}
}
