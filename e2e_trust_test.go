//go:build unix

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// rescueFile is where cozeauth keeps the rescued tokens of configDir in
// rescueDir: named after a hash of the config directory's absolute path
// (auth's rescueName; the binary is what is under test here).
func rescueFile(rescueDir, configDir string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(configDir)))
	return filepath.Join(rescueDir, "tokens-"+hex.EncodeToString(sum[:8])+".json")
}

// Issue 15, item 3: a FIFO planted in each place cozeauth reads never hangs
// `token`, `status` or `login --paste`: each either ends by itself (a
// refusal naming the FIFO, or a warning naming it and the work done without
// it), or ends after SIGTERM with exit 130. A command still running 10 s
// after the signal fails the test; the times are logged, not asserted.
func TestEndToEndPlantedFIFONeverHangs(t *testing.T) {
	t.Parallel()
	e := startE2E(t, "--access-ttl", "1s") // every token call refreshes, so takes the lock
	base := e.env
	places := []string{"tokens.json", "config.json", "tokens.lock", "state rescue", "runtime rescue"}
	commands := [][]string{{"token"}, {"status"}, {"login", "--paste", "--no-browser"}}
	for _, place := range places {
		for _, args := range commands {
			t.Run(place+"/"+args[0], func(t *testing.T) {
				dir := t.TempDir()
				config := filepath.Join(dir, "config")
				state, runtime := filepath.Join(dir, "state"), filepath.Join(dir, "run")
				e.env = []string{"COZEAUTH_CONFIG_DIR=" + config, "XDG_STATE_HOME=" + state, "XDG_RUNTIME_DIR=" + runtime, "COZE_CLIENT_ID=" + sandbox.PKCEClientID}
				for _, kv := range base {
					if !strings.HasPrefix(kv, "COZEAUTH_CONFIG_DIR=") {
						e.env = append(e.env, kv)
					}
				}
				defer func() { e.env = base }()
				e.login()
				fifo := map[string]string{
					"tokens.json": filepath.Join(config, "tokens.json"), "config.json": filepath.Join(config, "config.json"),
					"tokens.lock":    filepath.Join(config, "tokens.lock"),
					"state rescue":   rescueFile(filepath.Join(state, "cozeauth", "rescue"), config),
					"runtime rescue": rescueFile(filepath.Join(runtime, "cozeauth", "rescue"), config),
				}[place]
				os.MkdirAll(filepath.Dir(fifo), 0o700)
				os.Remove(fifo)
				if err := syscall.Mkfifo(fifo, 0o600); err != nil {
					t.Fatal(err)
				}
				code, stderr, signalled, took := e.runUntilSignal(args)
				if signalled {
					t.Logf("%s with a FIFO as %s: ended %v after SIGTERM, exit %d", args[0], place, took.Round(time.Millisecond), code)
					if code != 130 {
						t.Errorf("exit %d after SIGTERM, want 130\n%s", code, stderr)
					}
				} else {
					t.Logf("%s with a FIFO as %s: ended by itself in %v, exit %d: %s", args[0], place, took.Round(time.Millisecond), code, stderr)
					if (code != 0 || strings.Contains(place, "rescue")) && !strings.Contains(stderr, fifo) {
						t.Errorf("exit %d, stderr does not name the FIFO %s:\n%s", code, fifo, stderr)
					}
				}
				if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
					t.Errorf("the planted FIFO was removed or replaced: %v", err)
				}
			})
		}
	}
}

// runUntilSignal runs the binary with a standard input nobody writes to.
// When it is still running after a second (waiting for a paste, say), it
// gets SIGTERM; took is how long it then ran, or how long it ran in all
// when it ended by itself. 10 s after the signal it is killed and the test
// fails.
func (e *e2e) runUntilSignal(args []string) (code int, stderr string, signalled bool, took time.Duration) {
	e.t.Helper()
	stdin, hold, err := os.Pipe()
	if err != nil {
		e.t.Fatal(err)
	}
	defer hold.Close()
	defer stdin.Close()
	cmd := exec.Command(e.bin, args...)
	cmd.Env = e.env
	var errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &bytes.Buffer{}, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode(), errb.String(), false, time.Since(start)
	case <-time.After(time.Second):
	}
	signalled, start = true, time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		e.t.Errorf("%v still running 10 s after SIGTERM\n%s", args, errb.String())
	}
	return cmd.ProcessState.ExitCode(), errb.String(), signalled, time.Since(start)
}
