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
	bin := cozeauthBin(b)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module empty\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	if out, err := exec.Command("go", "build", "-C", dir, "-o", empty, ".").CombinedOutput(); err != nil {
		b.Fatalf("build empty binary: %v\n%s", err, out)
	}

	cfgDir := filepath.Join(dir, "config")
	saveBenchProfile(b, cfgDir, "default", benchSettings, benchToken("czu_bench"))
	run := benchRunner(b, dir, cfgDir)
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

// benchSettings is a profile whose API base nobody listens on: a command
// that touched the network would fail the benchmark.
var benchSettings = auth.Settings{ClientID: "1.app.coze", APIBase: "http://127.0.0.1:1"}

// benchToken is an access token valid for an hour, with a refresh token.
func benchToken(access string) auth.Token {
	now := time.Now()
	return auth.Token{AccessToken: access, RefreshToken: "r", Expiry: now.Add(time.Hour), RefreshExpiry: now.Add(24 * time.Hour), IssuedAt: now}
}

// saveBenchProfile stores a profile's settings and token under cfgDir.
func saveBenchProfile(b *testing.B, cfgDir, name string, set auth.Settings, tok auth.Token) {
	b.Helper()
	st := auth.NewStore(cfgDir)
	if err := st.SaveSettings(name, set); err != nil {
		b.Fatal(err)
	}
	l, err := st.Lock(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Unlock()
	if err := l.Save(name, &auth.Record{Token: tok}); err != nil {
		b.Fatal(err)
	}
}

// benchRunner runs a binary with cfgDir as its config directory and says
// how long it took; a failing run fails the benchmark.
func benchRunner(b *testing.B, home, cfgDir string) func(path string, args ...string) time.Duration {
	return func(path string, args ...string) time.Duration {
		cmd := exec.Command(path, args...)
		cmd.Env = []string{"COZEAUTH_CONFIG_DIR=" + cfgDir, "HOME=" + home}
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s %v: %v\n%s", path, args, err, out)
		}
		return time.Since(start)
	}
}
