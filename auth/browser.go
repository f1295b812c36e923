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
		browser.Stdout, browser.Stderr = nil, nil // keep the terminal clean
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
