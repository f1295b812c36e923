package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cozeauth/cozeauth/internal/timefmt"
	"github.com/cozeauth/cozeauth/probe"
)

// WatchDeps is what `cozeauth probe --watch` gives its live view.
type WatchDeps struct {
	// Prober runs each round; Targets are what it probes.
	Prober  Prober
	Targets []probe.Target
	// Interval is the time from the end of one round to the start of the next.
	Interval time.Duration
	// Where names what is probed, for the title ("coze.com and coze.cn").
	Where string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// After schedules the next round (nil: tea.Tick). Tests pass one that
	// never fires and send the tick themselves.
	After func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd
}

// sparkLen is how many rounds a target's sparkline remembers.
const sparkLen = 20

// sparkGlyphs draw a latency relative to the row's slowest.
var sparkGlyphs = []rune("▁▂▃▄▅▆▇█")

// watchRow is what the view keeps of one target over the rounds.
type watchRow struct {
	target   probe.Target
	last     *probe.Result
	latency  []time.Duration // one per round, the newest last; -1 for a failure
	failures int
	rounds   int
	changed  time.Time // when the class last changed (the first round counts)
}

// WatchModel is the live view of `cozeauth probe --watch`: a round every
// interval, each target with a latency sparkline, its failure count and the
// time its class last changed; q quits.
type WatchModel struct {
	d      WatchDeps
	st     Styles
	rows   []watchRow
	round  int
	busy   bool
	last   *probe.Report
	lastAt time.Time
	ctx    context.Context
	cancel context.CancelFunc
	width  int
	height int
	quit   key.Binding
	// interrupted says the user left with Ctrl+C rather than q.
	interrupted bool
}

// NewWatch returns the view for d, ready to start its first round.
func NewWatch(d WatchDeps) WatchModel {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.After == nil {
		d.After = tea.Tick
	}
	rows := make([]watchRow, len(d.Targets))
	for i, t := range d.Targets {
		rows[i].target = t
	}
	ctx, cancel := context.WithCancel(context.Background())
	return WatchModel{d: d, st: NewStyles(true), rows: rows, ctx: ctx, cancel: cancel, width: 80, height: 24,
		quit: key.NewBinding(key.WithKeys("q", "esc", "ctrl+c"), key.WithHelp("q", "quit"))}
}

// Messages of the watch view.
type (
	watchRoundMsg struct {
		report probe.Report
		at     time.Time
	}
	watchTickMsg struct{}
)

// Init starts the first round and asks the terminal for its background.
func (m WatchModel) Init() tea.Cmd {
	return tea.Batch(m.roundCmd(), tea.RequestBackgroundColor)
}

// roundCmd runs one round of the probe and reports it whole.
func (m WatchModel) roundCmd() tea.Cmd {
	d, ctx := m.d, m.ctx
	return func() tea.Msg {
		started := d.Now()
		var rs []probe.Result
		for r := range d.Prober.Start(ctx, d.Targets) {
			rs = append(rs, r)
		}
		at := d.Now()
		return watchRoundMsg{report: probe.NewReport(rs, at.Sub(started), d.Prober.ProxySummary(d.Targets)), at: at}
	}
}

// Update takes the rounds as they finish and schedules the next.
func (m WatchModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.BackgroundColorMsg:
		m.st = NewStyles(msg.IsDark())
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyPressMsg:
		if key.Matches(msg, m.quit) {
			m.interrupted = msg.String() == "ctrl+c"
			m.cancel()
			return m, tea.Quit
		}
	case watchRoundMsg:
		if m.ctx.Err() != nil {
			return m, nil // a round cut short by quitting says nothing
		}
		m.record(msg)
		return m, m.d.After(m.d.Interval, func(time.Time) tea.Msg { return watchTickMsg{} })
	case watchTickMsg:
		m.busy = true
		return m, m.roundCmd()
	}
	return m, nil
}

// record adds a finished round to the rows.
func (m *WatchModel) record(msg watchRoundMsg) {
	m.round++
	m.busy = false
	m.last, m.lastAt = &msg.report, msg.at
	for _, r := range msg.report.Targets {
		if r.Index < 0 || r.Index >= len(m.rows) {
			continue
		}
		row := &m.rows[r.Index]
		if row.last == nil || row.last.Class != r.Class {
			row.changed = msg.at
		}
		res := r
		row.last = &res
		row.rounds++
		lat := r.Timings.Total
		if !r.Class.Answered() {
			row.failures++
			lat = -1
		}
		row.latency = append(row.latency, lat)
		if len(row.latency) > sparkLen {
			row.latency = row.latency[len(row.latency)-sparkLen:]
		}
	}
}

// Reachable reports whether the last round found the way open; false
// before the first round ends.
func (m WatchModel) Reachable() bool { return m.last != nil && m.last.Reachable() }

// Rounds is how many rounds have finished.
func (m WatchModel) Rounds() int { return m.round }

// Interrupted says the view was left with Ctrl+C: the command exits 130
// like any interrupted one, whatever the last round found.
func (m WatchModel) Interrupted() bool { return m.interrupted }

// Close stops a round in progress.
func (m WatchModel) Close() { m.cancel() }

// View draws the rows under their groups' headings.
func (m WatchModel) View() tea.View {
	v := tea.NewView(m.content())
	v.AltScreen = true
	return v
}

const (
	watchClassW  = len("connect_timeout")
	watchTimeW   = 7
	watchFailW   = len("fails")
	watchChangeW = len("changed")
)

// content is the view in the window: with the groups' headings when they
// fit, else without; in a window smaller still the rows are cut, never the
// verdict under them.
func (m WatchModel) content() string {
	lines := m.lines(true)
	if m.height > 0 && len(lines) > m.height {
		lines = m.lines(false)
	}
	if m.height > 0 && len(lines) > m.height {
		tail := lines[len(lines)-3:] // a blank line, the verdict, the help
		lines = append(lines[:max(0, m.height-len(tail))], tail...)
		lines = lines[max(0, len(lines)-m.height):]
	}
	return strings.Join(lines, "\n")
}

// lines are the view's lines, cut to the window's width.
func (m WatchModel) lines(headings bool) []string {
	var b strings.Builder
	every := ""
	if m.d.Interval > 0 {
		every = fmt.Sprintf(" every %s", m.d.Interval)
	}
	b.WriteString(m.st.Title.Render("cozeauth") + m.st.Subtitle.Render(" · watching "+m.d.Where+every) + "\n")
	b.WriteString(m.statusLine() + "\n\n")
	nameW := len("target")
	for _, r := range m.rows {
		nameW = max(nameW, len(r.target.Name))
	}
	sparkW := max(4, min(sparkLen, m.width-2-nameW-watchClassW-watchTimeW-watchFailW-watchChangeW-6))
	b.WriteString(m.st.Faint.Render("  "+pad("target", nameW)+" "+pad("class", watchClassW)+" "+padLeft("last", watchTimeW)+" "+
		pad("latency", sparkW)+" "+pad("fails", watchFailW)+" changed") + "\n")
	heading := ""
	for _, r := range m.rows {
		if h := (probe.Result{Group: r.target.Group, Region: r.target.Region}).Heading(); headings && r.target.Group != "" && h != heading {
			heading = h
			b.WriteString("  " + m.st.Subtitle.Render(h) + "\n")
		}
		b.WriteString(m.rowView(r, nameW, sparkW) + "\n")
	}
	b.WriteString("\n" + m.verdictLine() + "\n")
	b.WriteString(m.st.Faint.Render("q quit"))
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, m.width, "…")
	}
	return lines
}

// statusLine says which round is showing and when it ended.
func (m WatchModel) statusLine() string {
	switch {
	case m.round == 0:
		return m.st.Muted.Render("first round under way…")
	case m.busy:
		return m.st.Muted.Render(fmt.Sprintf("round %d under way; round %d ended %s", m.round+1, m.round, m.lastAt.Format("15:04:05")))
	}
	return m.st.Muted.Render(fmt.Sprintf("round %d ended %s", m.round, m.lastAt.Format("15:04:05")))
}

// rowView is one target: its last class and time, the sparkline of its
// latency (✗ for a failed round), the failures and when the class changed.
func (m WatchModel) rowView(r watchRow, nameW, sparkW int) string {
	mark, style, class, last, changed := " ", m.st.Faint, "…", "", ""
	if r.last != nil {
		mark, style = m.st.OK.Render("✓"), m.st.OK
		if !r.last.Class.Answered() {
			mark, style = m.st.Bad.Render("✗"), m.st.Bad
		}
		class = string(r.last.Class)
		if r.last.Class.Answered() {
			last = timefmt.Millis(r.last.Timings.Total)
		}
		changed = r.changed.Format("15:04:05")
	}
	fails := fmt.Sprintf("%d/%d", r.failures, r.rounds)
	failStyle := m.st.Faint
	if r.failures > 0 {
		failStyle = m.st.Bad
	}
	return mark + " " + pad(r.target.Name, nameW) + " " + style.Render(pad(class, watchClassW)) + " " + padLeft(last, watchTimeW) + " " +
		m.sparkline(r.latency, sparkW) + " " + failStyle.Render(pad(fails, watchFailW)) + " " + m.st.Muted.Render(changed)
}

// sparkline draws the latest width latencies, scaled to the slowest.
func (m WatchModel) sparkline(lat []time.Duration, width int) string {
	if len(lat) > width {
		lat = lat[len(lat)-width:]
	}
	var slowest time.Duration
	for _, d := range lat {
		slowest = max(slowest, d)
	}
	var b strings.Builder
	for _, d := range lat {
		if d < 0 {
			b.WriteString(m.st.Bad.Render("✗"))
			continue
		}
		i := 0
		if slowest > 0 {
			i = int(float64(d) / float64(slowest) * float64(len(sparkGlyphs)-1))
		}
		b.WriteString(m.st.Accent.Render(string(sparkGlyphs[i])))
	}
	return b.String() + strings.Repeat(" ", width-len(lat))
}

// verdictLine is the last round's verdict, with the advice over regions.
func (m WatchModel) verdictLine() string {
	rep := m.last
	switch {
	case rep == nil:
		return m.st.Muted.Render("waiting for the first round…")
	case rep.Recommendation != "":
		mark := m.st.OK.Render("✓")
		if !rep.Reachable() {
			mark = m.st.Bad.Render("✗")
		}
		return mark + " " + rep.Recommendation
	}
	return verdictText(m.st, rep) + "."
}

// Summary is what stays on the screen when the view quits: how many
// rounds ran and when the last ended, its verdict, and the targets that
// failed in any round with how often. "" before the first round ended.
func (m WatchModel) Summary() string {
	if m.round == 0 {
		return ""
	}
	var b strings.Builder
	rounds := "1 round"
	if m.round > 1 {
		rounds = fmt.Sprintf("%d rounds", m.round)
	}
	fmt.Fprintf(&b, "Watched %s: %s, the last ended %s.\n", m.d.Where, rounds, m.lastAt.Format("15:04:05"))
	b.WriteString(m.verdictLine() + "\n")
	var failed []string
	for _, r := range m.rows {
		if r.failures > 0 {
			failed = append(failed, fmt.Sprintf("%s %d/%d (last: %s)", r.target.Name, r.failures, r.rounds, r.last.Class))
		}
	}
	if len(failed) > 0 {
		b.WriteString("Failed in some rounds: " + strings.Join(failed, ", ") + ".\n")
	}
	return b.String()
}

// padLeft right-aligns s in width columns.
func padLeft(s string, width int) string {
	if n := ansi.StringWidth(s); n < width {
		return strings.Repeat(" ", width-n) + s
	}
	return s
}

// RunWatch shows the watch view until the user quits or ctx ends, and
// returns its final state.
func RunWatch(ctx context.Context, d WatchDeps, opts ...tea.ProgramOption) (WatchModel, error) {
	return runProgram(ctx, NewWatch(d), opts)
}
