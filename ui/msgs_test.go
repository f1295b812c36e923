package ui

import (
	"errors"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/cozeauth/cozeauth/probe"
)

// TestMessagesOfOldRunsAreDropped sends every generation-tagged message of
// a run the user has left, and checks that none changes the screen.
func TestMessagesOfOldRunsAreDropped(t *testing.T) {
	f := newFixture(t)
	m, started := f.probing(t)
	m, _ = step(m, started)
	old := m.probe.gen - 1
	for _, msg := range []tea.Msg{
		probeStartedMsg{gen: old},
		probeStartFailedMsg{gen: old, err: errors.New("old")},
		probeResultMsg{gen: old, result: probe.Result{Index: 0}},
		probeFinishedMsg{gen: old},
		loginFinishedMsg{gen: old},
		codeReceivedMsg{gen: old},
	} {
		next, _ := step(m, msg)
		if next.screen != screenProbe || next.probe.err != nil || next.probe.report != nil || next.probe.results[0] != nil || !next.probe.running {
			t.Errorf("%T of an old run changed the probe screen", msg)
		}
	}
}
