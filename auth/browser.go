package auth

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
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

// Open starts the browser and does not wait for it to exit. What the
// browser or its launcher prints is discarded: it must not reach stdout (a
// token's) or draw over the wizard.
func (b SystemBrowser) Open(url string) error {
	argv, what := strings.Fields(b.Env), "$BROWSER"
	if len(argv) == 0 {
		what = "the browser"
		var err error
		if argv, err = platformOpener(runtime.GOOS, exec.LookPath); err != nil {
			return fmt.Errorf("could not open a browser: %w", err)
		}
	}
	cmd := exec.Command(argv[0], append(argv[1:], url)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil // never draw over a TUI
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start %s (%s): %w", what, argv[0], err)
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// platformOpener is the command that opens a URL in the desktop's default
// browser on goos; lookPath finds the first launcher installed on Unix.
func platformOpener(goos string, lookPath func(string) (string, error)) ([]string, error) {
	switch goos {
	case "darwin":
		return []string{"open"}, nil
	case "windows":
		return []string{"rundll32", "url.dll,FileProtocolHandler"}, nil
	}
	launchers := []string{"xdg-open", "x-www-browser", "www-browser", "wslview"}
	for _, l := range launchers {
		if _, err := lookPath(l); err == nil {
			return []string{l}, nil
		}
	}
	return nil, errors.New("none of " + strings.Join(launchers, ", ") + " is installed; set $BROWSER")
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
