package cli

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

type failingBrowser struct{ err error }

func (b failingBrowser) Open(string) error { return b.err }

func TestPlainBrowser(t *testing.T) {
	missing := &exec.Error{Name: "xdg-open,x-www-browser,www-browser", Err: exec.ErrNotFound}
	other := errors.New("could not open a browser: exit status 3")
	tests := []struct {
		name string
		err  error
		env  string
		want string
	}{
		{"no opener", missing, "", "no program that opens one (xdg-open, x-www-browser, www-browser) is installed; install one, or set $BROWSER to a command that takes a URL"},
		{"a $BROWSER not on $PATH", &exec.Error{Name: "firefx", Err: exec.ErrNotFound}, "firefx", `$BROWSER is "firefx", which is not a command on $PATH`},
		{"another failure", other, "", "exit status 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := plainBrowser{Browser: failingBrowser{tt.err}, env: tt.env}.Open("http://127.0.0.1/x")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "executable file not found") {
				t.Errorf("the opener's own error shows: %v", err)
			}
		})
	}
	if err := (plainBrowser{Browser: failingBrowser{}}).Open("u"); err != nil {
		t.Errorf("a browser that opened: %v", err)
	}
}

// With nothing to open a browser on $PATH, or a $BROWSER that is not
// there, the error says so in a sentence and mentions $BROWSER.
func TestLoginWithoutOpener(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	g := newGlobals(&Env{Getenv: func(string) string { return "" }})
	err := g.browser().Open("http://127.0.0.1:1/authorize")
	if err == nil || !strings.Contains(err.Error(), "set $BROWSER") || strings.Contains(err.Error(), "exec:") {
		t.Errorf("error = %v", err)
	}
}
