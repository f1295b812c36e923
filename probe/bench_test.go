package probe

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// benchDelay is how long each stand-in server waits before answering.
const benchDelay = 50 * time.Millisecond

// benchBases are loopback servers that each wait benchDelay and answer as
// Coze does without a token (401 with its JSON), one server per host as with
// Coze: API, web and WebSocket.
func benchBases(b *testing.B) Bases {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(benchDelay)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"code":4100,"msg":"authentication is invalid","error_code":"invalid_client"}`)
	})
	return Bases{API: newServer(b, slow).URL, WWW: newServer(b, slow).URL, WS: coze.WSForAPI(newServer(b, slow).URL)}
}

// benchProbe reports a probe's wall time over targets in units of one
// server delay: near 1.0 when the targets run at once.
func benchProbe(b *testing.B, targets []Target) {
	p := &Prober{Transport: &http.Transport{}}
	n, start := 0, time.Now()
	for b.Loop() {
		n++
		if rep := p.Run(b.Context(), targets); rep.Verdict != VerdictReachable {
			b.Fatalf("verdict %q: %+v", rep.Verdict, rep.Targets)
		}
	}
	b.ReportMetric(float64(time.Since(start))/float64(n)/float64(benchDelay), "x-delay")
	b.ReportMetric(float64(len(targets)), "targets")
}

// BenchmarkConcurrentProbe is the whole probe of one region: every group,
// with a token (users_me).
func BenchmarkConcurrentProbe(b *testing.B) {
	benchProbe(b, TargetsFor(benchBases(b), "tok", SetAll))
}

// BenchmarkConcurrentProbeAllRegions is `probe --region all`: both regions'
// targets at once.
func BenchmarkConcurrentProbeAllRegions(b *testing.B) {
	benchProbe(b, RegionTargets([]Region{
		{Name: "com", Bases: benchBases(b), Token: "tok"},
		{Name: "cn", Bases: benchBases(b)},
	}, SetAll))
}

// BenchmarkSequentialProbe is the baseline: the same targets as
// BenchmarkConcurrentProbe one at a time.
func BenchmarkSequentialProbe(b *testing.B) {
	targets := TargetsFor(benchBases(b), "tok", SetAll)
	p := &Prober{Transport: &http.Transport{}}
	n, start := 0, time.Now()
	for b.Loop() {
		n++
		for _, tg := range targets {
			if rep := p.Run(b.Context(), []Target{tg}); rep.Verdict != VerdictReachable {
				b.Fatalf("verdict %q: %+v", rep.Verdict, rep.Targets)
			}
		}
	}
	b.ReportMetric(float64(time.Since(start))/float64(n)/float64(benchDelay), "x-delay")
}
