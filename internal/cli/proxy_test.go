package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProxyPrintKey(t *testing.T) {
	dir := t.TempDir()
	first := runCLI(t, dir, nil, "", "proxy", "--print-key")
	if first.code != 0 || !strings.HasPrefix(first.stdout, "cozeauth_proxy_") {
		t.Fatalf("= exit %d %q\n%s", first.code, first.stdout, first.stderr)
	}
	if again := runCLI(t, dir, nil, "", "proxy", "--print-key"); again.stdout != first.stdout {
		t.Errorf("second --print-key = %q, want the same key", again.stdout)
	}
	if other := runCLI(t, dir, nil, "", "proxy", "--print-key", "--profile", "work"); other.stdout == first.stdout {
		t.Error("two profiles got the same key")
	}
	info, err := os.Stat(filepath.Join(dir, "proxy", "default.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v; want mode 600", info, err)
	}
}

func TestProxyRefusesBeforeListening(t *testing.T) {
	dir := t.TempDir()
	for _, addr := range []string{"0.0.0.0:8899", "192.0.2.1:8899", ":8899", "8899"} {
		if res := runCLI(t, dir, nil, "", "proxy", "--listen", addr); res.code != ExitUsage || !strings.Contains(res.stderr, "--listen") {
			t.Errorf("--listen %s: exit %d %q, want %d", addr, res.code, res.stderr, ExitUsage)
		}
	}
	res := runCLI(t, dir, nil, "", "proxy", "--listen", "127.0.0.1:0")
	if res.code != ExitLoginRequired || strings.Contains(res.stderr, "listening") {
		t.Errorf("not logged in: exit %d %q, want %d before listening", res.code, res.stderr, ExitLoginRequired)
	}
}
