package cli

import (
	"errors"
	"fmt"
	"os/exec"

	"github.com/cozeauth/cozeauth/auth"
)

// plainBrowser says in a sentence why no browser could be started when the
// command is not installed, where exec's own error reads exec: "firefx":
// executable file not found in $PATH.
type plainBrowser struct {
	auth.Browser
	env string // $BROWSER
}

func (b plainBrowser) Open(url string) error {
	err := b.Browser.Open(url)
	if err == nil || !errors.Is(err, exec.ErrNotFound) {
		return err
	}
	if b.env != "" {
		return fmt.Errorf("no browser was opened: $BROWSER is %q, which is not a command on $PATH; fix or unset $BROWSER", b.env)
	}
	return errors.New("no browser was opened: no program that opens one (xdg-open, x-www-browser, www-browser) is installed; install one, or set $BROWSER to a command that takes a URL")
}
