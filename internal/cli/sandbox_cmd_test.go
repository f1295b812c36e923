package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// What `cozeauth sandbox` suggests logs in to a profile of its own, never
// the real default one; so do the examples of its help.
func TestSandboxSuggestsItsOwnProfile(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"sandbox", "--addr", "127.0.0.1:0", "--quiet"}, &Env{
			Stdout: &stdout, Stderr: &stderr,
			Getenv: func(string) string { return "" },
			Now:    time.Now,
		})
	}()
	base := waitFor(t, &stdout, regexp.MustCompile(`(http://127\.0\.0\.1:\d+)`))
	cancel() // as Ctrl-C does
	if code := <-done; code != ExitInterrupted {
		t.Errorf("exit %d after Ctrl-C, want %d", code, ExitInterrupted)
	}
	if !strings.Contains(stderr.String(), "cozeauth login --profile sandbox --api-base "+base) {
		t.Errorf("the suggested login does not use --profile sandbox:\n%s", stderr.String())
	}
	help := runCLI(t, t.TempDir(), nil, "", "sandbox", "--help")
	for _, l := range strings.Split(help.stdout, "\n") {
		if strings.Contains(l, "cozeauth login") && !strings.Contains(l, "--profile sandbox") && !strings.Contains(l, "--sandbox") { // --sandbox is the profile "sandbox"
			t.Errorf("a help example logs in to the default profile: %q", l)
		}
	}
}

// `sandbox --help` says where the JWT app's key is, and prints no key.
func TestSandboxHelpPrintsNoKey(t *testing.T) {
	t.Parallel()
	help := runCLI(t, t.TempDir(), nil, "", "sandbox", "--help")
	if help.code != ExitOK {
		t.Fatalf("exit %d: %s", help.code, help.stderr)
	}
	for _, leak := range []string{"PRIVATE KEY", "PUBLIC KEY", strings.Split(sandbox.JWTPrivateKeyPEM, "\n")[1]} {
		if strings.Contains(help.stdout, leak) {
			t.Errorf("the help shows %q:\n%s", leak, help.stdout)
		}
	}
	if !strings.Contains(help.stdout, "--write-key sandbox_key.pem") {
		t.Errorf("the help does not say how to get the key:\n%s", help.stdout)
	}
}

// --write-key writes the key 0600, never over a file unless --force, and
// the key it writes logs in to the sandbox's JWT app.
func TestSandboxWriteKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := filepath.Join(dir, "sandbox_key.pem")
	res := runCLI(t, dir, nil, "", "sandbox", "--write-key", key)
	if res.code != ExitOK || res.stdout != "" || !strings.Contains(res.stderr, "--private-key-file "+key) {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", res.code, res.stdout, res.stderr)
	}
	info, err := os.Stat(key)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	if got, _ := os.ReadFile(key); string(got) != sandbox.JWTPrivateKeyPEM {
		t.Errorf("the file is not the sandbox key:\n%s", got)
	}

	mine := filepath.Join(dir, "mine.pem")
	if err := os.WriteFile(mine, []byte("not yours"), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := runCLI(t, dir, nil, "", "sandbox", "--write-key", mine); res.code != ExitUsage || !strings.Contains(res.stderr, "--force") {
		t.Errorf("over an existing file: exit %d, want %d and --force named:\n%s", res.code, ExitUsage, res.stderr)
	}
	if got, _ := os.ReadFile(mine); string(got) != "not yours" {
		t.Errorf("an existing file was overwritten without --force: %q", got)
	}
	if res := runCLI(t, dir, nil, "", "sandbox", "--write-key", mine, "--force"); res.code != ExitOK {
		t.Errorf("--force: exit %d: %s", res.code, res.stderr)
	}
	if got, _ := os.ReadFile(mine); string(got) != sandbox.JWTPrivateKeyPEM {
		t.Errorf("--force did not replace the file: %q", got)
	}
	if res := runCLI(t, dir, nil, "", "sandbox", "--write-key", "-"); res.code != ExitOK || res.stdout != sandbox.JWTPrivateKeyPEM {
		t.Errorf("--write-key -: exit %d, stdout %q", res.code, res.stdout)
	}
	if res := runCLI(t, dir, nil, "", "sandbox", "--force"); res.code != ExitUsage {
		t.Errorf("--force alone: exit %d, want %d", res.code, ExitUsage)
	}

	_, base := startSandbox(t)
	login := runCLI(t, filepath.Join(dir, "config"), nil, "", "login", "--profile", "sandbox-jwt", "--api-base", base, "--app-type", "jwt",
		"--client-id", sandbox.JWTClientID, "--public-key-id", sandbox.JWTPublicKeyID, "--private-key-file", key)
	if login.code != ExitOK {
		t.Errorf("the JWT login with the written key: exit %d:\n%s", login.code, login.stderr)
	}
}
