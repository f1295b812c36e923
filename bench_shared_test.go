package main

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
	"github.com/cozeauth/cozeauth/internal/testengine"
)

// BenchmarkTokenCommandShared measures `cozeauth token` on a shared profile
// whose cached token is valid against the same on a file profile, the two
// run in turn so that machine noise hits both alike. The shared profile's
// engine is an address nobody listens on: a call that touched it would
// warn, and fail the benchmark. "x-file" is the ratio (target ≤ 1.1).
//
//	go test -run '^$' -bench TokenCommandShared -benchtime 200x .
func BenchmarkTokenCommandShared(b *testing.B) {
	dir := b.TempDir()
	bin := cozeauthBin(b)
	fileDir, sharedDir := filepath.Join(dir, "file"), filepath.Join(dir, "shared")
	saveBenchProfile(b, fileDir, "default", benchSettings, benchToken("czu_file"))
	set := benchSettings
	set.Storage = "etcd://127.0.0.1:1/nobody"
	saveBenchProfile(b, sharedDir, "default", set, benchToken("czu_shared"))
	file, shared := benchRunner(b, dir, fileDir), benchRunner(b, dir, sharedDir)
	var fileTotal, sharedTotal time.Duration
	b.ResetTimer()
	for range b.N {
		sharedTotal += shared(bin, "token")
		fileTotal += file(bin, "token")
	}
	b.ReportMetric(float64(sharedTotal.Microseconds())/float64(b.N), "shared-µs/op")
	b.ReportMetric(float64(fileTotal.Microseconds())/float64(b.N), "file-µs/op")
	b.ReportMetric(float64(sharedTotal)/float64(fileTotal), "x-file")
}

// BenchmarkSharedRefresh measures a refresh of a shared profile on a real
// engine — the local lock, the engine's lock, read, lease check,
// compare-and-set and unlock around one refresh — against that one refresh
// round trip to the embedded sandbox alone, in turn. "x-round-trip" is the
// ratio (target ≤ 1.5): the engine's round trips are the only extra cost.
// The file profile's refresh (its lock and fsynced save) is reported
// beside it. The sandbox answers in a fraction of a millisecond on
// loopback, where Coze takes tens: each engine also runs with a round trip
// to Coze of 50 ms ("wan"), added by the client's transport, the engine
// still on loopback.
//
//	go test -run '^$' -bench SharedRefresh -benchtime 50x .
func BenchmarkSharedRefresh(b *testing.B) {
	engines := map[string]func(b *testing.B) string{
		"etcd":     func(b *testing.B) string { return testengine.StartEtcd(b, 1).URL("bench") },
		"postgres": func(b *testing.B) string { return testengine.StartPostgres(b).URL() },
	}
	for _, name := range []string{"etcd", "postgres"} {
		for _, rtt := range []time.Duration{0, 50 * time.Millisecond} {
			label := name + "/loopback"
			if rtt > 0 {
				label = name + "/wan"
			}
			b.Run(label, func(b *testing.B) { benchSharedRefresh(b, engines[name](b), rtt) })
		}
	}
}

// slowTransport adds a round trip's delay before each request.
type slowTransport struct{ rtt time.Duration }

func (s slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	time.Sleep(s.rtt)
	return http.DefaultTransport.RoundTrip(r)
}

func benchSharedRefresh(b *testing.B, storage string, rtt time.Duration) {
	sb := sandbox.New(sandbox.Options{AccessTTL: time.Hour})
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sb.Close() })
	ctx := context.Background()
	newManager := func(storage string) *auth.Manager {
		dir := filepath.Join(b.TempDir(), "config")
		benchLoginWith(b, sb, base, dir, storage)
		return &auth.Manager{
			Config: auth.Config{Profile: "default", Settings: auth.Settings{APIBase: base, WWWBase: base, ClientID: sandbox.PKCEClientID, Storage: storage}},
			Store:  auth.NewStore(dir), HTTP: &http.Client{Transport: slowTransport{rtt}},
		}
	}
	shared, file := newManager(storage), newManager(auth.StorageFile)
	// The bare round trip spends a login of its own.
	bare := newManager(auth.StorageFile)
	rec, err := bare.Token(ctx)
	if err != nil {
		b.Fatal(err)
	}
	client, refreshToken := bare.Client(""), rec.RefreshToken
	var sharedTotal, fileTotal, bareTotal time.Duration
	timed := func(total *time.Duration, f func() error) {
		start := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		*total += time.Since(start)
	}
	b.ResetTimer()
	for range b.N {
		timed(&sharedTotal, func() error { _, err := shared.Refresh(ctx); return err })
		timed(&bareTotal, func() error {
			tok, err := client.Refresh(ctx, refreshToken)
			if err == nil {
				refreshToken = tok.RefreshToken
			}
			return err
		})
		timed(&fileTotal, func() error { _, err := file.Refresh(ctx); return err })
	}
	b.StopTimer()
	if st := sb.Stats(); st.RejectedRefreshes != 0 {
		b.Fatalf("the sandbox refused %d refreshes", st.RejectedRefreshes)
	}
	b.ReportMetric(float64(sharedTotal.Microseconds())/float64(b.N), "shared-µs/op")
	b.ReportMetric(float64(bareTotal.Microseconds())/float64(b.N), "round-trip-µs/op")
	b.ReportMetric(float64(fileTotal.Microseconds())/float64(b.N), "file-µs/op")
	b.ReportMetric(float64(sharedTotal)/float64(bareTotal), "x-round-trip")
	b.ReportMetric(float64(sharedTotal)/float64(fileTotal), "x-file")
}
