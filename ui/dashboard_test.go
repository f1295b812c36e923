package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

func TestDashboardOpensForLoggedInProfile(t *testing.T) {
	f := newFixture(t)
	m := f.dashboard(t)
	v := viewText(m)
	for _, want := range []string{"Profile        default", "Test User (@tester)", "pkce", testClientID, "15:00 left", "expires 2025-01-02 03:19:05 UTC", "30 days left", "none yet"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "czu_fake_access_saved") {
		t.Errorf("the access token is not masked:\n%s", v)
	}
}

func TestDashboardCountdownTicks(t *testing.T) {
	f := newFixture(t)
	m := f.dashboard(t)
	if !m.ticking {
		t.Fatal("the dashboard's clock is not running")
	}
	m, cmd := step(m, tickMsg{now: f.clock.Advance(time.Second)})
	if !strings.Contains(viewText(m), "14:59 left") {
		t.Errorf("after a tick:\n%s", viewText(m))
	}
	if cmd == nil {
		t.Error("the tick was not re-issued")
	}
	m, _ = step(m, tickMsg{now: f.clock.Advance(20 * time.Minute)})
	if !strings.Contains(viewText(m), "expired") && !m.dash.refreshing {
		t.Errorf("past expiry shows no expiry nor refresh:\n%s", viewText(m))
	}
}

func TestDashboardRefreshKey(t *testing.T) {
	f := newFixture(t)
	m := f.dashboard(t)
	before := *m.dash.status.AccessExpiresAt
	f.clock.Advance(time.Minute)
	m, cmd := step(m, press("r"))
	if !m.dash.refreshing || m.keys.Refresh.Enabled() {
		t.Fatalf("r: refreshing %v, key still enabled %v", m.dash.refreshing, m.keys.Refresh.Enabled())
	}
	if !strings.Contains(viewText(m), "manual refresh in progress") {
		t.Errorf("view while refreshing:\n%s", viewText(m))
	}
	m, _ = step(m, await[tokenRefreshedMsg](t, cmd))
	after := *m.dash.status.AccessExpiresAt
	if !after.After(before) {
		t.Errorf("expiry %v did not move later than %v", after, before)
	}
	v := viewText(m)
	if !strings.Contains(v, "03:05:05 manual · ✓ ok") || !strings.Contains(v, "expires 2025-01-02 03:20:05 UTC") {
		t.Errorf("view after refresh:\n%s", v)
	}
	if m.dash.status.User == nil {
		t.Error("the refresh lost the user")
	}
}

func TestDashboardAutoRefreshAtMargin(t *testing.T) {
	f := newFixture(t)
	f.deps.TickEvery = time.Millisecond // the next tick's command returns at once
	m := f.dashboard(t)
	m, cmd := step(m, tickMsg{now: f.clock.Advance(9*time.Minute + 59*time.Second)})
	if m.dash.refreshing {
		t.Fatal("refreshing before the margin")
	}
	for _, msg := range drain(cmd) { // only the next tick: no refresh before the margin
		if _, ok := msg.(tickMsg); !ok {
			t.Errorf("before the margin the tick returned %T, want only the next tick", msg)
		}
	}
	m, cmd = step(m, tickMsg{now: f.clock.Advance(time.Second)})
	if !m.dash.refreshing || !m.dash.auto {
		t.Fatalf("at the margin: refreshing %v auto %v", m.dash.refreshing, m.dash.auto)
	}
	if !strings.Contains(viewText(m), "Refreshing automatically") {
		t.Errorf("the automatic refresh is not shown:\n%s", viewText(m))
	}
	m, _ = step(m, await[tokenRefreshedMsg](t, cmd))
	if v := viewText(m); !strings.Contains(v, "03:14:05 automatic · ✓ ok") || !strings.Contains(v, "15:00 left") {
		t.Errorf("after the automatic refresh:\n%s", v)
	}
}

func TestDashboardRefreshFailureStays(t *testing.T) {
	f := newFixture(t)
	f.coze.set(func(fc *fakeCoze) { fc.refreshCode = 500 })
	m := f.dashboard(t)
	m, cmd := step(m, press("r"))
	m, _ = step(m, await[refreshFailedMsg](t, cmd))
	if m.screen != screenDashboard || m.dash.refreshing {
		t.Fatalf("screen %v refreshing %v", m.screen, m.dash.refreshing)
	}
	v := strings.Join(strings.Fields(viewText(m)), " ")
	for _, want := range []string{"manual · ✗ failed", "HTTP 500", "try again later", "15:00 left"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, viewText(m))
		}
	}
	if !m.keys.Refresh.Enabled() {
		t.Error("r is disabled after a failure")
	}
}

func TestDashboardAutoRefreshBacksOff(t *testing.T) {
	f := newFixture(t)
	f.coze.set(func(fc *fakeCoze) { fc.refreshCode = 500 })
	m := f.dashboard(t)
	m, cmd := step(m, tickMsg{now: f.clock.Advance(10 * time.Minute)})
	m, _ = step(m, await[refreshFailedMsg](t, cmd))
	v := strings.Join(strings.Fields(viewText(m)), " ")
	if !strings.Contains(v, "could not refresh") || !strings.Contains(v, "retrying in 30s") || !strings.Contains(v, "automatic · ✗ failed") {
		t.Errorf("view after a failed automatic refresh:\n%s", viewText(m))
	}
	if m, _ = step(m, tickMsg{now: f.clock.Advance(time.Second)}); m.dash.refreshing {
		t.Error("the automatic refresh retried a second after failing")
	}
	if m, _ = step(m, tickMsg{now: f.clock.Advance(autoRetryAfter)}); !m.dash.refreshing {
		t.Error("the automatic refresh did not retry after the back-off")
	}
}

func TestDashboardLoginRequired(t *testing.T) {
	f := newFixture(t)
	m := f.dashboard(t)
	m, _ = step(m, refreshFailedMsg{err: &auth.LoginRequiredError{Profile: "default", Reason: "coze refused the refresh token"}, at: f.clock.Now()})
	if !m.dash.loginNeeded || !strings.Contains(viewText(m), "press l to log in again") {
		t.Errorf("loginNeeded %v view:\n%s", m.dash.loginNeeded, viewText(m))
	}
	if m, _ = step(m, tickMsg{now: f.clock.Advance(11 * time.Minute)}); m.dash.refreshing {
		t.Error("an automatic refresh started although a login is needed")
	}
}

func TestDashboardUserLookup(t *testing.T) {
	f := newFixture(t)
	f.loggedIn(t)
	rec, _ := f.store.Load("default")
	rec.User = nil
	l, _ := f.store.Lock(t.Context())
	l.Save("default", rec)
	l.Unlock()
	m := New(f.deps)
	m, cmd := step(m, await[profileLoadedMsg](t, m.Init()))
	if !m.dash.userLoading || !strings.Contains(viewText(m), "asking /v1/users/me") {
		t.Fatalf("no lookup of an unknown user:\n%s", viewText(m))
	}
	m, _ = step(m, await[userLoadedMsg](t, cmd))
	if !strings.Contains(viewText(m), "Test User (@tester)") {
		t.Errorf("view:\n%s", viewText(m))
	}
	m, _ = step(m, userLookupFailedMsg{err: errors.New("no network")})
	if m.dash.userLoading {
		t.Error("still loading after a failure")
	}
}

func TestDashboardKeys(t *testing.T) {
	f := newFixture(t)
	m := f.dashboard(t)
	if _, cmd := step(m, press("q")); !isQuit(cmd) {
		t.Error("q did not quit")
	}
	if next, _ := step(m, press("p")); next.screen != screenProbe {
		t.Errorf("p: screen %v", next.screen)
	}
	next, cmd := step(m, press("l"))
	if next.screen != screenConsent {
		t.Fatalf("l: screen %v", next.screen)
	}
	started := await[loginStartedMsg](t, cmd)
	started.flow.Close()
	if next, _ = step(m, press("?")); !next.help.ShowAll || !strings.Contains(viewText(next), "log in again") {
		t.Errorf("? did not show the full help:\n%s", viewText(next))
	}
	if next, _ = step(next, press("?")); next.help.ShowAll {
		t.Error("? did not close the full help")
	}
}

func TestDashboardRefreshTokenRunningOut(t *testing.T) {
	f := newFixture(t)
	m := f.dashboard(t)
	m, _ = step(m, tickMsg{now: f.clock.Advance(auth.RefreshTokenLifetime - 5*time.Hour)})
	if !strings.Contains(viewText(m), "5h left") {
		t.Errorf("view:\n%s", viewText(m))
	}
}

// BenchmarkDashboardTick is the work of one idle second on the dashboard:
// the clock message and the redraw it causes.
func BenchmarkDashboardTick(b *testing.B) {
	f := newFixture(b)
	f.loggedIn(b)
	m := New(f.deps)
	m, _ = step(m, await[profileLoadedMsg](b, m.Init()))
	b.ReportAllocs()
	for b.Loop() {
		m, _ = step(m, tickMsg{now: f.clock.Advance(time.Second)})
		_ = m.View()
		if m.dash.refreshing { // keep the countdown away from the margin
			b.StopTimer()
			m.dash.refreshing = false
			f.clock.Advance(-10 * time.Minute)
			b.StartTimer()
		}
	}
}

// drain runs cmd, and every command of a batch, one after the other, and
// returns their messages. Only for commands that return promptly.
func drain(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, drain(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

// A JWT app minting 3-minute tokens renews them a minute before expiry
// (auth clamps the 5-minute default to a third of the life): the dashboard
// shows that time and refreshes then, not at once and forever "retrying".
func TestDashboardUsesAuthsClampedMargin(t *testing.T) {
	f := newFixture(t)
	f.deps.TickEvery = time.Millisecond
	f.deps.Initial.Settings.AppType = auth.AppJWT
	f.deps.Initial.JWT = &auth.JWTSettings{PublicKeyID: "kid-1", PrivateKeyFile: writeTestKey(t)}
	f.coze.set(func(fc *fakeCoze) { fc.ttl = 3 * time.Minute })
	l, err := f.store.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = l.Save("default", &auth.Record{
		Token: auth.Token{AccessToken: "czu_fake_access_saved", Expiry: t0.Add(3 * time.Minute), IssuedAt: t0},
		User:  &coze.User{UserID: "1", UserName: "tester", NickName: "Test User"},
	})
	l.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	m := New(f.deps)
	m, _ = step(m, await[profileLoadedMsg](t, m.Init()))
	if v := viewText(m); !strings.Contains(v, "next token minted 03:06:05 (1m before expiry)") {
		t.Errorf("the next mint is not auth's:\n%s", v)
	}
	m, _ = step(m, tickMsg{now: f.clock.Advance(time.Minute)})
	if m.dash.refreshing {
		t.Fatal("refreshing two minutes before expiry; auth renews one minute before")
	}
	m, cmd := step(m, tickMsg{now: f.clock.Advance(time.Minute)})
	if !m.dash.refreshing || !m.dash.auto {
		t.Fatalf("at auth's margin: refreshing %v auto %v", m.dash.refreshing, m.dash.auto)
	}
	if v := viewText(m); !strings.Contains(v, "expires within 1m") {
		t.Errorf("the automatic refresh names another margin:\n%s", v)
	}
	m, _ = step(m, await[tokenRefreshedMsg](t, cmd))
	if v := viewText(m); !strings.Contains(v, "03:06:05 automatic · ✓ ok") || !strings.Contains(v, "next token minted 03:08:05") {
		t.Errorf("after the automatic refresh:\n%s", v)
	}
}

// Once Coze refuses the refresh token on the dashboard, the dashboard shows
// the refusal the store now remembers, not the dead token's "30 days left".
func TestDashboardRefusedShowsNoRefreshLife(t *testing.T) {
	f := newFixture(t)
	m := f.dashboard(t)
	if !strings.Contains(viewText(m), "30 days left") {
		t.Fatalf("a fresh login shows no refresh life:\n%s", viewText(m))
	}
	f.coze.set(func(fc *fakeCoze) { fc.refreshCode = 400 })
	m, cmd := step(m, press("r"))
	m, _ = step(m, await[refreshFailedMsg](t, cmd))
	v := viewText(m)
	if strings.Contains(v, "days left") || !strings.Contains(v, "refused: ") || m.Outcome().Status != nil {
		t.Errorf("after a refusal (outcome %v):\n%s", m.Outcome().Status, v)
	}
}
