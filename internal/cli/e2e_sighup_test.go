package cli

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// Closing the terminal (SIGHUP) during `cozeauth --sandbox` removes its
// throwaway config directory, tokens and all, as quitting does.
func TestTUISandboxHangupRemovesItsDirectory(t *testing.T) {
	t.Parallel()
	bin, _ := tuiBinaries(t)
	tmp := t.TempDir()
	s := startTUI(t, headlessEnv()+" TMPDIR="+shellQuote(tmp)+" "+shellQuote(bin)+" --sandbox")
	s.waitForText("Client ID", "Sandbox mode")
	if dirs, _ := os.ReadDir(tmp); len(dirs) != 1 {
		t.Fatalf("want the sandbox's config directory in %s, found %v", tmp, dirs)
	}
	pid := s.pid()
	if pid == 0 {
		t.Fatal("cozeauth is not running")
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(screenTimeout)
	for time.Now().Before(deadline) {
		if dirs, _ := os.ReadDir(tmp); len(dirs) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	dirs, _ := os.ReadDir(tmp)
	t.Errorf("after SIGHUP the sandbox left %v in %s", dirs, tmp)
}
