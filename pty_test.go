package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/cozeauth/cozeauth/auth"
)

// The commands that draw no TUI must never ask the terminal anything: a
// terminal that does not answer (Emacs shells, `script`, pexpect, some
// `ssh -t` and `docker exec -t` set-ups) would leave them waiting for an
// answer, and the question's bytes would end up in the output (Bubble Tea
// v1 asked for the background colour in its package init and waited 5s).
// These tests run the real binary in a pseudo-terminal that never answers.

// ptyHangGuard is how long a command may run in the silent terminal before
// it counts as hung. It is not a speed limit: the commands take
// milliseconds, and a query waiting for its answer takes 5s.
const ptyHangGuard = 4 * time.Second

// terminalQuery matches what a program sends to learn about the terminal:
// OSC 10/11 (foreground and background colour), DSR cursor position
// (ESC[6n), primary and secondary device attributes (ESC[c, ESC[0c, ESC[>c)
// and DECRQM mode reports (ESC[?2026$p).
var terminalQuery = regexp.MustCompile(`\x1b\]1[01];\?|\x1b\[6n|\x1b\[[>=]?0?c|\x1b\[\??\d+\$p`)

// tokenFixture is a built binary and a config directory holding a valid
// token for the default profile, written with the store's own API.
type tokenFixture struct {
	bin, dir, cfgDir, token string
}

func newTokenFixture(t testing.TB) *tokenFixture {
	t.Helper()
	dir := t.TempDir()
	f := &tokenFixture{bin: cozeauthBin(t), dir: dir, cfgDir: filepath.Join(dir, "config"), token: "czu_pty_test_token"}
	st := auth.NewStore(f.cfgDir)
	l, err := st.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = l.Save("default", &auth.Record{Token: auth.Token{AccessToken: f.token, RefreshToken: "pty_refresh",
		Expiry: now.Add(time.Hour), RefreshExpiry: now.Add(24 * time.Hour), IssuedAt: now}})
	l.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	// An API base nobody listens on: a command that tried the network would fail.
	if err := st.SaveSettings("default", auth.Settings{ClientID: "7000000000000000001.app.coze", APIBase: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	return f
}

// env is a terminal that programs would ask (xterm, colours), without
// anything from the developer's own environment.
func (f *tokenFixture) env() []string {
	return []string{"COZEAUTH_CONFIG_DIR=" + f.cfgDir, "HOME=" + f.dir, "TERM=xterm-256color", "COLORTERM=truecolor", "PATH=" + os.Getenv("PATH")}
}

// runInSilentPTY runs bin with stdin, stdout and stderr on a pseudo-terminal
// whose other end never writes, and returns everything the command wrote to
// it. Output post-processing is off (no \n → \r\n), so the bytes are the
// command's own. finished is false when the command was still running at
// the hang guard (it is then killed).
func runInSilentPTY(t testing.TB, bin string, env []string, args ...string) (out []byte, finished bool, err error) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Oflag &^= unix.OPOST
	if err := unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 80}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		tty.Close()
		t.Fatal(err)
	}
	tty.Close() // the child holds the terminal now; its exit ends the reads

	var buf bytes.Buffer
	read := make(chan struct{})
	go func() {
		_, _ = io.Copy(&buf, ptmx) // ends with EIO once the child has exited
		close(read)
	}()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
		finished = true
	case <-time.After(ptyHangGuard):
		_ = cmd.Process.Kill()
		err = <-waited
	}
	select {
	case <-read:
	case <-time.After(ptyHangGuard): // a grandchild holding the terminal open
		ptmx.Close()
		<-read
	}
	return buf.Bytes(), finished, err
}

func TestNoTerminalQueriesInSilentPTY(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary and runs it in a pseudo-terminal")
	}
	f := newTokenFixture(t)
	for _, args := range [][]string{{"version"}, {"status"}, {"status", "--all"}, {"token"}, {"help"}, {"login", "-h"}, {"profiles"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, finished, err := runInSilentPTY(t, f.bin, f.env(), args...)
			if !finished {
				t.Fatalf("cozeauth %s was still running after %v in a terminal that never answers; output so far %q", args[0], ptyHangGuard, out)
			}
			if err != nil {
				t.Fatalf("cozeauth %s: %v; output %q", args[0], err, out)
			}
			if q := terminalQuery.FindAll(out, -1); q != nil {
				t.Errorf("cozeauth %s asked the terminal %q; output %q", args[0], q, out)
			}
			if args[0] == "token" && string(out) != f.token+"\n" {
				t.Errorf("cozeauth token wrote %q, want exactly the token and a newline", out)
			}
		})
	}
}

// BenchmarkTokenInPTY runs `cozeauth token` with its output on a silent
// pseudo-terminal and into a pipe, interleaved; "x-pipe" is the ratio
// (goal ≤ 1.5: a terminal costs nothing extra when nothing asks it).
//
//	go test -run '^$' -bench TokenInPTY -benchtime 50x .
func BenchmarkTokenInPTY(b *testing.B) {
	f := newTokenFixture(b)
	env := f.env()
	var ptyTotal, pipeTotal time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		out, finished, err := runInSilentPTY(b, f.bin, env, "token")
		ptyTotal += time.Since(start)
		if !finished || err != nil || string(out) != f.token+"\n" {
			b.Fatalf("in a pty: finished %v, err %v, output %q", finished, err, out)
		}
		start = time.Now()
		cmd := exec.Command(f.bin, "token")
		cmd.Env = env
		out, err = cmd.Output()
		pipeTotal += time.Since(start)
		if err != nil || string(out) != f.token+"\n" {
			b.Fatalf("into a pipe: err %v, output %q", err, out)
		}
	}
	b.ReportMetric(float64(ptyTotal.Microseconds())/float64(b.N), "pty-µs/op")
	b.ReportMetric(float64(pipeTotal.Microseconds())/float64(b.N), "pipe-µs/op")
	b.ReportMetric(float64(ptyTotal)/float64(pipeTotal), "x-pipe")
}
