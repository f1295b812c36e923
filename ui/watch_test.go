package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/probe"
)

// roundsProber answers round n with rounds[n] (the last one again once
// they run out): per target name, a latency, or a failure when negative.
type roundsProber struct {
	mu     sync.Mutex
	rounds []map[string]time.Duration
	n      int
}

func (p *roundsProber) Start(_ context.Context, targets []probe.Target) <-chan probe.Result {
	p.mu.Lock()
	round := p.rounds[min(p.n, len(p.rounds)-1)]
	p.n++
	p.mu.Unlock()
	ch := make(chan probe.Result, len(targets))
	for i, t := range targets {
		r := probe.Result{Index: i, Name: t.Name, Group: t.Group, Label: t.Label, Method: t.Method, URL: t.URL}
		if d := round[t.Name]; d < 0 {
			r.Class, r.Error = probe.ClassReset, "connection reset by peer"
			r.Timings.Total = -d
		} else {
			r.Status, r.Class = 401, probe.ClassAuthRequired
			r.Timings = probe.Timings{FirstByte: d, Total: d}
		}
		ch <- r
	}
	close(ch)
	return ch
}

func (p *roundsProber) ProxySummary([]probe.Target) string { return "" }

// watchTargets are a few targets of two groups.
func watchTargets() []probe.Target {
	all := probe.TargetsFor(probe.Bases{API: "https://api.coze.com", WWW: "https://www.coze.com"}, "", probe.SetCurrent)
	return []probe.Target{all[0], all[1], all[4]} // v3_chat, workflow_run, ws_chat
}

// watchRounds: v3_chat steady, workflow_run slowing, ws_chat reset in round 3.
var watchRounds = []map[string]time.Duration{
	{"v3_chat": 100 * time.Millisecond, "workflow_run": 50 * time.Millisecond, "ws_chat": 80 * time.Millisecond},
	{"v3_chat": 100 * time.Millisecond, "workflow_run": 100 * time.Millisecond, "ws_chat": 80 * time.Millisecond},
	{"v3_chat": 100 * time.Millisecond, "workflow_run": 200 * time.Millisecond, "ws_chat": -3 * time.Millisecond},
}

// manualClock moves a second per reading, from 12:00:00.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func newWatchDeps() WatchDeps {
	clock := &manualClock{t: time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)}
	return WatchDeps{
		Prober:   &roundsProber{rounds: watchRounds},
		Targets:  watchTargets(),
		Interval: 5 * time.Second,
		Where:    "coze.com",
		Now:      clock.Now,
		// The next round starts when the test says so.
		After: func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil },
	}
}

// runRounds drives the model through n rounds by calling Update directly.
func runRounds(t *testing.T, m WatchModel, n int) WatchModel {
	t.Helper()
	msg := m.roundCmd()()
	for i := 0; i < n; i++ {
		next, _ := m.Update(msg)
		m = next.(WatchModel)
		if i < n-1 {
			next, cmd := m.Update(watchTickMsg{})
			m = next.(WatchModel)
			msg = cmd()
		}
	}
	return m
}

func TestWatchRecordsRounds(t *testing.T) {
	m := runRounds(t, NewWatch(newWatchDeps()), 3)
	if m.Rounds() != 3 {
		t.Fatalf("rounds %d, want 3", m.Rounds())
	}
	type row struct {
		Name     string
		Failures int
		Latency  []time.Duration
		Changed  string
	}
	var got []row
	for _, r := range m.rows {
		got = append(got, row{r.target.Name, r.failures, r.latency, r.changed.Format("15:04:05")})
	}
	ms := time.Millisecond
	// Each round reads the clock twice (start, end): rounds end at :02, :04, :06.
	want := []row{
		{"v3_chat", 0, []time.Duration{100 * ms, 100 * ms, 100 * ms}, "12:00:02"},
		{"workflow_run", 0, []time.Duration{50 * ms, 100 * ms, 200 * ms}, "12:00:02"},
		{"ws_chat", 1, []time.Duration{80 * ms, 80 * ms, -1}, "12:00:06"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if m.Reachable() {
		t.Error("Reachable after a round with a reset")
	}
	v := ansi.Strip(m.content())
	for _, w := range []string{"round 3 ended 12:00:06", "███", "▂▄█", "██✗", "1/3", "! Partly reachable: 2 of 3", probe.GroupWebSocket.Title()} {
		if !strings.Contains(v, w) {
			t.Errorf("view lacks %q:\n%s", w, v)
		}
	}
}

func TestWatchQuit(t *testing.T) {
	m := runRounds(t, NewWatch(newWatchDeps()), 1)
	if !m.Reachable() {
		t.Fatal("first round not reachable")
	}
	for _, tt := range []struct {
		key         tea.KeyPressMsg
		interrupted bool
	}{
		{tea.KeyPressMsg{Code: 'q', Text: "q"}, false},
		{tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}, true},
	} {
		next, cmd := m.Update(tt.key)
		if cmd == nil || cmd() != tea.Quit() {
			t.Errorf("%v does not quit", tt.key)
		}
		if got := next.(WatchModel).Interrupted(); got != tt.interrupted {
			t.Errorf("%v: Interrupted() = %v, want %v", tt.key, got, tt.interrupted)
		}
	}
	// A round that ends after quitting is not recorded.
	next, _ := m.Update(watchRoundMsg{report: probe.Report{}, at: time.Now()})
	if next.(WatchModel).Rounds() != 1 {
		t.Error("a round after quitting was recorded")
	}
}

// TestGoldenWatch runs the view in teatest through three rounds and compares
// the screen with testdata/TestGoldenWatch.golden.
func TestGoldenWatch(t *testing.T) {
	d := newWatchDeps()
	ticks := make(chan struct{}, 4)
	d.After = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd {
		ticks <- struct{}{}
		return nil
	}
	tm := teatest.NewTestModel(t, NewWatch(d), teatest.WithInitialTermSize(goldenW, goldenH),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	for round := 1; round <= 3; round++ {
		select {
		case <-ticks:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d never ended", round)
		}
		if round < 3 {
			tm.Send(watchTickMsg{})
		}
	}
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(WatchModel)
	if fm.Rounds() != 3 || fm.Reachable() {
		t.Errorf("final: %d rounds, reachable %v; want 3, not reachable", fm.Rounds(), fm.Reachable())
	}
	teatest.RequireEqualOutput(t, []byte(ansi.Strip(fm.content())))
}

// TestWatchSmallWindowKeepsVerdict: in a window too short for every row
// under its heading, the headings go first, then rows; the verdict and the
// help stay.
func TestWatchSmallWindowKeepsVerdict(t *testing.T) {
	m := runRounds(t, NewWatch(newWatchDeps()), 1)
	next, _ := m.Update(tea.WindowSizeMsg{Width: 60, Height: 200})
	full := strings.Count(ansi.Strip(next.(WatchModel).content()), "\n") + 1
	for _, h := range []int{full - 1, full - 3, 8} {
		next, _ := m.Update(tea.WindowSizeMsg{Width: 60, Height: h})
		v := ansi.Strip(next.(WatchModel).content())
		if n := strings.Count(v, "\n") + 1; n > h {
			t.Errorf("height %d: %d lines", h, n)
		}
		if !strings.Contains(v, "Reachable") || !strings.HasSuffix(v, "q quit") {
			t.Errorf("height %d: the verdict or the help is gone:\n%s", h, v)
		}
	}
}

// What stays on the screen after q: the rounds, the last verdict and the
// targets that failed in any round; nothing before a round ended.
func TestWatchSummary(t *testing.T) {
	if s := NewWatch(newWatchDeps()).Summary(); s != "" {
		t.Errorf("summary before a round = %q, want none", s)
	}
	m := runRounds(t, NewWatch(newWatchDeps()), 3)
	got := ansi.Strip(m.Summary())
	for _, w := range []string{"3 rounds, the last ended 12:00:06.", "! Partly reachable: 2 of 3", "Failed in some rounds: ws_chat 1/3 (last: "} {
		if !strings.Contains(got, w) {
			t.Errorf("summary lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "v3_chat") {
		t.Errorf("summary names a target that never failed:\n%s", got)
	}
}
