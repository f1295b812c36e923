package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHeadlessReason(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		goos     string
		headless bool
	}{
		{"ssh session with forwarded X", map[string]string{"SSH_CONNECTION": "10.0.0.1 22 10.0.0.2 22", "DISPLAY": ":10"}, "linux", true},
		{"ssh on a mac", map[string]string{"SSH_TTY": "/dev/ttys001"}, "darwin", true},
		{"linux desktop (X11)", map[string]string{"DISPLAY": ":0"}, "linux", false},
		{"linux desktop (Wayland)", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, "linux", false},
		{"linux server or container", map[string]string{}, "linux", true},
		{"freebsd without a display", map[string]string{}, "freebsd", true},
		{"mac desktop", map[string]string{}, "darwin", false},
		{"windows desktop", map[string]string{}, "windows", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HeadlessReason(func(k string) string { return tt.env[k] }, tt.goos)
			if (got != "") != tt.headless {
				t.Errorf("HeadlessReason = %q, want headless=%v", got, tt.headless)
			}
		})
	}
}

func TestSystemBrowserRunsBrowserEnvWithURL(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "got")
	script := filepath.Join(dir, "fake-browser")
	os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+out+".tmp && mv "+out+".tmp "+out+"\n"), 0o755)
	if err := (SystemBrowser{Env: script}).Open("http://x.test/a?b=c&d=e"); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for range 500 { // the browser runs in the background; wait for its file
		if got, _ = os.ReadFile(out); len(got) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if string(got) != "http://x.test/a?b=c&d=e" {
		t.Errorf("browser got %q", got)
	}
	if err := (SystemBrowser{Env: filepath.Join(dir, "missing")}).Open("http://x"); err == nil || !strings.Contains(err.Error(), "$BROWSER") {
		t.Errorf("missing $BROWSER command: error = %v", err)
	}
}

func TestPlatformOpener(t *testing.T) {
	installed := func(names ...string) func(string) (string, error) {
		return func(n string) (string, error) {
			for _, m := range names {
				if m == n {
					return "/usr/bin/" + n, nil
				}
			}
			return "", os.ErrNotExist
		}
	}
	tests := []struct {
		goos    string
		have    []string
		want    []string
		wantErr bool
	}{
		{"darwin", nil, []string{"open"}, false},
		{"windows", nil, []string{"rundll32", "url.dll,FileProtocolHandler"}, false},
		{"linux", []string{"www-browser", "xdg-open"}, []string{"xdg-open"}, false},
		{"linux", []string{"wslview"}, []string{"wslview"}, false},
		{"freebsd", nil, nil, true},
	}
	for _, tt := range tests {
		got, err := platformOpener(tt.goos, installed(tt.have...))
		if (err != nil) != tt.wantErr || strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("platformOpener(%s, %v) = %v, %v; want %v", tt.goos, tt.have, got, err, tt.want)
		}
	}
}
