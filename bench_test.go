package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
)

// BenchmarkTokenCommand measures the hot path scripts hit: `cozeauth token`
// with a valid token on disk, against starting an empty Go binary, run side
// by side. The "x-empty-go" metric is the ratio; 1.0 would mean the token
// lookup itself costs nothing.
//
//	go test -run '^$' -bench TokenCommand -benchtime 200x .
func BenchmarkTokenCommand(b *testing.B) {
	dir := b.TempDir()
	bin := goBuild(b, dir, ".")
	empty := filepath.Join(dir, "empty")
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module empty\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	if out, err := exec.Command("go", "build", "-C", dir, "-o", empty, ".").CombinedOutput(); err != nil {
		b.Fatalf("build empty binary: %v\n%s", err, out)
	}

	cfgDir := filepath.Join(dir, "config")
	st := auth.NewStore(cfgDir)
	l, err := st.Lock(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	l.Save("default", &auth.Record{Token: auth.Token{AccessToken: "czu_bench", RefreshToken: "r", Expiry: now.Add(time.Hour), RefreshExpiry: now.Add(24 * time.Hour), IssuedAt: now}})
	l.Unlock()
	st.SaveSettings("default", auth.Settings{ClientID: "1.app.coze", APIBase: "http://127.0.0.1:1"})

	run := func(path string, args ...string) time.Duration {
		cmd := exec.Command(path, args...)
		cmd.Env = []string{"COZEAUTH_CONFIG_DIR=" + cfgDir, "HOME=" + dir}
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", path, err, out)
		}
		return time.Since(start)
	}
	var tokenTotal, emptyTotal time.Duration
	b.ResetTimer()
	for range b.N { // interleaved, so machine noise hits both alike
		tokenTotal += run(bin, "token")
		emptyTotal += run(empty)
	}
	b.ReportMetric(float64(tokenTotal.Microseconds())/float64(b.N), "token-µs/op")
	b.ReportMetric(float64(emptyTotal.Microseconds())/float64(b.N), "empty-go-µs/op")
	b.ReportMetric(float64(tokenTotal)/float64(emptyTotal), "x-empty-go")
}
