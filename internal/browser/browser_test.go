package browser

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
		{"$BROWSER on a linux server", map[string]string{"BROWSER": "w3m"}, "linux", false},
		{"$BROWSER over ssh", map[string]string{"BROWSER": "open-on-laptop", "SSH_CONNECTION": "10.0.0.1 22 10.0.0.2 22"}, "linux", false},
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

func TestSystemRunsBrowserEnvWithURL(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "got")
	script := filepath.Join(dir, "fake-browser")
	os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+out+".tmp && mv "+out+".tmp "+out+"\n"), 0o755)
	if err := (System{Env: script}).Open("http://x.test/a?b=c&d=e"); err != nil {
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
	if err := (System{Env: filepath.Join(dir, "missing")}).Open("http://x"); err == nil || !strings.Contains(err.Error(), "$BROWSER") {
		t.Errorf("missing $BROWSER command: error = %v", err)
	}
}

func TestSystemDefault(t *testing.T) {
	var got []string
	fake := func(u string) error { got = append(got, u); return nil }
	if err := (System{Default: fake}).Open("http://x.test/a"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "http://x.test/a" {
		t.Errorf("the default browser got %q, want the URL once", got)
	}
	// $BROWSER, when set, is used instead of the platform default.
	dir := t.TempDir()
	script := filepath.Join(dir, "fake-browser")
	os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755)
	got = nil
	if err := (System{Env: script, Default: fake}).Open("http://x.test/b"); err != nil || len(got) != 0 {
		t.Errorf("with $BROWSER: err %v, the default browser got %q", err, got)
	}
	// A launcher that is not installed is reported, as exec's error, so
	// that the CLI can say what to install.
	missing := func(string) error { return &exec.Error{Name: "xdg-open", Err: exec.ErrNotFound} }
	if err := (System{Default: missing}).Open("http://x"); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("no launcher: error = %v, want exec.ErrNotFound in it", err)
	}
}

// github.com/pkg/browser is what opens the browser by default: on Linux it
// runs xdg-open with the URL.
func TestSystemUsesPkgBrowser(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the launcher faked here is Linux's xdg-open")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "got")
	os.WriteFile(filepath.Join(dir, "xdg-open"), []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+out+"\n"), 0o755)
	t.Setenv("PATH", dir)
	if err := (System{}).Open("http://x.test/a?b=c&d=e"); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for range 500 { // the launcher may still be running when Open returns
		if got, _ = os.ReadFile(out); len(got) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if string(got) != "http://x.test/a?b=c&d=e" {
		t.Errorf("xdg-open got %q", got)
	}
}
