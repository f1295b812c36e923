package probe

import (
	"net/http"
	"testing"
	"time"
)

// benchDelay is how long each stand-in server waits before answering.
const benchDelay = 50 * time.Millisecond

// benchTargets are the four default targets on loopback servers that each
// wait benchDelay, one server per host as with Coze.
func benchTargets(b *testing.B) []Target {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(benchDelay)
		w.WriteHeader(http.StatusNotFound)
	})
	api := newServer(b, slow)
	www := newServer(b, slow)
	return Targets(api.URL, www.URL, "")
}

// BenchmarkConcurrentProbe reports a probe's wall time in units of one
// server delay: near 1.0 when the targets run at once (4.0 one by one).
func BenchmarkConcurrentProbe(b *testing.B) {
	targets := benchTargets(b)
	p := &Prober{Transport: &http.Transport{}}
	n, start := 0, time.Now()
	for b.Loop() {
		n++
		if rep := p.Run(b.Context(), targets); rep.Verdict != VerdictReachable {
			b.Fatalf("verdict %q: %+v", rep.Verdict, rep.Targets)
		}
	}
	b.ReportMetric(float64(time.Since(start))/float64(n)/float64(benchDelay), "x-delay")
}

// BenchmarkSequentialProbe is the baseline: the same targets one at a time.
func BenchmarkSequentialProbe(b *testing.B) {
	targets := benchTargets(b)
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
