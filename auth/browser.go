package auth

import (
	"fmt"
	"os/exec"
	"strings"

	"github.com/pkg/browser"
)

// Browser opens a URL for a person to see.
type Browser interface {
	Open(url string) error
}

// SystemBrowser opens URLs with $BROWSER (a command given the URL as its last
// argument) when set, else with the desktop's default browser.
type SystemBrowser struct {
	// Env is $BROWSER; empty means the platform default.
	Env string
}

// Open starts the browser and does not wait for it to exit.
func (b SystemBrowser) Open(url string) error {
	if b.Env == "" {
		if err := browser.OpenURL(url); err != nil {
			return fmt.Errorf("could not open a browser: %w", err)
		}
		return nil
	}
	fields := strings.Fields(b.Env)
	cmd := exec.Command(fields[0], append(fields[1:], url)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil // never draw over a TUI
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start $BROWSER (%s): %w", fields[0], err)
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// HeadlessReason says why a browser should not be launched here (an SSH
// session, or Linux without a display), or "" when one can be. Launching one
// anyway is the most common complaint about command-line OAuth tools: a login
// that hangs, or a text browser opening on a remote host.
func HeadlessReason(getenv func(string) string, goos string) string {
	if getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != "" {
		return "this is an SSH session"
	}
	if (goos == "linux" || strings.HasSuffix(goos, "bsd")) && getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return "there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"
	}
	return ""
}
