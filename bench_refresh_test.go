package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/cli"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// BenchmarkTokenRefreshThroughRefresher measures what the refresher process
// costs a `cozeauth token` that refreshes: the command run in this process
// against the embedded sandbox (access tokens of 1 minute, inside the
// 5-minute margin, so every call refreshes and saves), its renewal in a
// refresher process (the real binary, re-executed as main does) and in
// process, interleaved with `cozeauth version` (what starting a process of
// the binary costs). "x-in-process" is the ratio; the difference is about
// one process start. A token that needs no refresh starts no refresher
// (BenchmarkTokenCommand).
//
//	go test -run '^$' -bench TokenRefreshThroughRefresher -benchtime 100x .
func BenchmarkTokenRefreshThroughRefresher(b *testing.B) {
	sb := sandbox.New(sandbox.Options{AccessTTL: time.Minute})
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sb.Close() })
	dir := filepath.Join(b.TempDir(), "config")
	benchLogin(b, sb, base, dir)
	run := func(r cli.Refresher) time.Duration {
		var stderr bytes.Buffer
		start := time.Now()
		code := cli.Run(context.Background(), []string{"token"}, &cli.Env{
			Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr,
			Getenv: func(k string) string {
				if k == "COZEAUTH_CONFIG_DIR" {
					return dir
				}
				return ""
			},
			Now: time.Now, Version: "bench", Refresher: r,
		})
		if code != 0 {
			b.Fatalf("token: exit %d\n%s", code, stderr.String())
		}
		return time.Since(start)
	}
	bin := cozeauthBin(b)
	child := cli.Reexec{Path: bin}
	version := benchRunner(b, b.TempDir(), dir)
	var childTotal, inProcessTotal, versionTotal time.Duration
	b.ResetTimer()
	for range b.N {
		childTotal += run(child)
		inProcessTotal += run(nil)
		versionTotal += version(bin, "version")
	}
	b.StopTimer()
	if st := sb.Stats(); st.Refreshes != 2*b.N || st.RejectedRefreshes != 0 {
		b.Fatalf("sandbox: %d refreshes, %d rejected; want %d and 0", st.Refreshes, st.RejectedRefreshes, 2*b.N)
	}
	b.ReportMetric(float64(childTotal.Microseconds())/float64(b.N), "refresher-µs/op")
	b.ReportMetric(float64(inProcessTotal.Microseconds())/float64(b.N), "in-process-µs/op")
	b.ReportMetric(float64(versionTotal.Microseconds())/float64(b.N), "version-µs/op")
	b.ReportMetric(float64(childTotal)/float64(inProcessTotal), "x-in-process")
}

// benchLogin logs in to the embedded sandbox, its tokens kept in dir.
func benchLogin(b *testing.B, sb *sandbox.Server, base, dir string) {
	benchLoginWith(b, sb, base, dir, "")
}

// benchLoginWith logs in to the embedded sandbox, its tokens kept in
// storage ("" or file: dir's token file; a shared store, with dir's as
// the cache).
func benchLoginWith(b *testing.B, sb *sandbox.Server, base, dir, storage string) {
	b.Helper()
	m := &auth.Manager{
		Config: auth.Config{Profile: "default", Settings: auth.Settings{APIBase: base, WWWBase: base, ClientID: sandbox.PKCEClientID, Storage: storage}},
		Store:  auth.NewStore(dir),
	}
	flow, err := m.BeginLogin(false)
	if err != nil {
		b.Fatal(err)
	}
	redirect, err := sb.Approve(flow.URL())
	if err != nil {
		b.Fatal(err)
	}
	code, err := flow.CodeFromURL(redirect)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := flow.Finish(context.Background(), code); err != nil {
		b.Fatal(err)
	}
}
