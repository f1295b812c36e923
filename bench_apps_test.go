package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// BenchmarkTokenCommandJWT measures `cozeauth token` on a JWT profile whose
// cached token is outside the margin (no minting, no network: the API base
// is a closed port), on a PKCE profile alike, and `cozeauth version`, run
// interleaved so machine noise hits all three. The ratios to `version` are
// the metrics; the goal is at most 1.5 for each app type.
//
//	go test -run '^$' -bench TokenCommandJWT -benchtime 200x .
func BenchmarkTokenCommandJWT(b *testing.B) {
	dir := b.TempDir()
	bin := goBuild(b, dir, ".")
	cfgDir := filepath.Join(dir, "config")
	keyFile := filepath.Join(dir, "private_key.pem")
	if err := os.WriteFile(keyFile, []byte(sandbox.JWTPrivateKeyPEM), 0o600); err != nil {
		b.Fatal(err)
	}
	st := auth.NewStore(cfgDir)
	l, err := st.Lock(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	l.Save("jwt", &auth.Record{Token: auth.Token{AccessToken: "czs_bench", Expiry: now.Add(time.Hour), IssuedAt: now}})
	l.Save("pkce", &auth.Record{Token: auth.Token{AccessToken: "czu_bench", RefreshToken: "r", Expiry: now.Add(time.Hour), RefreshExpiry: now.Add(24 * time.Hour), IssuedAt: now}})
	l.Unlock()
	st.SaveSettings("jwt", auth.Settings{ClientID: sandbox.JWTClientID, APIBase: "http://127.0.0.1:1", AppType: auth.AppJWT,
		JWT: &auth.JWTSettings{PublicKeyID: sandbox.JWTPublicKeyID, PrivateKeyFile: keyFile}})
	st.SaveSettings("pkce", auth.Settings{ClientID: sandbox.PKCEClientID, APIBase: "http://127.0.0.1:1", AppType: auth.AppPKCE})

	run := func(args ...string) time.Duration {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"COZEAUTH_CONFIG_DIR=" + cfgDir, "HOME=" + dir}
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", args, err, out)
		}
		return time.Since(start)
	}
	var jwtTotal, pkceTotal, versionTotal time.Duration
	b.ResetTimer()
	for range b.N {
		jwtTotal += run("token", "--profile", "jwt")
		pkceTotal += run("token", "--profile", "pkce")
		versionTotal += run("version")
	}
	b.ReportMetric(float64(jwtTotal.Microseconds())/float64(b.N), "jwt-token-µs/op")
	b.ReportMetric(float64(pkceTotal.Microseconds())/float64(b.N), "pkce-token-µs/op")
	b.ReportMetric(float64(versionTotal.Microseconds())/float64(b.N), "version-µs/op")
	b.ReportMetric(float64(jwtTotal)/float64(versionTotal), "jwt-x-version")
	b.ReportMetric(float64(pkceTotal)/float64(versionTotal), "pkce-x-version")
}
