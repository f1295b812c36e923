package ui

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/timefmt"
	"github.com/cozeauth/cozeauth/probe"
)

// probeModel is one run of the connectivity probe: a row per target, each
// filled in when its own result lands, and the report once all are in.
type probeModel struct {
	gen     int
	cancel  context.CancelFunc
	targets []probe.Target
	results []*probe.Result // by target index; nil until it lands
	ch      <-chan probe.Result
	proxy   string
	started time.Time
	running bool
	report  *probe.Report
	err     error
	api     string // the API base, to shorten the rows' URLs
}

func (p probeModel) busy() bool { return p.running }

// stop cancels a run in progress.
func (p *probeModel) stop() {
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
}

// startProbe begins a new probe run of the config in use.
func (m Model) startProbe() (Model, tea.Cmd) {
	m.probe.stop()
	m.gen++
	ctx, cancel := context.WithCancel(context.Background())
	m.probe = probeModel{gen: m.gen, cancel: cancel, running: true, api: m.cfg.API()}
	m.screen = screenProbe
	return m, startProbeCmd(ctx, m.d, m.gen, m.cfg)
}

// updateProbe handles the probe screen's keys and its run's results;
// results of a run the user has already left are dropped.
func (m Model) updateProbe(msg tea.Msg) (Model, tea.Cmd) {
	if a, ok := msg.(attemptMsg); ok && a.attempt() != m.probe.gen {
		return m, nil
	}
	p := &m.probe
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.keys.Rerun):
			return m.startProbe()
		case key.Matches(msg, m.keys.Continue):
			p.stop()
			p.running = false
			return m.openDashboard()
		}
	case probeStartedMsg:
		p.targets, p.started, p.proxy = msg.targets, msg.started, msg.proxy
		p.results = make([]*probe.Result, len(msg.targets))
		p.ch = msg.results
		return m, waitForProbeResultCmd(m.d, p.gen, p.ch)
	case probeStartFailedMsg:
		p.err, p.running = msg.err, false
	case probeResultMsg:
		if i := msg.result.Index; i >= 0 && i < len(p.results) {
			r := msg.result
			p.results[i] = &r
		}
		return m, waitForProbeResultCmd(m.d, p.gen, p.ch)
	case probeFinishedMsg:
		p.finish(msg.finished)
	}
	return m, nil
}

// finish makes the report of the results that landed.
func (p *probeModel) finish(at time.Time) {
	var rs []probe.Result
	for _, r := range p.results {
		if r != nil {
			rs = append(rs, *r)
		}
	}
	rep := probe.NewReport(rs, at.Sub(p.started), p.proxy)
	p.report, p.running, p.cancel = &rep, false, nil
}

const (
	phaseBarWidth = 10
	statusWidth   = 4
	classWidth    = 15
	timeWidth     = 7
)

// probeLayout is what the probe screen draws besides the rows and the
// verdict; in a small window the least useful goes first.
type probeLayout struct {
	headings bool // the groups' headings (else the group in a column)
	explain  bool // the sentence on what an HTTP answer proves
	legend   bool // the phases' legend under the table
}

// probeLayouts are tried in turn until the screen fits its room.
var probeLayouts = [...]probeLayout{
	{headings: true, explain: true, legend: true},
	{explain: true, legend: true},
	{legend: true},
	{},
}

// view draws the probe screen in room rows: the targets under their
// groups' headings when that fits, else with the group in a column of its
// own; in a window smaller still, without the explanation and the legend,
// and at last with the table cut, so that the verdict and the notes on
// targets (which name any that failed) stay on screen.
func (p probeModel) statusLine(frame) string { return "" }

func (p probeModel) view(fr frame) string {
	st, width, room, spin := fr.st, fr.width, fr.room, fr.spin
	var body string
	for _, l := range probeLayouts {
		body = p.render(st, width, spin, l)
		if lineCount(body) <= room || p.targets == nil {
			return body
		}
	}
	if p.report == nil || p.err != nil {
		return body
	}
	report := strings.Split(strings.TrimRight(reportView(st, width, p.report, false), "\n"), "\n")
	lines := strings.Split(body, "\n")
	keep := max(1, room-len(report)-1)
	if keep >= len(lines)-len(report) {
		return body
	}
	cut := append(lines[:keep:keep], st.Faint.Render(fmt.Sprintf("  … %d more rows in a taller window", len(lines)-len(report)-keep)))
	return strings.Join(append(cut, report...), "\n")
}

func (p probeModel) render(st Styles, width int, spin string, l probeLayout) string {
	var b strings.Builder
	b.WriteString(st.Title.Render("cozeauth") + st.Subtitle.Render(" · is Coze reachable from here?") + "\n\n")
	switch {
	case p.err != nil:
		b.WriteString(paint(st.Bad, wrap("✗ Could not start the probe: "+p.err.Error(), width)))
		return b.String()
	case p.targets == nil:
		b.WriteString(spin + " Preparing the probe…")
		return b.String()
	}
	b.WriteString(p.tableView(st, width, spin, l))
	if p.report == nil {
		b.WriteString(fmt.Sprintf("%s %d of %d answered so far…", spin, p.answered(), len(p.targets)))
		return b.String()
	}
	b.WriteString(reportView(st, width, p.report, l.explain))
	return strings.TrimRight(b.String(), "\n")
}

// answered counts the results that have landed.
func (p probeModel) answered() int {
	n := 0
	for _, r := range p.results {
		if r != nil {
			n++
		}
	}
	return n
}

// groupWidth is the group column's, when the headings do not fit.
const groupWidth = len("websocket")

// tableView is a row per target, filled in as its result lands, and the
// legend of the phases. The targets come in the groups `cozeauth probe`
// shows, under the same headings, or with the group's name in a column.
func (p probeModel) tableView(st Styles, width int, spin string, l probeLayout) string {
	headings := l.headings
	var b strings.Builder
	labelW := max(12, width-2-statusWidth-classWidth-timeWidth-phaseBarWidth-4)
	groupCol := func(string) string { return "" }
	if !headings && labelW-groupWidth-1 >= 12 { // in the narrowest window, neither
		labelW -= groupWidth + 1
		groupCol = func(g string) string { return pad(g, groupWidth) + " " }
	}
	// The target column is as wide as its longest label, and no wider: in a
	// wide window the columns stay together rather than spread apart.
	if longest := p.longestLabel(); longest > 0 {
		labelW = min(labelW, max(longest, len("target")))
	}
	b.WriteString(st.Faint.Render("  "+groupCol("group")+pad("target", labelW)+" "+pad("code", statusWidth)+" "+pad("class", classWidth)+pad("time", timeWidth)+" phases") + "\n")
	heading := ""
	for i, t := range p.targets {
		if h := (probe.Result{Group: t.Group, Region: t.Region}).Heading(); headings && t.Group != "" && h != heading {
			heading = h
			b.WriteString("  " + st.Subtitle.Render(ansi.Truncate(h, max(1, width-2), "…")) + "\n")
		}
		label := groupCol(string(t.Group)) + cutMiddle(p.label(t), labelW)
		labelW := labelW + len(groupCol(""))
		if r := p.results[i]; r != nil {
			b.WriteString(resultRow(st, label, labelW, r) + "\n")
		} else {
			b.WriteString(spin + " " + pad(label, labelW) + " " + st.Faint.Render("…") + "\n")
		}
	}
	if !l.legend {
		return b.String()
	}
	legend := make([]string, len(phaseNames))
	for i, n := range phaseNames {
		legend[i] = st.Phases[i].Render(phaseGlyphs[i]) + " " + n
	}
	b.WriteString(st.Faint.Render("  phases: ") + strings.Join(legend, "  ") + "\n\n")
	return b.String()
}

// label is a target's name in the table: its method and shortened URL.
func (p probeModel) label(t probe.Target) string {
	method := t.Method
	if t.Expect == probe.ExpectWebSocket {
		method = "WS"
	}
	return method + " " + p.shortURL(t.URL)
}

// cutMiddle fits a label into width columns by cutting its middle, not its
// end: /v1/workflow/run and /v1/workflows/run differ near their ends, and
// cut at the end both read "POST /v1/workflow…".
func cutMiddle(s string, width int) string {
	r := []rune(s)
	if len(r) <= width || width < 3 {
		return ansi.Truncate(s, width, "…")
	}
	head := (width - 1) / 2
	tail := width - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// longestLabel is the width of the widest target label.
func (p probeModel) longestLabel() int {
	n := 0
	for _, t := range p.targets {
		n = max(n, ansi.StringWidth(p.label(t)))
	}
	return n
}

// resultRow is one target's landed result.
func resultRow(st Styles, label string, labelW int, r *probe.Result) string {
	mark, style := st.OK.Render("✓"), st.OK
	if !r.Class.Answered() {
		mark, style = st.Bad.Render("✗"), st.Bad
	}
	code := "---"
	if r.Status != 0 {
		code = fmt.Sprint(r.Status)
	}
	return mark + " " + pad(label, labelW) + " " + pad(code, statusWidth) + " " +
		style.Render(pad(string(r.Class), classWidth)) + fmt.Sprintf("%*s", timeWidth-1, timefmt.Millis(r.Timings.Total)) + "  " +
		phaseBar(st, r.Timings, phaseBarWidth)
}

// verdictText is a report's verdict, marked and styled, and what it means,
// as the probe screen and the watch view both say it.
func verdictText(st Styles, rep *probe.Report) string {
	switch rep.Verdict {
	case probe.VerdictReachable:
		return st.OK.Render("✓ Reachable") + fmt.Sprintf(": all %d targets answered over HTTP", len(rep.Targets))
	case probe.VerdictDegraded:
		return st.Warn.Render("! Degraded") + fmt.Sprintf(": all %d targets answered, but an API or OAuth one with a 5xx: Coze or something in the path fails", len(rep.Targets))
	case probe.VerdictPartial:
		return st.Warn.Render("! Partly reachable") + fmt.Sprintf(": %d of %d targets answered", rep.Answered(), len(rep.Targets))
	}
	return st.Bad.Render("✗ Unreachable") + ": no target answered over HTTP"
}

// reportView is the verdict and a line for each target worth a word.
func reportView(st Styles, width int, rep *probe.Report, explain bool) string {
	var b strings.Builder
	via := "direct"
	if rep.Proxy != "" {
		via = "via " + rep.Proxy
	}
	verdict := verdictText(st, rep) + fmt.Sprintf(" (%s, %s).", via, timefmt.Millis(rep.Duration))
	b.WriteString(wrap(verdict, width) + "\n")
	if explain {
		b.WriteString(paint(st.Muted, wrap("Any HTTP status proves the path open; only failures below HTTP mean something blocks it.", width)) + "\n")
	}
	for _, r := range rep.Targets {
		if line := targetNote(r); line != "" {
			b.WriteString(paint(st.Muted, wrap(line, width)) + "\n")
		}
	}
	return b.String()
}

// targetNote is what the report says about one target: whom the token
// belongs to, or what failed and the hint; "" for nothing to say.
func targetNote(r probe.Result) string {
	switch {
	case r.User != "":
		return "✓ " + r.Name + ": the token works and belongs to " + r.User
	case r.Hint != "" && r.Error != "":
		return "• " + r.Name + ": " + r.Error + " — " + r.Hint
	case r.Hint != "":
		return "• " + r.Name + ": " + r.Hint
	case r.Error != "":
		return "• " + r.Name + ": " + r.Error
	}
	return ""
}

// shortURL drops the scheme, and the host when it is the API host or the
// WebSocket host derived from it (the sandbox, a gateway: the same host).
func (p probeModel) shortURL(raw string) string {
	if rest, ok := strings.CutPrefix(raw, p.api); ok && p.api != "" {
		return rest
	}
	if ws := coze.WSForAPI(p.api); ws != "" && !strings.Contains(ws, "://ws.") {
		if rest, ok := strings.CutPrefix(raw, ws); ok {
			return rest
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Host + u.EscapedPath()
}

// phaseBar draws a request's phases in proportion to its total time.
func phaseBar(st Styles, t probe.Timings, width int) string {
	wait := t.FirstByte - t.DNS - t.Connect - t.TLS
	read := t.Total - t.FirstByte
	if t.FirstByte == 0 { // no answer: everything after the handshake was waiting
		wait, read = t.Total-t.DNS-t.Connect-t.TLS, 0
	}
	parts := [5]time.Duration{t.DNS, t.Connect, t.TLS, max(wait, 0), max(read, 0)}
	var total time.Duration
	for _, d := range parts {
		total += d
	}
	if total <= 0 {
		return st.Faint.Render(strings.Repeat("·", width))
	}
	// Largest remainder, so the cells add up to width and a phase that took
	// any noticeable time gets at least its share rounded fairly.
	cells := [5]int{}
	rem := [5]float64{}
	used := 0
	for i, d := range parts {
		exact := float64(d) / float64(total) * float64(width)
		cells[i] = int(exact)
		rem[i] = exact - float64(cells[i])
		used += cells[i]
	}
	for ; used < width; used++ {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		cells[best]++
		rem[best] = -1
	}
	var b strings.Builder
	for i, n := range cells {
		if n > 0 {
			b.WriteString(st.Phases[i].Render(strings.Repeat(phaseGlyphs[i], n)))
		}
	}
	return b.String()
}

// Commands of the probe screen.

func startProbeCmd(ctx context.Context, d Deps, gen int, cfg auth.Config) tea.Cmd {
	return func() tea.Msg {
		if d.Prober == nil {
			return probeStartFailedMsg{gen: gen, err: fmt.Errorf("no prober is configured")}
		}
		token := ""
		// The users_me target needs a token; without one the other groups
		// still tell whether the path is open.
		if rec, err := d.Manager(cfg).Token(ctx); err == nil {
			token = rec.AccessToken
		}
		targets := d.Targets(cfg.API(), cfg.WWW(), token)
		started := d.Now()
		ch := d.Prober.Start(ctx, targets)
		return probeStartedMsg{gen: gen, targets: targets, results: ch, started: started, proxy: d.Prober.ProxySummary(targets)}
	}
}

// waitForProbeResultCmd waits for the next result on ch; it is issued again
// after each one, until ch is closed.
func waitForProbeResultCmd(d Deps, gen int, ch <-chan probe.Result) tea.Cmd {
	return func() tea.Msg {
		r, ok := <-ch
		if !ok {
			return probeFinishedMsg{gen: gen, finished: d.Now()}
		}
		return probeResultMsg{gen: gen, result: r}
	}
}
