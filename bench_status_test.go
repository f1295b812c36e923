package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
)

// BenchmarkStatusAllCommand measures `cozeauth status --all` over five
// logged-in profiles, offline, against `cozeauth token` (the hot path), run
// side by side; "x-token" is the ratio. Every API base is an address nobody
// listens on: a status that touched the network would fail.
//
//	go test -run '^$' -bench StatusAllCommand -benchtime 100x .
func BenchmarkStatusAllCommand(b *testing.B) {
	dir := b.TempDir()
	bin := goBuild(b, dir, ".")
	cfgDir := filepath.Join(dir, "config")
	st := auth.NewStore(cfgDir)
	now := time.Now()
	for i := range 5 {
		name := "default"
		if i > 0 {
			name = fmt.Sprintf("p%d", i)
		}
		if err := st.SaveSettings(name, auth.Settings{ClientID: "1.app.coze", APIBase: "http://127.0.0.1:1"}); err != nil {
			b.Fatal(err)
		}
		l, err := st.Lock(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		err = l.Save(name, &auth.Record{Token: auth.Token{AccessToken: "czu_bench", RefreshToken: "r", Expiry: now.Add(time.Hour), RefreshExpiry: now.Add(24 * time.Hour), IssuedAt: now}})
		l.Unlock()
		if err != nil {
			b.Fatal(err)
		}
	}
	run := func(args ...string) time.Duration {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"COZEAUTH_CONFIG_DIR=" + cfgDir, "HOME=" + dir}
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", args, err, out)
		}
		return time.Since(start)
	}
	var statusTotal, tokenTotal time.Duration
	b.ResetTimer()
	for range b.N { // interleaved, so machine noise hits both alike
		statusTotal += run("status", "--all")
		tokenTotal += run("token")
	}
	b.ReportMetric(float64(statusTotal.Microseconds())/float64(b.N), "status-all-µs/op")
	b.ReportMetric(float64(tokenTotal.Microseconds())/float64(b.N), "token-µs/op")
	b.ReportMetric(float64(statusTotal)/float64(tokenTotal), "x-token")
}
