// Package testengine starts the real engines a shared login is kept in —
// etcd and PostgreSQL, from Debian's etcd-server and postgresql packages —
// on loopback, for tests. Each engine lives in the test's temporary
// directory and is stopped by t.Cleanup. Where an engine's binaries are
// missing the test is skipped with the package to install, except under
// CI=true, where a missing engine fails the run: CI installs them.
package testengine

import (
	"net"
	"os"
	"os/exec"
	"testing"
)

// need finds each binary, by name on $PATH or as an absolute path, and
// returns their paths; it skips (fails under CI) the test when one is
// missing, naming pkg, the Debian package that has it.
func need(t testing.TB, pkg string, binaries ...string) []string {
	t.Helper()
	paths := make([]string, len(binaries))
	for i, b := range binaries {
		p, err := exec.LookPath(b)
		if err != nil {
			msg := b + " is not installed (apt-get install " + pkg + "); this test needs the real engine"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		paths[i] = p
	}
	return paths
}

// freePort returns a loopback TCP port nobody listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
