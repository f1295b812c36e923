package ui

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/timefmt"
)

// autoRetryAfter is how long the dashboard waits before trying an automatic
// refresh again after one failed.
const autoRetryAfter = 30 * time.Second

// refreshOutcome is how the last refresh went.
type refreshOutcome struct {
	at   time.Time
	auto bool
	err  error
}

// dashModel is the dashboard: the profile's token and its life.
type dashModel struct {
	status      *auth.Status
	refreshing  bool
	auto        bool // the refresh in progress is the automatic one
	last        *refreshOutcome
	nextAuto    time.Time // no automatic refresh before this
	loginNeeded bool
	userLoading bool
	userErr     error
	lastLogin   time.Time
	note        statusNote // the status line above the help
}

func newDash(st *auth.Status) dashModel { return dashModel{status: st} }

// works reports whether the dashboard's login still works at now: its
// status says logged in (see [auth.Status.LoggedInAt]) and no renewal since
// said a login is needed.
func (d dashModel) works(now time.Time) bool {
	return !d.loginNeeded && d.status.LoggedInAt(now)
}

func (d dashModel) busy() bool { return d.refreshing || d.userLoading }

// openDashboard shows the dashboard for m.dash's status, looking the user
// up when the store does not know who the token is for.
func (m Model) openDashboard() (Model, tea.Cmd) {
	m.screen = screenDashboard
	if m.dash.status == nil {
		m.screen = screenLoading
		return m, loadProfileCmd(m.d, m.cfg)
	}
	var cmds []tea.Cmd
	if m.dash.status.User == nil && m.dash.userErr == nil && !m.dash.userLoading {
		m.dash.userLoading = true
		cmds = append(cmds, userLookupCmd(m.d, m.cfg))
	}
	cmds = append(cmds, m.dashTick())
	return m, tea.Batch(cmds...)
}

// dashTick starts the automatic refresh once the token is within the
// refresh margin of its expiry.
func (m *Model) dashTick() tea.Cmd {
	d := &m.dash
	st := d.status
	if st == nil || st.AccessExpiresAt == nil || d.refreshing || d.loginNeeded || m.now.Before(d.nextAuto) {
		return nil
	}
	if st.AccessExpiresAt.Sub(m.now) > st.RenewMargin {
		return nil
	}
	d.refreshing, d.auto = true, true
	d.note = okNote(fmt.Sprintf("Refreshing automatically: the access token expires within %s…", timefmt.Compact(st.RenewMargin)))
	return refreshCmd(m.d, m.cfg, true)
}

func (m Model) updateDashboard(msg tea.Msg) (Model, tea.Cmd) {
	d := &m.dash
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.keys.Refresh):
			d.refreshing, d.auto = true, false
			d.note = okNote("Refreshing…")
			return m, refreshCmd(m.d, m.cfg, false)
		case key.Matches(msg, m.keys.Probe):
			return m.startProbe()
		case key.Matches(msg, m.keys.Login):
			m.relogin = true
			return m.startLogin(m.cfg)
		}
	case tokenRefreshedMsg:
		d.refreshing = false
		user := d.status.User
		d.status = msg.status
		if d.status.User == nil {
			d.status.User = user
		}
		d.last = &refreshOutcome{at: msg.at, auto: msg.auto}
		d.loginNeeded = false
		d.note = statusNote{}
		m.now = msg.at
	case refreshFailedMsg:
		d.refreshing = false
		d.last = &refreshOutcome{at: msg.at, auto: msg.auto, err: msg.err}
		d.nextAuto = msg.at.Add(autoRetryAfter)
		d.note = badNote("✗ " + msg.err.Error())
		if msg.status != nil { // what the failure left in the store: refused, say
			msg.status.User = cmp.Or(msg.status.User, d.status.User)
			d.status = msg.status
		}
		if auth.IsLoginRequired(msg.err) {
			d.loginNeeded = true
			d.note = badNote("✗ " + msg.err.Error() + " — or press l to log in again here")
		}
	case userLoadedMsg:
		d.userLoading = false
		if d.status != nil {
			d.status.User = msg.user
		}
	case userLookupFailedMsg:
		d.userLoading, d.userErr = false, msg.err
	}
	return m, nil
}

const dashLabel = 15

func (d dashModel) statusLine(fr frame) string { return d.note.render(fr.st, fr.st.Muted, fr.width) }

func (d dashModel) view(fr frame) string {
	st, width, now, spin, sandbox := fr.st, fr.width, fr.now, fr.spin, fr.d.SandboxBase
	var b strings.Builder
	title := st.Title.Render("cozeauth") + st.Subtitle.Render(" · token dashboard")
	if sandbox != "" {
		title += st.Warn.Render("  [sandbox]")
	}
	b.WriteString(title + "\n\n")
	s := d.status
	row := func(label, value string) {
		b.WriteString(st.Label.Render(pad(label, dashLabel)) + indentLines(value, strings.Repeat(" ", dashLabel))[dashLabel:] + "\n")
	}
	row("Profile", st.Value.Render(coze.Sanitize(s.Profile)))
	row("Region", st.Value.Render(string(s.Region))+st.Muted.Render(" · "+s.APIBase))
	row("User", d.userValue(st, spin, max(10, width-dashLabel)))
	row("App", st.Value.Render(string(s.AppType))+st.Muted.Render(" · "+s.ClientID))
	if !s.LoggedIn {
		row("Login", paint(st.Bad, wrap(string(s.State)+": "+s.Problem, max(10, width-dashLabel))))
	}
	b.WriteString("\n")

	loc := now.Location()
	row("Access token", st.Value.Render(s.AccessToken))
	if exp := s.AccessExpiresAt; exp != nil {
		row("", accessCountdown(st, width, now, *exp, s.IssuedAt))
		row("", st.Muted.Render("expires "+exp.In(loc).Format("2006-01-02 15:04:05 MST")))
		if next := s.NextMintAt; next != nil {
			row("", st.Faint.Render(fmt.Sprintf("next token minted %s (%s before expiry)", next.In(loc).Format("15:04:05"), timefmt.Compact(s.RenewMargin))))
		} else {
			row("", st.Faint.Render(fmt.Sprintf("refreshed automatically %s before expiry", timefmt.Compact(s.RenewMargin))))
		}
	}
	if s.Renewal != "" {
		row("Renewal", st.Muted.Render(s.Renewal))
	}
	if rexp := s.RefreshExpiresAt; rexp != nil {
		row("Refresh token", refreshLeft(st, rexp.Sub(now))+st.Muted.Render(" · until "+rexp.In(loc).Format("2006-01-02")))
	}
	row("Last refresh", d.lastRefreshValue(st, spin, loc))
	return strings.TrimRight(b.String(), "\n")
}

// userValue is whom the token belongs to, or how finding out goes.
func (d dashModel) userValue(st Styles, spin string, width int) string {
	switch {
	case d.status.User != nil:
		return st.Value.Render(d.status.User.Display())
	case d.userLoading:
		return spin + st.Muted.Render(" asking /v1/users/me…")
	case d.userErr != nil:
		return paint(st.Warn, wrap("unknown: "+d.userErr.Error(), width))
	}
	return st.Muted.Render("unknown")
}

// accessCountdown is the access token's time left and a bar of its life.
func accessCountdown(st Styles, width int, now, exp time.Time, issued *time.Time) string {
	left := exp.Sub(now)
	life := 15 * time.Minute
	if issued != nil && exp.After(*issued) {
		life = exp.Sub(*issued)
	}
	count := st.Value.Render(clock(left) + " left")
	if left <= 0 {
		count = st.Bad.Render("expired " + clock(-left) + " ago")
	}
	barW := max(10, min(30, width-dashLabel-len(" 00:00 left  ")))
	return count + "  " + st.bar(barW, float64(left)/float64(life))
}

// refreshLeft is the refresh token's time left: days while there are some.
func refreshLeft(st Styles, left time.Duration) string {
	switch {
	case left >= 48*time.Hour:
		return st.Value.Render(fmt.Sprintf("%d days left", timefmt.DaysLeft(left))) // a fresh one has 30, not 29
	case left > 0:
		return st.Value.Render(fmt.Sprintf("%s left", timefmt.Compact(left.Round(time.Minute))))
	}
	return st.Value.Render(st.Bad.Render("expired: log in again (l)"))
}

// lastRefreshValue is the refresh under way, or how the last one went.
func (d dashModel) lastRefreshValue(st Styles, spin string, loc *time.Location) string {
	kind := func(auto bool) string {
		if auto {
			return "automatic"
		}
		return "manual"
	}
	switch {
	case d.refreshing:
		return spin + " " + kind(d.auto) + " refresh in progress…"
	case d.last == nil:
		v := "none yet"
		if d.status.IssuedAt != nil {
			v += " · token issued " + d.status.IssuedAt.In(loc).Format("15:04:05")
		}
		return st.Muted.Render(v)
	}
	v := d.last.at.In(loc).Format("15:04:05") + " " + kind(d.last.auto) + " · "
	if d.last.err != nil {
		return v + st.Bad.Render("✗ failed")
	}
	return v + st.OK.Render("✓ ok")
}

// Commands of the dashboard.

// loadProfileCmd reads the profile's saved state; it makes no network call.
func loadProfileCmd(d Deps, cfg auth.Config) tea.Cmd {
	return func() tea.Msg {
		st, err := d.Manager(cfg).Status()
		if err != nil {
			return profileLoadFailedMsg{err: err, now: d.Now()}
		}
		return profileLoadedMsg{status: st, now: d.Now()}
	}
}

// refreshCmd refreshes now (manual) or only when within the margin (auto,
// which also picks up a refresh another process made meanwhile). When Coze
// cannot be reached, the manager hands out the current token with a warning
// instead of failing; for the dashboard that is a failed refresh, and the
// warning says why.
func refreshCmd(d Deps, cfg auth.Config, auto bool) tea.Cmd {
	return func() tea.Msg {
		mgr := d.Manager(cfg)
		var warned []string
		st := *mgr.Store
		st.Warn = func(w string) { warned = append(warned, strings.TrimPrefix(w, "warning: ")) }
		mgr.Store = &st
		ctx, cancel := context.WithTimeout(context.Background(), exchangeTimeout)
		defer cancel()
		var (
			rec *auth.Record
			err error
		)
		if auto {
			rec, err = mgr.Token(ctx)
		} else {
			rec, err = mgr.Refresh(ctx)
		}
		at := d.Now()
		if err == nil && auto && !rec.ValidForMargin(at, mgr.Config.RenewMargin(rec)) {
			why := "could not refresh"
			if len(warned) > 0 {
				why = warned[len(warned)-1]
			}
			err = fmt.Errorf("%s; retrying in %s", why, autoRetryAfter)
		}
		if err != nil {
			st, _ := mgr.Status() // nil: the dashboard keeps what it showed
			return refreshFailedMsg{err: err, auto: auto, at: at, status: st}
		}
		status, err := mgr.Status()
		if err != nil {
			return refreshFailedMsg{err: err, auto: auto, at: at}
		}
		return tokenRefreshedMsg{status: status, auto: auto, at: at}
	}
}

// userLookupCmd asks Coze whom the token belongs to.
func userLookupCmd(d Deps, cfg auth.Config) tea.Cmd {
	return func() tea.Msg {
		mgr := d.Manager(cfg)
		ctx, cancel := context.WithTimeout(context.Background(), exchangeTimeout)
		defer cancel()
		rec, err := mgr.Token(ctx)
		if err != nil {
			return userLookupFailedMsg{err: err}
		}
		u, err := mgr.Client("").Me(ctx, rec.AccessToken)
		if err != nil {
			return userLookupFailedMsg{err: err}
		}
		return userLoadedMsg{user: u}
	}
}

// tickCmd is the countdowns' clock: one message a period, reading the
// injected clock.
func tickCmd(d Deps) tea.Cmd {
	return tea.Tick(d.TickEvery, func(time.Time) tea.Msg { return tickMsg{now: d.Now()} })
}
