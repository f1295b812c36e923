package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/internal/sandbox"
	"github.com/cozeauth/cozeauth/internal/testbin"
)

// The TUI end-to-end tests build cozeauth, run `cozeauth --sandbox` in a
// real pseudo-terminal (tmux), type as a person would and read the screen
// with capture-pane. They need tmux: without it they skip on a developer's
// machine and fail in CI, whose .ci/run installs it.

// tuiSession is one cozeauth process in its own tmux server.
type tuiSession struct {
	t        *testing.T
	socket   string // the tmux server's socket (tmux -S)
	exitFile string
	last     string
}

// screenTimeout bounds every wait for the screen to show something.
const screenTimeout = 30 * time.Second

// tuiBinaries returns the binaries a TUI test runs, or skips the test where
// it cannot run. The TUI tests run in parallel: each has its own tmux server,
// sandbox and directories.
func tuiBinaries(t *testing.T) (cozeauth, fakebrowser string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and drives it in tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("tmux is not installed (CI installs it)")
		}
		t.Fatal("tmux is required in CI: .ci/run installs it")
	}
	return binaries.Path(t, testbin.Module), binaries.Path(t, testbin.Module+"/internal/sandbox/fakebrowser")
}

// startTUI runs command in a 100x30 tmux pane, under a shell that writes
// its exit status to a file when it ends. Its tmux server's socket is in the
// test's own directory, and goes with the server when the test ends.
func startTUI(t *testing.T, command string) *tuiSession {
	t.Helper()
	return startTUIConf(t, "", command)
}

// startTUIConf is startTUI with a tmux configuration (tmux's own defaults
// when empty).
func startTUIConf(t *testing.T, conf, command string) *tuiSession {
	t.Helper()
	dir := t.TempDir()
	s := &tuiSession{t: t, socket: filepath.Join(dir, "tmux.sock"), exitFile: filepath.Join(dir, "exit")}
	t.Cleanup(func() {
		_ = exec.Command("tmux", "-S", s.socket, "kill-server").Run()
		_ = os.Remove(s.socket)
	})
	confFile := filepath.Join(dir, "tmux.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s.tmux("-f", confFile, "new-session", "-d", "-s", "e2e", "-x", "100", "-y", "30",
		command+"; echo $? > "+shellQuote(s.exitFile)+"; sleep 600")
	return s
}

func (s *tuiSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *tuiSession) capture() string {
	s.t.Helper()
	s.last = s.tmux("capture-pane", "-p", "-t", "e2e")
	return s.last
}

// keys types keys with tmux send-keys (names like Enter, or text).
func (s *tuiSession) keys(keys ...string) {
	s.t.Helper()
	s.tmux(append([]string{"send-keys", "-t", "e2e"}, keys...)...)
}

// waitFor polls the screen until ok accepts it, and returns that screen.
func (s *tuiSession) waitFor(what string, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(screenTimeout)
	for time.Now().Before(deadline) {
		if screen := s.capture(); ok(screen) {
			return screen
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("the screen never showed %s; last screen:\n%s", what, s.last)
	return ""
}

func (s *tuiSession) waitForText(texts ...string) string {
	s.t.Helper()
	return s.waitFor(fmt.Sprintf("%q", texts), func(screen string) bool {
		for _, t := range texts {
			if !strings.Contains(screen, t) {
				return false
			}
		}
		return true
	})
}

// exitStatus waits for the process to end and returns its exit status.
// A process that does not end is sent SIGQUIT, so that the failure shows
// where its goroutines are stuck.
func (s *tuiSession) exitStatus() int {
	s.t.Helper()
	deadline := time.Now().Add(screenTimeout)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(s.exitFile); err == nil && strings.HasSuffix(string(b), "\n") {
			n, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				s.t.Fatalf("exit status %q", b)
			}
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
	if pid := s.pid(); pid != 0 {
		_ = syscall.Kill(pid, syscall.SIGQUIT)
		time.Sleep(time.Second) // let the runtime print its goroutines
	}
	s.t.Fatalf("the process did not exit; screen and scrollback:\n%s", s.tmux("capture-pane", "-p", "-S", "-300", "-t", "e2e"))
	return 0
}

// pid is cozeauth's process id: the child of the pane's shell (0 when it
// has none).
func (s *tuiSession) pid() int {
	s.t.Helper()
	shell := strings.TrimSpace(s.tmux("display-message", "-p", "-t", "e2e", "#{pane_pid}"))
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		if len(fields) > 1 && fields[1] == shell && !strings.Contains(string(b), "(sleep)") {
			n, _ := strconv.Atoi(strings.Fields(string(b))[0])
			return n
		}
	}
	return 0
}

var (
	ansiSGR     = regexp.MustCompile(`\x1b\[[0-9;:]*m`)
	countdownRe = regexp.MustCompile(`(\d+:\d\d) left`)
	expiryRe    = regexp.MustCompile(`expires (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+)`)
	maskedRe    = regexp.MustCompile(`Access token\s+(czu_…\w+)`)
)

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// headlessEnv is a machine with no display and no SSH: no browser is opened.
func headlessEnv() string {
	return "env -u DISPLAY -u WAYLAND_DISPLAY -u SSH_CONNECTION -u SSH_TTY -u BROWSER -u NO_COLOR" +
		" -u COZE_CLIENT_ID -u COZE_CLIENT_SECRET -u COZE_REDIRECT_URI -u COZE_PROFILE -u COZE_REGION -u COZE_API_BASE -u COZE_WWW_BASE -u COZEAUTH_STORAGE"
}

// walkToDashboard goes from the form to the dashboard; the login is
// completed by approve, called after Enter on the form, or (nil) by a
// browser so quick that the consent screen may never be captured, or by
// nobody (a JWT app).
func walkToDashboard(s *tuiSession, approve func()) {
	s.t.Helper()
	form := s.waitForText("App type", "Client ID", "Sandbox mode")
	if !strings.Contains(form, "742000000000000000") { // one of the sandbox apps
		s.t.Fatalf("the form is not prefilled with the sandbox app:\n%s", form)
	}
	s.keys("Enter")
	if approve != nil {
		approve()
	}
	probe := s.waitForText("Reachable", "belongs to")
	for _, want := range []string{"200", "401", "auth_required", "404", "not_found", "/open_api/v2/chat", "/v1/workflows/run", "/v1/users/me"} {
		if !strings.Contains(probe, want) {
			s.t.Errorf("the probe screen lacks %q:\n%s", want, probe)
		}
	}
	s.keys("Enter")
	s.waitForText("token dashboard", "Sandbox User", "left")
}

func TestTUISandboxApproveKey(t *testing.T) {
	t.Parallel()
	bin, _ := tuiBinaries(t)
	s := startTUI(t, headlessEnv()+" "+shellQuote(bin)+" --sandbox")
	walkToDashboard(s, func() {
		// No display: the consent screen shows the ways on that work with
		// the sandbox, which lives in this process on loopback: the a key,
		// a paste from a browser on this machine, and no device code (a
		// PKCE app cannot use one). A port forward from another machine
		// cannot reach it, so none is offered.
		consent := s.waitForText("Three ways on", "Press a to approve", "on this machine", "Device codes need a device app")
		if strings.Contains(consent, "ssh -L") {
			t.Errorf("the sandbox offers an ssh -L port forward that cannot reach it:\n%s", consent)
		}
		s.keys("a")
	})

	// The countdown changes between two captures.
	first := countdownRe.FindStringSubmatch(s.capture())
	if first == nil {
		t.Fatalf("no countdown on the dashboard:\n%s", s.last)
	}
	s.waitFor("the countdown moving on from "+first[1], func(screen string) bool {
		m := countdownRe.FindStringSubmatch(screen)
		return m != nil && m[1] != first[1]
	})

	// r brings a new access token that expires no earlier. (Coze's expiry
	// is in whole seconds and moved onto the local clock, so a refresh
	// within a second of the login may show the same second.) Two r's in
	// one write, as SSH batches keys: each is a key of its own (the second
	// finds the refresh under way).
	before, token := expiryOf(t, s.last), maskedRe.FindStringSubmatch(s.last)
	if token == nil {
		t.Fatalf("no masked access token on the dashboard:\n%s", s.last)
	}
	s.keys("-l", "rr")
	s.waitFor("a new token than "+token[1]+" expiring no earlier than "+before.String(), func(screen string) bool {
		m := maskedRe.FindStringSubmatch(screen)
		return m != nil && m[1] != token[1] && strings.Contains(screen, "manual · ✓ ok") && !expiryOf(t, screen).Before(before)
	})

	// ? and then q in one write: the full help opens, and q quits.
	s.keys("-l", "?q")
	if code := s.exitStatus(); code != 0 {
		t.Errorf("exit status %d, want 0 after a login; last screen:\n%s", code, s.capture())
	}
	// The summary stays on the normal screen.
	summary := s.capture()
	for _, want := range []string{"Sandbox run: logged in as Sandbox User", "throwaway login are gone", "$(cozeauth token)", "cozeauth api /v1/users/me", "cozeauth status"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q:\n%s", want, summary)
		}
	}
}

// TestTUICopyInTmux: inside a tmux whose set-clipboard is on, c on the
// consent screen puts the authorize URL in a tmux paste buffer (the copy
// goes through Bubble Tea's renderer); with tmux's default the note says
// what tmux needs.
func TestTUICopyInTmux(t *testing.T) {
	t.Parallel()
	bin, _ := tuiBinaries(t)
	for _, conf := range []string{"set -g set-clipboard on\n", ""} {
		s := startTUIConf(t, conf, headlessEnv()+" "+shellQuote(bin)+" --sandbox")
		s.waitForText("App type", "Client ID", "Sandbox mode")
		s.keys("Enter")
		s.waitForText("Three ways on", "Press a to approve")
		s.keys("c")
		if conf == "" {
			s.waitFor("the set-clipboard note", func(screen string) bool {
				return strings.Contains(strings.Join(strings.Fields(screen), " "), "set -g set-clipboard on")
			})
			continue
		}
		deadline := time.Now().Add(screenTimeout)
		for {
			out, _ := exec.Command("tmux", "-S", s.socket, "show-buffer").CombinedOutput()
			if strings.Contains(string(out), "/api/permission/oauth2/authorize?") && strings.Contains(string(out), "code_challenge=") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no authorize URL in tmux's buffer (%q); screen:\n%s", out, s.capture())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestTUIPrintURLOneLine: u on the consent screen leaves the frame and
// prints the authorize URL on the normal screen as one line that the
// terminal wraps itself: tmux's capture with -J joins what it soft-wrapped,
// so the whole URL is one line there, as a mouse selection would take it.
// Enter comes back to the waiting login.
func TestTUIPrintURLOneLine(t *testing.T) {
	t.Parallel()
	bin, _ := tuiBinaries(t)
	s := startTUI(t, headlessEnv()+" "+shellQuote(bin)+" --sandbox")
	s.waitForText("App type", "Client ID", "Sandbox mode")
	s.keys("Enter")
	s.waitForText("Three ways on", "u one-line url")
	s.keys("u")
	s.waitForText("Press Enter to go back to cozeauth")
	joined := s.tmux("capture-pane", "-p", "-J", "-t", "e2e")
	whole := regexp.MustCompile(`(?m)^http://127\.0\.0\.1:\d+/api/permission/oauth2/authorize\?\S*code_challenge=\S*&state=[A-Za-z0-9_-]+$`)
	if !whole.MatchString(joined) {
		t.Errorf("the authorize URL is not one soft-wrapped line:\n%s", joined)
	}
	s.keys("Enter")
	s.waitFor("the consent screen again, saying where the address went", func(screen string) bool {
		flat := strings.Join(strings.Fields(screen), " ")
		return strings.Contains(flat, "Three ways on") && strings.Contains(flat, "The address is on the normal screen")
	})
	s.keys("a") // the login still works
	s.waitForText("is Coze reachable")
	s.keys("C-c")
	if code := s.exitStatus(); code != ExitInterrupted {
		t.Errorf("exit status %d after Ctrl+C, want %d", code, ExitInterrupted)
	}
}

// TestTUIInterruptAndNoColor: under NO_COLOR the form's text input still
// shows where the cursor is (reverse video), and Ctrl+C on the form exits
// 130 and says that nothing was saved.
func TestTUIInterruptAndNoColor(t *testing.T) {
	t.Parallel()
	bin, _ := tuiBinaries(t)
	s := startTUI(t, headlessEnv()+" NO_COLOR=1 "+shellQuote(bin)+" --sandbox")
	s.waitForText("Client ID", "Redirect URI")
	// Tab to the client ID's text field: the focused row (marked >) shows a
	// cursor in reverse video.
	cursorOn := func(label string) bool {
		for _, l := range strings.Split(s.tmux("capture-pane", "-p", "-e", "-t", "e2e"), "\n") {
			if plain := ansiSGR.ReplaceAllString(l, ""); strings.HasPrefix(plain, "> "+label) && strings.Contains(l, "\x1b[7m") {
				return true
			}
		}
		return false
	}
	for range 8 {
		if cursorOn("Client ID") {
			break
		}
		before := s.capture()
		s.keys("Tab")
		s.waitFor("the focus to move", func(screen string) bool { return screen != before })
	}
	s.waitFor("the cursor in the client ID field", func(string) bool { return cursorOn("Client ID") })
	if styled := s.tmux("capture-pane", "-p", "-e", "-t", "e2e"); regexp.MustCompile(`\x1b\[(?:[0-9]+;)*(?:3[0-7]|38|4[0-7]|48|9[0-7]|10[0-7])[;m]`).MatchString(styled) {
		t.Errorf("NO_COLOR, yet colours on screen:\n%q", styled)
	}
	s.keys("C-c")
	if code := s.exitStatus(); code != ExitInterrupted {
		t.Errorf("exit status %d after Ctrl+C, want %d; screen:\n%s", code, ExitInterrupted, s.capture())
	}
	if screen := s.capture(); !strings.Contains(screen, "without a login; nothing was saved") {
		t.Errorf("no word that nothing was saved:\n%s", screen)
	}
}

var (
	userCodeRe = regexp.MustCompile(`│\s+((?:[A-Z] ){4}-(?: [A-Z]){4})\s+│`)
)

// TestTUISandboxDevice logs in with the sandbox's device app: the form
// holds its type, Enter goes straight to the device code, and a approves it
// as the device page would. The sandbox asks for polls a second apart
// ($COZEAUTH_SANDBOX_DEVICE_INTERVAL), not Coze's 5 s.
func TestTUISandboxDevice(t *testing.T) {
	t.Parallel()
	bin, _ := tuiBinaries(t)
	s := startTUI(t, headlessEnv()+" COZEAUTH_SANDBOX_DEVICE_INTERVAL=1s "+shellQuote(bin)+" --sandbox --client-id "+sandbox.DeviceClientID)
	walkToDashboard(s, func() {
		device := s.waitFor("a user code", func(screen string) bool { return userCodeRe.MatchString(screen) })
		code := strings.ReplaceAll(strings.ReplaceAll(userCodeRe.FindStringSubmatch(device)[1], " ", ""), "-", "")
		flat := strings.Join(strings.Fields(device), "")
		if !strings.Contains(flat, "/sandbox/device?user_code="+code[:4]+"-"+code[4:]) {
			t.Errorf("the device screen lacks the verification URL for %s:\n%s", code, device)
		}
		for _, want := range []string{"(or scan)", "▀▀▀", "left", "press a"} {
			if !strings.Contains(device, want) {
				t.Errorf("the device screen lacks %q:\n%s", want, device)
			}
		}
		s.keys("a")
		// The note shows until the next poll (within 1s) picks the approval up.
		s.waitFor("the approval", func(screen string) bool {
			return strings.Contains(screen, "Approved as the sandbox user") || strings.Contains(screen, "Reachable")
		})
	})
	s.keys("q")
	if code := s.exitStatus(); code != 0 {
		t.Errorf("exit status %d, want 0; last screen:\n%s", code, s.capture())
	}
}

// TestTUISandboxJWT: the sandbox's service app goes from the form straight
// to the probe and the dashboard, which says when the next token is minted.
func TestTUISandboxJWT(t *testing.T) {
	t.Parallel()
	bin, _ := tuiBinaries(t)
	s := startTUI(t, headlessEnv()+" "+shellQuote(bin)+" --sandbox --client-id "+sandbox.JWTClientID)
	walkToDashboard(s, nil)
	dash := s.waitForText("next token minted", "minted by JWT, no refresh token")
	if strings.Contains(dash, "Refresh token") {
		t.Errorf("a JWT dashboard shows a refresh token:\n%s", dash)
	}
	s.keys("q")
	if code := s.exitStatus(); code != 0 {
		t.Errorf("exit status %d, want 0; last screen:\n%s", code, s.capture())
	}
}

func TestTUISandboxFakeBrowser(t *testing.T) {
	t.Parallel()
	bin, browser := tuiBinaries(t)
	log := filepath.Join(t.TempDir(), "opened.txt")
	// A desktop (DISPLAY set) with $BROWSER: the wizard opens the browser,
	// which presses Approve on the sandbox's consent page.
	cmd := headlessEnv() + " DISPLAY=:99 BROWSER=" + shellQuote(browser) + " FAKEBROWSER_LOG=" + shellQuote(log) + " " + shellQuote(bin) + " --sandbox"
	s := startTUI(t, cmd)
	walkToDashboard(s, nil)
	opened, err := os.ReadFile(log)
	if err != nil || !strings.Contains(string(opened), "/api/permission/oauth2/authorize?") {
		t.Errorf("the browser was not given the authorize URL: %q, %v", opened, err)
	}
	s.keys("q")
	if code := s.exitStatus(); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
}

func TestTUINotATerminal(t *testing.T) {
	t.Parallel()
	bin, _ := tuiBinaries(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "COZEAUTH_CONFIG_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errorsAs(err, &ee) || ee.ExitCode() != ExitUsage {
		t.Fatalf("exit: %v, want status %d", err, ExitUsage)
	}
	// One line saying what to run instead; no help dump.
	if strings.Count(string(out), "\n") != 1 || strings.Contains(string(out), "Usage:") || !strings.Contains(string(out), "needs a terminal") {
		t.Errorf("output:\n%s", out)
	}
}

// TestTUIMeasure reports the time to the first frame and the CPU an idle
// dashboard uses. It only runs when asked:
//
//	COZEAUTH_MEASURE=1 go test ./internal/cli -run TestTUIMeasure -count=1 -v
func TestTUIMeasure(t *testing.T) {
	if os.Getenv("COZEAUTH_MEASURE") == "" {
		t.Skip("set COZEAUTH_MEASURE=1 to measure")
	}
	t.Parallel()
	bin, _ := tuiBinaries(t)
	var firsts []time.Duration
	for range 5 {
		start := time.Now()
		s := startTUI(t, headlessEnv()+" "+shellQuote(bin)+" --sandbox")
		s.waitForText("Client ID")
		firsts = append(firsts, time.Since(start))
		s.keys("C-c")
		s.exitStatus()
	}
	t.Logf("first frame (tmux start to the form on screen), 5 runs: %v", firsts)

	s := startTUI(t, headlessEnv()+" "+shellQuote(bin)+" --sandbox")
	walkToDashboard(s, func() { s.waitForText("Press a to approve"); s.keys("a") })
	pid := s.pid()
	idle := 10 * time.Second
	if d, err := time.ParseDuration(os.Getenv("COZEAUTH_MEASURE_IDLE")); err == nil {
		idle = d
	}
	before := cpuTicks(t, pid)
	time.Sleep(idle) // the measured period, not a wait for a condition
	after := cpuTicks(t, pid)
	cpu := time.Duration(after-before) * 10 * time.Millisecond // USER_HZ is 100 on Linux
	t.Logf("idle dashboard: %v of CPU in %v (%.2f%%), ticks %d -> %d", cpu, idle, 100*cpu.Seconds()/idle.Seconds(), before, after)
	s.keys("q")
	s.exitStatus()
}

// cpuTicks is utime+stime of pid, in clock ticks.
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return ut + st
}

func expiryOf(t *testing.T, screen string) time.Time {
	t.Helper()
	m := expiryRe.FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no expiry on the screen:\n%s", screen)
	}
	at, err := time.Parse("2006-01-02 15:04:05 MST", m[1])
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func errorsAs(err error, target **exec.ExitError) bool {
	ee, ok := err.(*exec.ExitError)
	if ok {
		*target = ee
	}
	return ok
}
