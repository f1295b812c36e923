package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/probe"
)

// probing returns a model on the probe screen of a logged-in profile, with
// the started run's first wait command.
func (f *fixture) probing(t *testing.T) (Model, probeStartedMsg) {
	t.Helper()
	m := f.dashboard(t)
	m, cmd := step(m, press("p"))
	if m.screen != screenProbe || !m.probe.running {
		t.Fatalf("p: screen %v running %v", m.screen, m.probe.running)
	}
	started := await[probeStartedMsg](t, cmd)
	return m, started
}

func TestProbeRowsFillInAsResultsLand(t *testing.T) {
	f := newFixture(t)
	f.prober.hold = make(chan struct{})
	m, started := f.probing(t)
	names := []string{}
	for _, tg := range started.targets {
		names = append(names, tg.Name)
	}
	want := []string{"v3_chat", "workflow_run", "oauth_token", "oauth_authorize", "ws_chat", "users_me", "open_api_v2_chat", "workflows_run", "www", "v1_chat"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("targets (-want +got):\n%s", diff)
	}
	if tok := started.targets[5].Token; tok != "czu_fake_access_saved" {
		t.Errorf("users_me token = %q, want the saved one", tok)
	}
	m, cmd := step(m, started)
	if got := strings.Count(viewText(m), "…"); got < len(want) {
		t.Errorf("pending rows: %d ellipses, want one per target:\n%s", got, viewText(m))
	}
	for i := range want {
		f.prober.hold <- struct{}{}
		res := await[probeResultMsg](t, cmd)
		m, cmd = step(m, res)
		if m.probe.results[i] == nil {
			t.Fatalf("result %d not recorded", i)
		}
		if i < len(want)-1 && m.probe.results[i+1] != nil {
			t.Fatalf("result %d recorded early", i+1)
		}
	}
	m, _ = step(m, await[probeFinishedMsg](t, cmd))
	if m.probe.running || m.probe.report == nil || m.probe.report.Verdict != probe.VerdictReachable {
		t.Fatalf("running %v report %+v", m.probe.running, m.probe.report)
	}
	v := viewText(m)
	// In a short window the group is a column.
	for _, want := range []string{"401", "auth_required", "404", "not_found", "140ms", "✓ Reachable", "belongs to Test User (@tester)",
		"✓ api       POST /v3/chat", "✓ oauth ", "✓ websocket WS ", "✓ account ", "✓ legacy ", "WS "} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	// Where they fit, the groups are headings titled as `cozeauth probe` titles them.
	m, _ = step(m, tea.WindowSizeMsg{Width: 100, Height: 50})
	v = viewText(m)
	for _, g := range []probe.Group{probe.GroupAPI, probe.GroupOAuth, probe.GroupWebSocket, probe.GroupAccount, probe.GroupLegacy} {
		if !strings.Contains(v, "  "+g.Title()+"\n") {
			t.Errorf("tall view lacks the heading %q:\n%s", g.Title(), v)
		}
	}
	if strings.Contains(v, "✓ websocket") {
		t.Errorf("tall view has both headings and the group column:\n%s", v)
	}
}

func TestProbePartialShowsHints(t *testing.T) {
	f := newFixture(t)
	f.prober.fail = map[string]bool{"www": true}
	m, started := f.probing(t)
	m = finishProbe(t, m, started)
	if m.probe.report.Verdict != probe.VerdictPartial {
		t.Fatalf("verdict = %v", m.probe.report.Verdict)
	}
	v := strings.Join(strings.Fields(viewText(m)), " ")
	for _, want := range []string{"! Partly reachable: 9 of 10", "connect_refused", "www: connection refused — the connection was refused"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, viewText(m))
		}
	}
}

func TestProbeUnreachable(t *testing.T) {
	f := newFixture(t)
	f.prober.fail = map[string]bool{}
	for _, tg := range probe.Targets("https://api.coze.com", "https://www.coze.com", "tok") {
		f.prober.fail[tg.Name] = true
	}
	m, started := f.probing(t)
	m = finishProbe(t, m, started)
	if v := viewText(m); !strings.Contains(v, "✗ Unreachable") {
		t.Errorf("view:\n%s", v)
	}
}

// finishProbe feeds a run's results to m until it is finished.
func finishProbe(t *testing.T, m Model, started probeStartedMsg) Model {
	t.Helper()
	m, cmd := step(m, started)
	for m.probe.running {
		select {
		case r, ok := <-started.results:
			if !ok {
				m, _ = step(m, probeFinishedMsg{gen: started.gen, finished: started.started.Add(150 * time.Millisecond)})
				continue
			}
			m, _ = step(m, probeResultMsg{gen: started.gen, result: r})
		case <-time.After(10 * time.Second):
			t.Fatal("the probe did not finish")
		}
	}
	_ = cmd
	return m
}

func TestProbeRerunAndContinue(t *testing.T) {
	f := newFixture(t)
	m, started := f.probing(t)
	m = finishProbe(t, m, started)
	if !m.keys.Rerun.Enabled() {
		t.Fatal("r is disabled after the run")
	}
	gen := m.probe.gen
	m, cmd := step(m, press("r"))
	if m.probe.gen == gen || !m.probe.running || m.probe.report != nil {
		t.Fatalf("r: gen %d->%d running %v", gen, m.probe.gen, m.probe.running)
	}
	if m.keys.Rerun.Enabled() {
		t.Error("r is enabled while a run is going")
	}
	again := await[probeStartedMsg](t, cmd)
	if f.prober.started() != 2 {
		t.Errorf("prober started %d times, want 2", f.prober.started())
	}
	// A result of the first run is dropped.
	m, _ = step(m, probeResultMsg{gen: gen, result: probe.Result{Index: 0, Status: 500}})
	m, _ = step(m, again)
	if m.probe.results[0] != nil {
		t.Error("a result of the old run was recorded")
	}
	m, _ = step(m, press("enter"))
	if m.screen != screenDashboard {
		t.Errorf("enter: screen %v, want dashboard", m.screen)
	}
	if m.probe.running {
		t.Error("leaving did not stop the run")
	}
}

func TestProbeStartFailure(t *testing.T) {
	f := newFixture(t)
	f.deps.Prober = nil
	m := f.dashboard(t)
	m, cmd := step(m, press("p"))
	m, _ = step(m, await[probeStartFailedMsg](t, cmd))
	if v := viewText(m); !strings.Contains(v, "Could not start the probe: no prober is configured") {
		t.Errorf("view:\n%s", v)
	}
	m, _ = step(m, probeStartFailedMsg{gen: m.probe.gen, err: errors.New("boom")})
	if m.probe.running {
		t.Error("still running after a failed start")
	}
}

func TestProbeWithoutTokenSkipsUsersMe(t *testing.T) {
	f := newFixture(t)
	m := f.form(t)
	m, cmd := m.startProbe() // no login: the public targets only
	started := await[probeStartedMsg](t, cmd)
	if len(started.targets) != 9 || slices.ContainsFunc(started.targets, func(tg probe.Target) bool { return tg.Name == "users_me" }) {
		t.Errorf("targets = %d, want the 9 without users_me without a token", len(started.targets))
	}
	_ = m
}

func TestPhaseBar(t *testing.T) {
	st := NewStyles(true)
	tests := []struct {
		name string
		t    probe.Timings
		want string
	}{
		{"all phases", probe.Timings{DNS: 10, Connect: 10, TLS: 20, FirstByte: 80, Total: 100}, "░▒▓▓████▪▪"},
		{"no answer", probe.Timings{DNS: 50, Connect: 50, Total: 100}, "░░░░░▒▒▒▒▒"},
		{"nothing", probe.Timings{}, "··········"},
		{"tiny phase rounds fairly", probe.Timings{DNS: 1, Connect: 1, FirstByte: 98, Total: 100}, "██████████"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ansi.Strip(phaseBar(st, tt.t, 10))
			if got != tt.want {
				t.Errorf("phaseBar = %q, want %q", got, tt.want)
			}
		})
	}
}

// At 60 columns two targets whose paths differ near their ends stay apart:
// labels are cut in the middle.
func TestProbeLabelsCutInTheMiddle(t *testing.T) {
	a, b := cutMiddle("POST /v1/workflow/run", 18), cutMiddle("POST /v1/workflows/run", 18)
	if a == b || len([]rune(a)) != 18 || !strings.Contains(a, "…") {
		t.Errorf("cut to %q and %q: not told apart, or not 18 columns", a, b)
	}
	if got := cutMiddle("GET /v1/chat", 18); got != "GET /v1/chat" {
		t.Errorf("a label that fits was cut: %q", got)
	}
}
