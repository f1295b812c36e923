package auth

import (
	"os"
	"runtime"
	"testing"
)

// DefaultDir reads the environment only through the getenv it is given,
// and finds what os.UserConfigDir finds from the same environment.
func TestDefaultDirReadsOnlyGetenv(t *testing.T) {
	env := map[string]string{"COZEAUTH_CONFIG_DIR": "/given"}
	if d, err := DefaultDir(func(k string) string { return env[k] }); err != nil || d != "/given" {
		t.Errorf("DefaultDir with $COZEAUTH_CONFIG_DIR = %q, %v", d, err)
	}
	t.Setenv("COZEAUTH_CONFIG_DIR", "/from-the-process")
	if _, err := DefaultDir(func(string) string { return "" }); err == nil {
		t.Error("DefaultDir read the process's environment: an empty one has no config directory")
	}
	os.Unsetenv("COZEAUTH_CONFIG_DIR")
	want, werr := os.UserConfigDir()
	got, gerr := userConfigDir(os.Getenv, runtime.GOOS)
	if got != want || (werr == nil) != (gerr == nil) {
		t.Errorf("userConfigDir = %q, %v; os.UserConfigDir = %q, %v", got, gerr, want, werr)
	}
}
