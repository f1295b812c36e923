package cli

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// syncBuffer is stderr written by the command and read by the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls buf until re matches, returning the first submatch.
func waitFor(t *testing.T, buf *syncBuffer, re *regexp.Regexp) string {
	t.Helper()
	for range 1000 {
		if m := re.FindStringSubmatch(buf.String()); m != nil {
			return m[1]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("never printed %v:\n%s", re, buf.String())
	return ""
}

// fakeClock is shared by the sandbox and the command, so device polling
// waits advance time instead of sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
	// earlySleep, when set, is the sleep (counting from 1) whose timer fires
	// after one second instead of the time asked: its poll comes too soon.
	earlySleep int
	waits      []time.Duration // every sleep asked for
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	if len(c.waits) == c.earlySleep {
		d = time.Second
	}
	c.now = c.now.Add(d)
	c.mu.Unlock()
	time.Sleep(time.Millisecond) // let the test's goroutine act between polls
	return ctx.Err()
}

type loginRun struct {
	clock  *fakeClock
	srv    *sandbox.Server
	base   string
	dir    string
	stderr *syncBuffer
	stdin  *io.PipeWriter
	done   chan int
}

// startLogin runs `cozeauth login args…` against an in-process sandbox.
func startLogin(t *testing.T, args ...string) *loginRun {
	t.Helper()
	return startLoginWithClock(t, &fakeClock{}, args...)
}

func startLoginWithClock(t *testing.T, clock *fakeClock, args ...string) *loginRun {
	t.Helper()
	return startLoginEnv(t, clock, nil, args...)
}

// startDeviceLogin runs `cozeauth login --device` for the sandbox's device app.
func startDeviceLogin(t *testing.T, clock *fakeClock) *loginRun {
	t.Helper()
	return startLoginEnv(t, clock, map[string]string{"COZE_CLIENT_ID": sandbox.DeviceClientID}, "--device")
}

// startLoginEnv runs `cozeauth login args…` with extra environment; the
// redirect URI is a free loopback port registered on the sandbox's apps.
func startLoginEnv(t *testing.T, clock *fakeClock, extra map[string]string, args ...string) *loginRun {
	t.Helper()
	clock.now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	redirect, err := sandboxRedirect("")
	if err != nil {
		t.Fatal(err)
	}
	srv := sandbox.New(sandbox.Options{Now: clock.Now, RedirectURIs: []string{redirect}})
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r := &loginRun{clock: clock, srv: srv, base: base, dir: t.TempDir(), stderr: &syncBuffer{}, done: make(chan int, 1)}
	stdin, w := io.Pipe()
	r.stdin = w
	t.Cleanup(func() { w.Close() })
	env := map[string]string{"COZEAUTH_CONFIG_DIR": r.dir, "COZE_API_BASE": base, "COZE_WWW_BASE": base,
		"COZE_CLIENT_ID": sandbox.PKCEClientID, "COZE_REDIRECT_URI": redirect}
	for k, v := range extra {
		env[k] = v
	}
	go func() {
		r.done <- Run(context.Background(), append([]string{"login"}, args...), &Env{
			Stdin: stdin, Stdout: io.Discard, Stderr: r.stderr,
			Getenv: func(k string) string { return env[k] },
			Now:    clock.Now, Sleep: clock.Sleep, Version: "test",
			StdinIsTerminal: func() bool { return true }, // a person at the keyboard
		})
	}()
	return r
}

func (r *loginRun) exit(t *testing.T) int {
	t.Helper()
	select {
	case code := <-r.done:
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("login did not end:\n%s", r.stderr)
		return -1
	}
}

func (r *loginRun) loggedIn(t *testing.T) bool {
	t.Helper()
	rec, err := auth.NewStore(r.dir).Load("default")
	return err == nil && rec != nil && rec.AccessToken != ""
}

var authorizeURL = regexp.MustCompile(`(http://\S+/api/permission/oauth2/authorize\?\S+)`)

func TestLoginPaste(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		paste    func(t *testing.T, srv *sandbox.Server, authorize string) string
		wantCode int
		wantErr  string
	}{
		{"the address the browser ended on", func(t *testing.T, srv *sandbox.Server, authorize string) string {
			redirect, err := srv.Approve(authorize)
			if err != nil {
				t.Fatal(err)
			}
			return "  " + redirect + "  "
		}, 0, ""},
		{"an address from another login", func(t *testing.T, srv *sandbox.Server, authorize string) string {
			redirect, _ := srv.Approve(authorize)
			u, _ := url.Parse(redirect)
			q := u.Query()
			q.Set("state", "someone-elses")
			u.RawQuery = q.Encode()
			return u.String()
		}, 1, "state does not match"},
		{"a refusal", func(t *testing.T, srv *sandbox.Server, authorize string) string {
			u, _ := url.Parse(authorize)
			return "http://127.0.0.1:9/callback?error=access_denied&error_description=the+user+refused&state=" + url.QueryEscape(u.Query().Get("state"))
		}, 1, "denied in the browser (access_denied: the user refused)"},
		{"garbage", func(*testing.T, *sandbox.Server, string) string { return "I clicked the button" }, 1, "state does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startLogin(t, "--paste")
			authorize := waitFor(t, r.stderr, authorizeURL)
			io.WriteString(r.stdin, tt.paste(t, r.srv, authorize)+"\n")
			if code := r.exit(t); code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s", code, tt.wantCode, r.stderr)
			}
			if !strings.Contains(r.stderr.String(), tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, r.stderr)
			}
			if r.loggedIn(t) != (tt.wantCode == 0) {
				t.Errorf("logged in = %v after exit %d", r.loggedIn(t), tt.wantCode)
			}
		})
	}
}

func TestLoginPasteNothing(t *testing.T) {
	t.Parallel()
	r := startLogin(t, "--paste")
	waitFor(t, r.stderr, authorizeURL)
	r.stdin.Close()
	if code := r.exit(t); code != 1 || !strings.Contains(r.stderr.String(), "no address was pasted") {
		t.Fatalf("exit %d:\n%s", code, r.stderr)
	}
}

var userCode = regexp.MustCompile(`│\s+((?:\S )+\S)\s+│`)

func TestLoginDevice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		decide   func(srv *sandbox.Server, code string) error
		wantCode int
		wantErr  string
	}{
		{"approved", (*sandbox.Server).ApproveDevice, 0, "Logged in as Sandbox User"},
		{"denied", (*sandbox.Server).DenyDevice, 1, "denied in the browser; run `cozeauth login --device` again"},
		{"left to expire", func(*sandbox.Server, string) error { return nil }, 1, "expired before it was approved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startDeviceLogin(t, &fakeClock{})
			code := strings.ReplaceAll(waitFor(t, r.stderr, userCode), " ", "")
			if !strings.Contains(r.stderr.String(), "/sandbox/device?user_code=") {
				t.Errorf("no verification address:\n%s", r.stderr)
			}
			if err := tt.decide(r.srv, code); err != nil {
				t.Fatal(err)
			}
			if got := r.exit(t); got != tt.wantCode || !strings.Contains(r.stderr.String(), tt.wantErr) {
				t.Fatalf("exit %d, want %d with %q:\n%s", got, tt.wantCode, tt.wantErr, r.stderr)
			}
			if r.loggedIn(t) != (tt.wantCode == 0) {
				t.Errorf("logged in = %v after exit %d", r.loggedIn(t), tt.wantCode)
			}
		})
	}
}

// On a machine without a display, login shows the ways on and accepts the
// address pasted while it also listens; another login's address is refused
// and the wait goes on.
func TestLoginHeadlessAcceptsPasteWhileListening(t *testing.T) {
	t.Parallel()
	r := startLogin(t) // the test's Getenv has no DISPLAY: headless
	authorize := waitFor(t, r.stderr, authorizeURL)
	for _, want := range []string{"No browser was opened", "ssh -L ", "paste here", "cozeauth login --app-type device"} {
		if !strings.Contains(r.stderr.String(), want) {
			t.Errorf("ladder lacks %q:\n%s", want, r.stderr)
		}
	}
	io.WriteString(r.stdin, "http://127.0.0.1:9/callback?code=x&state=another-login\n")
	waitFor(t, r.stderr, regexp.MustCompile(`(not from this login)`))
	io.WriteString(r.stdin, "http://[::1/cb?code=typo\n")
	waitFor(t, r.stderr, regexp.MustCompile(`(still waiting)`))
	redirect, err := r.srv.Approve(authorize)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(r.stdin, redirect+"\n")
	if code := r.exit(t); code != 0 || !r.loggedIn(t) {
		t.Fatalf("exit %d, logged in %v:\n%s", code, r.loggedIn(t), r.stderr)
	}
}

// pending, slow_down, success against the sandbox: the second poll comes too
// early (its timer fired after 1s), the sandbox says slow_down, the next
// waits are the interval plus 5s, and the approval then logs in.
func TestLoginDeviceSlowDown(t *testing.T) {
	t.Parallel()
	r := startDeviceLogin(t, &fakeClock{earlySleep: 2})
	code := strings.ReplaceAll(waitFor(t, r.stderr, userCode), " ", "")
	waits := func() []time.Duration {
		r.clock.mu.Lock()
		defer r.clock.mu.Unlock()
		return append([]time.Duration(nil), r.clock.waits...)
	}
	for range 1000 { // until the poll after slow_down is waiting
		if len(waits()) >= 3 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := r.srv.ApproveDevice(code); err != nil {
		t.Fatal(err)
	}
	if got := r.exit(t); got != 0 || !r.loggedIn(t) {
		t.Fatalf("exit %d:\n%s", got, r.stderr)
	}
	if diff := cmp.Diff([]time.Duration{5 * time.Second, 5 * time.Second, 10 * time.Second}, waits()[:3]); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}
