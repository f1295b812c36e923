package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
)

// BenchmarkProxy compares, side by side in one run, three ways to reach a
// local stand-in for Coze: directly; through a bare httputil.ReverseProxy
// that only sets a fixed Authorization (kept-alive connections, 64 idle
// per host), in a process of its own; and through `cozeauth proxy` (the
// real binary, logging each request). It reports, for 32 concurrent
// clients, each one's requests per second and cozeauth's ratio to the bare
// proxy (target ≥ 0.9); for one client, the median latency and its ratio
// (target ≤ 1.1); failed requests (target 0); cozeauth's peak resident
// memory (target ≤ 100 MiB); and the median time to a stream's first
// event, cozeauth's minus the bare proxy's (target ≤ 5 ms).
//
//	go test -run '^$' -bench Proxy -benchtime 1x .
func BenchmarkProxy(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(benchBackend))
	b.Cleanup(backend.Close)
	cozURL, key, coz := startCozeauthProxy(b, backend.URL)
	// Each is sent what it expects as a bearer token: Coze the token, the
	// bare proxy anything (it sets its own), cozeauth its key.
	targets := []struct{ name, url, bearer string }{
		{"direct", backend.URL, benchAccess},
		{"bare", startBareProxy(b, backend.URL), "ignored"},
		{"cozeauth", cozURL, key},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 64}}
	var failed atomic.Int64
	call := func(base, bearer, path string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 200 {
			failed.Add(1)
			if err == nil {
				resp.Body.Close()
			}
			return nil
		}
		return resp
	}
	const clients, perRound, rounds, sequential, streams = 32, 4000, 5, 2000, 100
	busy := map[string]time.Duration{}
	lat := map[string][]time.Duration{}
	first := map[string][]time.Duration{}
	// Everything is interleaved — rounds of the throughput test, single
	// requests, streams — so that what else the machine does hits the
	// three alike.
	b.ResetTimer()
	for range b.N {
		for round := range rounds + 1 { // round 0 warms connections up
			for _, tg := range targets {
				start := time.Now()
				var next atomic.Int64
				var wg sync.WaitGroup
				for range clients {
					wg.Go(func() {
						for next.Add(1) <= perRound {
							if resp := call(tg.url, tg.bearer, "/v1/users/me"); resp != nil {
								io.Copy(io.Discard, resp.Body)
								resp.Body.Close()
							}
						}
					})
				}
				wg.Wait()
				if round > 0 {
					busy[tg.name] += time.Since(start)
				}
			}
		}
		for range sequential {
			for _, tg := range targets {
				start := time.Now()
				if resp := call(tg.url, tg.bearer, "/v1/users/me"); resp != nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lat[tg.name] = append(lat[tg.name], time.Since(start))
			}
		}
		for range streams {
			for _, tg := range targets {
				start := time.Now()
				resp := call(tg.url, tg.bearer, "/v3/chat")
				if resp == nil {
					continue
				}
				line, _ := bufio.NewReader(resp.Body).ReadString('\n')
				if strings.HasPrefix(line, "event:") {
					first[tg.name] = append(first[tg.name], time.Since(start))
				} else {
					failed.Add(1)
				}
				resp.Body.Close()
			}
		}
	}
	rps := map[string]float64{}
	p50 := map[string]time.Duration{}
	firstEvent := map[string]time.Duration{}
	for _, tg := range targets {
		rps[tg.name] = float64(perRound*rounds*b.N) / busy[tg.name].Seconds()
		p50[tg.name] = median(lat[tg.name])
		firstEvent[tg.name] = median(first[tg.name])
	}
	b.StopTimer()
	for _, tg := range targets {
		b.ReportMetric(rps[tg.name], tg.name+"-req/s@32")
		b.ReportMetric(float64(p50[tg.name].Microseconds()), tg.name+"-p50-µs")
		b.ReportMetric(float64(firstEvent[tg.name].Microseconds()), tg.name+"-first-event-µs")
	}
	b.ReportMetric(rps["cozeauth"]/rps["bare"], "x-bare-throughput")
	b.ReportMetric(float64(p50["cozeauth"])/float64(p50["bare"]), "x-bare-p50")
	b.ReportMetric(float64(firstEvent["cozeauth"]-firstEvent["bare"])/float64(time.Millisecond), "first-event-ms-after-bare")
	b.ReportMetric(float64(failed.Load()), "failed")
	if mib, ok := peakMiB(coz.Process.Pid); ok {
		b.ReportMetric(mib, "cozeauth-peak-MiB")
	}
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// benchBackend stands in for Coze: users/me's answer, and a chat stream
// whose first event goes at once and the last 20 ms later.
func benchBackend(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+benchAccess {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"code":4100,"msg":"authentication is invalid"}`)
		return
	}
	w.Header().Set("X-Tt-Logid", "20260101000000BENCH")
	if r.URL.Path == "/v3/chat" {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event:conversation.chat.created\ndata:{}\n\n")
		http.NewResponseController(w).Flush()
		time.Sleep(20 * time.Millisecond)
		io.WriteString(w, "event:done\ndata:\"[DONE]\"\n\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"code":0,"msg":"","data":{"user_id":"7400000000000000099","user_name":"bench","nick_name":"Bench","avatar_url":""}}`)
}

// benchAccess is the stand-in's one valid access token.
const benchAccess = "czu_bench_token"

// bareProxyEnv makes this test binary run as the bare proxy (TestMain).
const bareProxyEnv = "COZEAUTH_BENCH_BARE_PROXY"

// runBareProxy is the baseline: an httputil.ReverseProxy that only sets
// a fixed Authorization, with kept-alive connections, printing its address.
func runBareProxy(target string) int {
	u, err := url.Parse(target)
	if err != nil {
		return 2
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Header.Set("Authorization", "Bearer "+benchAccess)
		},
		Transport:     &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second},
		FlushInterval: -1,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 1
	}
	fmt.Println("http://" + ln.Addr().String())
	_ = http.Serve(ln, rp) // until the benchmark kills it
	return 0
}

func startBareProxy(b *testing.B, target string) string {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), bareProxyEnv+"="+target)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("bare proxy: %v", err)
	}
	return strings.TrimSpace(line)
}

// startCozeauthProxy runs the real binary for a profile whose API base is
// target, its token valid for an hour.
func startCozeauthProxy(b *testing.B, target string) (base, key string, cmd *exec.Cmd) {
	dir := b.TempDir()
	bin := cozeauthBin(b)
	cfg := filepath.Join(dir, "config")
	saveBenchProfile(b, cfg, "default", auth.Settings{ClientID: "1.app.coze", APIBase: target}, benchToken(benchAccess))
	cmd = exec.Command(bin, "proxy", "--listen", "127.0.0.1:0")
	cmd.Env = []string{"COZEAUTH_CONFIG_DIR=" + cfg, "HOME=" + dir}
	errPipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r := bufio.NewReader(errPipe)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			b.Fatalf("cozeauth proxy did not start: %v", err)
		}
		if u, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on "); ok {
			go io.Copy(io.Discard, r) // its request log
			keyCmd := exec.Command(bin, "proxy", "--print-key")
			keyCmd.Env = cmd.Env
			out, err := keyCmd.Output()
			if err != nil {
				b.Fatal(err)
			}
			return u, strings.TrimSpace(string(out)), cmd
		}
	}
}

// peakMiB reads a process's peak resident set (Linux's VmHWM).
func peakMiB(pid int) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024, err == nil
		}
	}
	return 0, false
}
