package main

import (
	"os"
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
	bin := cozeauthBin(b)
	cfgDir := filepath.Join(dir, "config")
	keyFile := filepath.Join(dir, "private_key.pem")
	if err := os.WriteFile(keyFile, []byte(sandbox.JWTPrivateKeyPEM), 0o600); err != nil {
		b.Fatal(err)
	}
	noRefresh := benchToken("czs_bench")
	noRefresh.RefreshToken, noRefresh.RefreshExpiry = "", time.Time{} // a JWT token has none
	saveBenchProfile(b, cfgDir, "jwt", auth.Settings{ClientID: sandbox.JWTClientID, APIBase: "http://127.0.0.1:1", AppType: auth.AppJWT,
		JWT: &auth.JWTSettings{PublicKeyID: sandbox.JWTPublicKeyID, PrivateKeyFile: keyFile}}, noRefresh)
	saveBenchProfile(b, cfgDir, "pkce", auth.Settings{ClientID: sandbox.PKCEClientID, APIBase: "http://127.0.0.1:1", AppType: auth.AppPKCE}, benchToken("czu_bench"))
	run := benchRunner(b, dir, cfgDir)
	var jwtTotal, pkceTotal, versionTotal time.Duration
	b.ResetTimer()
	for range b.N {
		jwtTotal += run(bin, "token", "--profile", "jwt")
		pkceTotal += run(bin, "token", "--profile", "pkce")
		versionTotal += run(bin, "version")
	}
	b.ReportMetric(float64(jwtTotal.Microseconds())/float64(b.N), "jwt-token-µs/op")
	b.ReportMetric(float64(pkceTotal.Microseconds())/float64(b.N), "pkce-token-µs/op")
	b.ReportMetric(float64(versionTotal.Microseconds())/float64(b.N), "version-µs/op")
	b.ReportMetric(float64(jwtTotal)/float64(versionTotal), "jwt-x-version")
	b.ReportMetric(float64(pkceTotal)/float64(versionTotal), "pkce-x-version")
}
