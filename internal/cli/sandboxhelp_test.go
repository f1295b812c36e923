package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// startSandbox runs the embedded fake Coze on loopback at the fixed clock
// until the test ends, and returns it with its base address.
func startSandbox(t *testing.T) (*sandbox.Server, string) {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Now: func() time.Time { return testNow }})
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb, base
}

// writeJWTKey writes the sandbox's JWT private key to dir/name (0600) and
// returns its path.
func writeJWTKey(t *testing.T, dir, name string) string {
	t.Helper()
	key := filepath.Join(dir, name)
	if err := os.WriteFile(key, []byte(sandbox.JWTPrivateKeyPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	return key
}
