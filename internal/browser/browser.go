// Package browser is the real auth.Browser of the command line: $BROWSER
// or the platform's launcher, started without waiting and without letting
// it draw over a terminal, and [HeadlessReason], which says when a login
// should not launch one at all. auth takes any Browser; only the CLI picks
// this one.
package browser

import (
	"fmt"
	"os/exec"
	"strings"
	"time"

	pkgbrowser "github.com/pkg/browser"
)

// System is the [auth.Browser] of a real machine: it opens URLs with $BROWSER (a command given the URL as its last
// argument) when set, else with the platform's default browser through
// github.com/pkg/browser (open, xdg-open, rundll32…).
type System struct {
	// Env is $BROWSER; empty means the platform default.
	Env string
	// Default opens a URL in the platform's default browser; nil means
	// pkgbrowser.OpenURL. That package prints what the launcher prints to its
	// own Stdout and Stderr writers: the program sets them once, at its
	// root (cozeauth's main), so nothing draws over a TUI or a token.
	Default func(url string) error
}

// launchWait is how long Open waits for the platform's launcher to fail
// (none installed, say) before taking it as started: some launchers stay
// until the browser they started exits.
const launchWait = 3 * time.Second

// Open starts the browser and does not wait for it to exit. What $BROWSER
// prints is discarded: it must not reach stdout (a token's) or draw over
// the wizard.
func (b System) Open(url string) error {
	argv := strings.Fields(b.Env)
	if len(argv) == 0 {
		return b.openDefault(url)
	}
	cmd := exec.Command(argv[0], append(argv[1:], url)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil // never draw over a TUI
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start $BROWSER (%s): %w", argv[0], err)
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// openDefault runs the platform's launcher, returning its failure if it
// fails at once.
func (b System) openDefault(url string) error {
	open := b.Default
	if open == nil {
		open = pkgbrowser.OpenURL
	}
	done := make(chan error, 1)
	go func() { done <- open(url) }()
	t := time.NewTimer(launchWait)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("could not open the browser: %w", err)
		}
	case <-t.C: // still running: the browser is on its way
	}
	return nil
}

// HeadlessReason says why a browser should not be launched here (an SSH
// session, or Linux without a display), or "" when one can be. Launching one
// anyway is the most common complaint about command-line OAuth tools: a login
// that hangs, or a text browser opening on a remote host. A $BROWSER always
// can: setting it is how a person says how URLs open on this machine (as gh
// takes it), display or not.
func HeadlessReason(getenv func(string) string, goos string) string {
	if getenv("BROWSER") != "" {
		return ""
	}
	if getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != "" {
		return "this is an SSH session"
	}
	if (goos == "linux" || strings.HasSuffix(goos, "bsd")) && getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return "there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"
	}
	return ""
}
