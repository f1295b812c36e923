package probe

import (
	"net/http/httptrace"
	"testing"
	"time"
)

func TestPhase(t *testing.T) {
	tests := []struct {
		name   string
		s      snapshot
		tunnel bool
		want   phase
	}{
		{"nothing started", snapshot{}, false, phaseUnknown},
		{"resolving", snapshot{dnsPending: true}, false, phaseDNS},
		{"connecting", snapshot{connPending: true}, false, phaseConnect},
		{"waiting for CONNECT", snapshot{connected: true}, true, phaseProxy},
		{"tunnel open, handshaking", snapshot{connected: true, tunneled: true, tlsPending: true}, true, phaseTLS},
		{"handshaking", snapshot{connected: true, tlsPending: true}, false, phaseTLS},
		{"waiting", snapshot{connected: true, gotConn: true}, false, phaseWait},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.phase(tt.tunnel); got != tt.want {
				t.Errorf("phase = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestOpenPhaseCountsUntilEnd checks that a phase that never finished
// reports the time spent in it, and that late trace events are ignored.
func TestOpenPhaseCountsUntilEnd(t *testing.T) {
	t0 := time.Unix(1000, 0)
	r := &recorder{start: t0, connStart: t0.Add(time.Millisecond)}
	s := r.end(t0.Add(time.Second))
	if want := time.Second - time.Millisecond; s.timings.Connect != want || s.timings.Total != time.Second {
		t.Errorf("timings %+v, want connect %v total 1s", s.timings, want)
	}
	if s.phase(false) != phaseConnect {
		t.Errorf("phase %v, want connecting", s.phase(false))
	}
	// A dial left running after the request gave up reports in late.
	httptrace.ContextClientTrace(r.withTrace(t.Context())).ConnectDone("tcp", "127.0.0.1:1", nil)
	if r.connOK != (time.Time{}) || r.remote != "" {
		t.Errorf("a trace event after end was recorded: %v %q", r.connOK, r.remote)
	}
}
