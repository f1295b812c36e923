package main

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkStatusAllCommand measures `cozeauth status --all` over five
// logged-in profiles, offline, against `cozeauth token` (the hot path), run
// side by side; "x-token" is the ratio. Every API base is an address nobody
// listens on: a status that touched the network would fail.
//
//	go test -run '^$' -bench StatusAllCommand -benchtime 100x .
func BenchmarkStatusAllCommand(b *testing.B) {
	dir := b.TempDir()
	bin := cozeauthBin(b)
	cfgDir := filepath.Join(dir, "config")
	for i := range 5 {
		name := "default"
		if i > 0 {
			name = fmt.Sprintf("p%d", i)
		}
		saveBenchProfile(b, cfgDir, name, benchSettings, benchToken("czu_bench"))
	}
	run := benchRunner(b, dir, cfgDir)
	var statusTotal, tokenTotal time.Duration
	b.ResetTimer()
	for range b.N { // interleaved, so machine noise hits both alike
		statusTotal += run(bin, "status", "--all")
		tokenTotal += run(bin, "token")
	}
	b.ReportMetric(float64(statusTotal.Microseconds())/float64(b.N), "status-all-µs/op")
	b.ReportMetric(float64(tokenTotal.Microseconds())/float64(b.N), "token-µs/op")
	b.ReportMetric(float64(statusTotal)/float64(tokenTotal), "x-token")
}
