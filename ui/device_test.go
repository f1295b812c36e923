package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cozeauth/cozeauth/auth"
)

// A PKCE app cannot use a device code (Coze answers access_deny): the
// consent screen does not offer d, and its ladder says how to get a device
// app instead.
func TestDeviceNotOfferedForABrowserApp(t *testing.T) {
	f := newFixture(t)
	f.sleep = sleepUntilCancelled
	f.deps.Headless = "there is no display"
	m, _ := f.consent(t)
	if m.keys.Device.Enabled() {
		t.Error("d is on for a PKCE app")
	}
	if next, _ := step(m, press("d")); next.screen != screenConsent {
		t.Errorf("d moved a PKCE app's login to %v", next.screen)
	}
	if v := strings.Join(strings.Fields(viewText(m)), " "); !strings.Contains(v, "Device codes need a device app") {
		t.Errorf("the ladder does not say how to get a device app:\n%s", viewText(m))
	}
}

// Enter on the form of a device app goes straight to the device code; the
// form's app type says so.
func TestDeviceAppGoesStraightToTheCode(t *testing.T) {
	f := newFixture(t)
	f.sleep = sleepUntilCancelled
	m, cmd := f.deviceStarting(t)
	if v := viewText(m); !strings.Contains(v, "Asking Coze for a device code") {
		t.Errorf("starting view:\n%s", v)
	}
	m, _ = step(m, await[deviceStartedMsg](t, cmd))
	defer m.Close()
	if m.device.phase != deviceWaiting {
		t.Errorf("phase %v, want waiting", m.device.phase)
	}
}

func TestDeviceScreenShowsCodeURLQRAndCountdown(t *testing.T) {
	f := newFixture(t)
	f.sleep = sleepUntilCancelled
	m, _ := f.device(t)
	m, _ = step(m, tea.WindowSizeMsg{Width: 120, Height: 30}) // the URL on one line
	if m.device.phase != deviceWaiting || m.device.auth.UserCode != "BCDF-GHJK" {
		t.Fatalf("phase %v auth %+v", m.device.phase, m.device.auth)
	}
	v := viewText(m)
	for _, want := range []string{"B C D F - G H J K", "╭", "5:00 left", "(or scan)", "█▀", testVerificationURI + "?user_code=BCDF-GHJK"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	m, _ = step(m, tickMsg{now: f.clock.Advance(90 * time.Second)})
	if v := viewText(m); !strings.Contains(v, "3:30 left") {
		t.Errorf("after 90s the countdown does not show 3:30:\n%s", v)
	}
	if !m.needsClock() || !m.busy() {
		t.Error("a waiting device login needs the clock and the spinner")
	}
}

func TestDeviceQRFitsOrIsHidden(t *testing.T) {
	f := newFixture(t)
	f.sleep = sleepUntilCancelled
	m, _ := f.device(t)
	qrW, qrH := blockSize(m.device.qr)
	if qrW == 0 || qrH == 0 {
		t.Fatal("no QR code was drawn")
	}
	for _, tt := range []struct {
		w, h   int
		shown  bool
		beside bool
	}{
		{80, 24, true, true},
		{100, 30, true, true},
		{62, 60, true, false}, // narrow and tall: under the text
		{60, 20, false, false},
		{80, 20, true, true}, // a one-module quiet zone fits here
	} {
		m, _ := step(m, tea.WindowSizeMsg{Width: tt.w, Height: tt.h})
		v := viewText(m)
		lines := strings.Split(v, "\n")
		if len(lines) != tt.h {
			t.Errorf("%dx%d: %d lines", tt.w, tt.h, len(lines))
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w > tt.w {
				t.Errorf("%dx%d: line %d is %d wide", tt.w, tt.h, i, w)
			}
		}
		qrTop := strings.Split(m.device.qr, "\n")[1]
		shown := strings.Contains(v, qrTop)
		hidden := strings.Contains(strings.Join(strings.Fields(v), " "), "too small for the QR code")
		if shown != tt.shown || hidden == tt.shown {
			t.Errorf("%dx%d: QR shown %v, hidden note %v; want shown %v:\n%s", tt.w, tt.h, shown, hidden, tt.shown, v)
		}
		if tt.beside && !strings.Contains(v, "(or scan):") {
			t.Errorf("%dx%d: the QR code is not beside the text:\n%s", tt.w, tt.h, v)
		}
		if shown && !strings.Contains(v, "B C D F - G H J K") {
			t.Errorf("%dx%d: the QR code pushed out the user code:\n%s", tt.w, tt.h, v)
		}
	}
}

func TestDeviceApprovedGoesToProbe(t *testing.T) {
	f := newFixture(t)
	m, cmd := f.device(t)
	done := await[loginFinishedMsg](t, cmd)
	if done.gen != m.device.gen || done.result.Record.AccessToken != "czu_fake_access_0001" {
		t.Fatalf("finished = %+v", done)
	}
	m, cmd = step(m, done)
	if m.screen != screenProbe {
		t.Fatalf("after approval: screen %v, want probe", m.screen)
	}
	if m.device.cancel != nil {
		t.Error("the device login's context was not released")
	}
	if m.dash.status == nil || m.dash.status.User.Display() != "Test User (@tester)" {
		t.Errorf("dashboard status = %+v", m.dash.status)
	}
	rec, err := f.store.Load("default")
	if err != nil || rec == nil || rec.AccessToken != "czu_fake_access_0001" {
		t.Errorf("stored record %+v, %v", rec, err)
	}
	var got []string
	f.coze.set(func(fc *fakeCoze) { got = append(got, fc.grants...) })
	if len(got) != 1 || got[0] != auth.DeviceGrantType {
		t.Errorf("grants = %q", got)
	}
	step(m, await[probeStartedMsg](t, cmd))
}

func TestDeviceRefusals(t *testing.T) {
	for _, tt := range []struct {
		answer, title, says string
	}{
		{"access_denied", "The device login was denied", "denied in the browser"},
		{"access_deny", "The device login failed", "Coze refused the app itself, not you"}, // issue 9: not a refusal by the person
		{"expired_token", "The device code expired", "expired before it was approved"},
		{"invalid_grant", "The device login failed", "the fake says invalid_grant"},
	} {
		t.Run(tt.answer, func(t *testing.T) {
			f := newFixture(t)
			f.coze.set(func(fc *fakeCoze) { fc.deviceAnswer = tt.answer })
			m, cmd := f.device(t)
			m, _ = step(m, await[deviceFailedMsg](t, cmd))
			if m.device.phase != deviceFailed || m.device.cancel != nil {
				t.Fatalf("phase %v, cancel left %v", m.device.phase, m.device.cancel != nil)
			}
			v := strings.Join(strings.Fields(viewText(m)), " ")
			for _, want := range []string{"✗ " + tt.title, tt.says, "Press r for a new code", "r new code", "esc form"} {
				if !strings.Contains(v, want) {
					t.Errorf("view lacks %q:\n%s", want, viewText(m))
				}
			}
			if m.needsClock() || m.busy() {
				t.Error("a failed device login keeps the clock or the spinner")
			}

			// r asks for a new code with the same settings.
			gen := m.device.gen
			f.coze.set(func(fc *fakeCoze) { fc.deviceAnswer = "" })
			next, cmd := step(m, press("r"))
			if next.screen != screenDevice || next.device.phase != deviceStarting || next.device.gen == gen {
				t.Fatalf("r: screen %v phase %v gen %d->%d", next.screen, next.device.phase, gen, next.device.gen)
			}
			next, _ = step(next, await[deviceStartedMsg](t, cmd))
			next.Close()

			// Esc goes back to the form.
			if back, _ := step(m, press("esc")); back.screen != screenForm {
				t.Errorf("esc: screen %v", back.screen)
			}
		})
	}
}

func TestDeviceExpiresByTheClock(t *testing.T) {
	f := newFixture(t)
	f.sleep = sleepUntilCancelled
	m, _ := f.device(t)
	m, _ = step(m, tickMsg{now: f.clock.Advance(4*time.Minute + 59*time.Second)})
	if m.device.phase != deviceWaiting || !strings.Contains(viewText(m), "0:01 left") {
		t.Fatalf("one second before expiry: phase %v\n%s", m.device.phase, viewText(m))
	}
	m, _ = step(m, tickMsg{now: f.clock.Advance(time.Second)})
	if m.device.phase != deviceFailed || m.device.cancel != nil {
		t.Fatalf("at expiry: phase %v, polling still on %v", m.device.phase, m.device.cancel != nil)
	}
	if v := viewText(m); !strings.Contains(v, "The device code expired") {
		t.Errorf("view:\n%s", v)
	}
	// The poll's own report of the expiry, arriving late, changes nothing.
	if next, _ := step(m, deviceFailedMsg{gen: m.device.gen, err: errors.New("late")}); next.device.err.Error() == "late" {
		t.Error("a late failure replaced the expiry")
	}
}

func TestDeviceEscCancelsThePolling(t *testing.T) {
	f := newFixture(t)
	polling := make(chan context.Context, 1)
	f.sleep = func(ctx context.Context, d time.Duration) error {
		if d != 5*time.Second {
			t.Errorf("the first poll waits %v, want the interval, 5s", d)
		}
		polling <- ctx
		<-ctx.Done()
		return ctx.Err()
	}
	m, cmd := f.device(t)
	runInBackground(cmd)
	var ctx context.Context
	select {
	case ctx = <-polling:
	case <-time.After(10 * time.Second):
		t.Fatal("the polling never started")
	}
	m, cmd = step(m, press("esc"))
	if m.screen != screenForm {
		t.Fatalf("esc: screen %v, want form", m.screen)
	}
	if ctx.Err() == nil {
		t.Error("esc did not cancel the polling")
	}
	if cmd != nil && isQuit(cmd) {
		t.Error("esc quit")
	}
	if m.form.config().ClientID != testClientID {
		t.Error("the form lost its content")
	}
}

func TestDeviceCloseCancelsThePolling(t *testing.T) {
	f := newFixture(t)
	polling := make(chan context.Context, 1)
	f.sleep = func(ctx context.Context, _ time.Duration) error { polling <- ctx; <-ctx.Done(); return ctx.Err() }
	m, cmd := f.device(t)
	runInBackground(cmd)
	var ctx context.Context
	select {
	case ctx = <-polling:
	case <-time.After(10 * time.Second):
		t.Fatal("the polling never started")
	}
	m.Close()
	if ctx.Err() == nil {
		t.Error("Close left the polling running")
	}
}

func TestDeviceStartFailure(t *testing.T) {
	f := newFixture(t)
	f.coze.set(func(fc *fakeCoze) { fc.failDevice = true })
	m, cmd := f.deviceStarting(t)
	m, _ = step(m, await[deviceStartFailedMsg](t, cmd))
	v := strings.Join(strings.Fields(viewText(m)), " ")
	if m.device.phase != deviceFailed || !strings.Contains(v, "Could not get a device code") || !strings.Contains(v, "cannot use the device code grant") {
		t.Errorf("phase %v view:\n%s", m.device.phase, viewText(m))
	}
}

func TestBrowserLoginFailureOffersNoDeviceCodeToAPKCEApp(t *testing.T) {
	f := newFixture(t)
	m := f.form(t)
	m, _ = step(m, press("enter"))
	m, _ = step(m, loginStartFailedMsg{gen: m.consent.gen, err: &auth.BusyPortError{Port: "8080"}})
	if m.keys.Device.Enabled() || strings.Contains(viewText(m), "d to use a device code") {
		t.Errorf("a failed PKCE login offers d:\n%s", viewText(m))
	}
}

func TestDeviceSandboxApproveKey(t *testing.T) {
	f := newFixture(t)
	f.sleep = sleepUntilCancelled
	var mu sync.Mutex
	var approved []string
	f.deps.ApproveDevice = func(code string) error {
		mu.Lock()
		defer mu.Unlock()
		approved = append(approved, code)
		return nil
	}
	m, _ := f.device(t)
	if !m.keys.Approve.Enabled() || !strings.Contains(viewText(m), "press a") {
		t.Fatalf("sandbox device screen does not offer a:\n%s", viewText(m))
	}
	m, cmd := step(m, press("a"))
	if !m.device.approving || m.keys.Approve.Enabled() {
		t.Errorf("a: approving %v, a still on %v", m.device.approving, m.keys.Approve.Enabled())
	}
	m, _ = step(m, await[deviceApprovedMsg](t, cmd))
	if v := viewText(m); !strings.Contains(v, "Approved as the sandbox user") || m.device.approving || m.keys.Approve.Enabled() {
		t.Errorf("after a: approving %v, a still on %v\n%s", m.device.approving, m.keys.Approve.Enabled(), v)
	}
	mu.Lock()
	if len(approved) != 1 || approved[0] != "BCDF-GHJK" {
		t.Errorf("approved %q", approved)
	}
	mu.Unlock()

	// A refusal by the sandbox is a note; the login goes on waiting.
	f2 := newFixture(t)
	f2.sleep = sleepUntilCancelled
	f2.deps.ApproveDevice = func(string) error { return errors.New("this user code has already been answered") }
	m, _ = f2.device(t)
	m, cmd = step(m, press("a"))
	m, _ = step(m, await[deviceApproveFailedMsg](t, cmd))
	if v := strings.Join(strings.Fields(viewText(m)), " "); !strings.Contains(v, "already been answered") || m.device.phase != deviceWaiting || !m.keys.Approve.Enabled() {
		t.Errorf("a failed approval: phase %v a on %v\n%s", m.device.phase, m.keys.Approve.Enabled(), viewText(m))
	}
}

func TestDeviceApproveKeyOnlyInSandbox(t *testing.T) {
	f := newFixture(t)
	f.sleep = sleepUntilCancelled
	m, _ := f.device(t)
	if m.keys.Approve.Enabled() || strings.Contains(viewText(m), "press a") {
		t.Errorf("a is offered outside sandbox mode:\n%s", viewText(m))
	}
	if m, _ = step(m, press("a")); m.device.approving {
		t.Error("a outside sandbox mode started an approval")
	}
}

func TestDeviceCopyKey(t *testing.T) {
	f := newFixture(t)
	f.sleep = sleepUntilCancelled
	m, _ := f.device(t)
	m, cmd := step(m, press("c"))
	if got, _ := clipboardWrites(t, cmd); got != testVerificationURI+"?user_code=BCDF-GHJK" {
		t.Errorf("copied %q", got)
	}
	m, _ = step(m, await[urlCopiedMsg](t, cmd))
	if v := strings.Join(strings.Fields(viewText(m)), " "); !strings.Contains(v, "Sent the address to the terminal's clipboard (OSC 52)") || strings.Contains(v, "Copied") {
		t.Errorf("the note claims more or less than that the address was sent:\n%s", v)
	}
}

func TestDeviceStaleAnswersAreDropped(t *testing.T) {
	f := newFixture(t)
	f.sleep = sleepUntilCancelled
	m, _ := f.device(t)
	old := m.device.gen - 1
	for _, msg := range []tea.Msg{
		deviceStartedMsg{gen: old},
		deviceStartFailedMsg{gen: old, err: errors.New("old")},
		deviceFailedMsg{gen: old, err: errors.New("old")},
		deviceApprovedMsg{gen: old},
		deviceApproveFailedMsg{gen: old, err: errors.New("old")},
		loginFinishedMsg{gen: old},
		consentFailedMsg{gen: old, err: errors.New("old")},
	} {
		next, _ := step(m, msg)
		if next.screen != screenDevice || next.device.phase != deviceWaiting || next.device.err != nil || next.device.note.text != "" {
			t.Errorf("%T of an old attempt changed the device screen", msg)
		}
	}
}

// runInBackground runs cmd, and every command of a batch, each on its own
// goroutine, dropping what they report.
func runInBackground(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		if b, ok := cmd().(tea.BatchMsg); ok {
			for _, c := range b {
				runInBackground(c)
			}
		}
	}()
}
