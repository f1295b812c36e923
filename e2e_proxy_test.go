package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// proxyProc is a `cozeauth proxy` process.
type proxyProc struct {
	t        *testing.T
	cmd      *exec.Cmd
	url, key string
	mu       sync.Mutex
	stderr   strings.Builder
	exited   chan struct{}
}

// startProxy runs `cozeauth proxy --listen 127.0.0.1:0` and waits for the
// line saying where it listens.
func (e *e2e) startProxy(extraEnv []string, args ...string) *proxyProc {
	e.t.Helper()
	key := e.run(extraEnv, "proxy", "--print-key")
	if key.code != 0 {
		e.t.Fatalf("proxy --print-key: exit %d\n%s", key.code, key.stderr)
	}
	cmd := exec.Command(e.bin, append([]string{"proxy", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(append([]string{}, e.env...), extraEnv...)
	errPipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	p := &proxyProc{t: e.t, cmd: cmd, key: strings.TrimSpace(key.stdout), exited: make(chan struct{})}
	e.t.Cleanup(func() { cmd.Process.Kill(); <-p.exited })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				ready <- u
			}
		}
		cmd.Wait()
		close(p.exited)
	}()
	select {
	case p.url = <-ready:
	case <-p.exited:
		e.t.Fatalf("proxy exited before listening:\n%s", p.log())
	case <-time.After(30 * time.Second):
		e.t.Fatalf("proxy did not say where it listens:\n%s", p.log())
	}
	return p
}

func (p *proxyProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// get calls path through the proxy with key as the bearer token.
func (p *proxyProc) get(path, key string) (int, string) {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// stop sends SIGTERM and returns the exit code.
func (p *proxyProc) stop() int {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.t.Fatal("proxy did not stop on SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

// The real binary: the proxy forwards with the token, refuses a wrong key
// with nothing forwarded, logs without secrets and stops on SIGTERM.
func TestEndToEndProxy(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	e.login()
	p := e.startProxy(nil)
	token := strings.TrimSpace(e.run(nil, "token").stdout)

	status, body := p.get("/v1/users/me", p.key)
	if status != 200 || !strings.Contains(body, sandbox.UserName) {
		t.Fatalf("users/me through the proxy = %d %s\n%s", status, body, p.log())
	}
	if status, body := p.get("/v1/users/me", token); status != 401 || !strings.Contains(body, `"code":4100,"msg":"cozeauth proxy: `) {
		t.Errorf("with the Coze token instead of the key = %d %s, want the proxy's 401", status, body)
	}
	if code := p.stop(); code != 130 {
		t.Errorf("proxy exit %d on SIGTERM, want 130", code)
	}
	log := p.log()
	if !strings.Contains(log, "GET /v1/users/me 200 ") || !strings.Contains(log, "GET /v1/users/me 401 ") {
		t.Errorf("log:\n%s", log)
	}
	for _, secret := range []string{token, p.key} {
		if strings.Contains(log, secret) {
			t.Errorf("the log shows a secret:\n%s", log)
		}
	}
}

// A proxy and many `cozeauth token` processes, all inside the margin at
// once, share one refresh: none spends a refresh token another rotated.
func TestEndToEndProxySharesOneRefreshWithTokenProcesses(t *testing.T) {
	t.Parallel()
	e := startE2E(t, "--access-ttl", "8s")
	e.login()
	margin := []string{"COZEAUTH_REFRESH_MARGIN=5s"}
	p := e.startProxy(margin, "--quiet")
	var tok struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(e.run(margin, "token", "--json").stdout), &tok); err != nil {
		t.Fatal(err)
	}
	before := e.stats()
	time.Sleep(time.Until(tok.ExpiresAt.Add(-5*time.Second)) + 300*time.Millisecond) // into the margin, for every process

	var wg sync.WaitGroup
	statuses := make([]int, 10)
	for i := range statuses {
		wg.Go(func() { statuses[i], _ = p.get("/v1/users/me", p.key) })
	}
	tokens := e.tokensAtOnce(10, margin...)
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("request %d through the proxy: %d", i, s)
		}
	}
	for i, r := range tokens {
		if r.code != 0 {
			t.Errorf("token process %d: exit %d %s", i, r.code, r.stderr)
		}
	}
	after := e.stats()
	if n := after.Refreshes - before.Refreshes; n != 1 || after.RejectedRefreshes != 0 {
		t.Errorf("%d refreshes (%d rejected), want exactly 1 for the proxy and 10 token processes", n, after.RejectedRefreshes)
	}
}

// exec passes the token, or with --proxy a key, and the child's exit code.
func TestEndToEndExec(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	e.login()
	token := strings.TrimSpace(e.run(nil, "token").stdout)
	if r := e.run(nil, "exec", "--", "sh", "-c", `printf %s "$COZE_API_TOKEN"; exit 3`); r.code != 3 || r.stdout != token {
		t.Errorf("exec: exit %d %q, want 3 and the token", r.code, r.stdout)
	}
	// The child here is cozeauth itself, which takes $COZE_API_TOKEN (the
	// key) as a static token and calls $COZE_API_BASE (the proxy).
	r := e.run(nil, "exec", "--proxy", "--", "sh", "-c", `case "$COZE_API_TOKEN" in cozeauth_proxy_*) exec "$0" api /v1/users/me;; *) exit 99;; esac`, e.bin)
	if r.code != 0 || !strings.Contains(r.stdout, sandbox.UserName) {
		t.Errorf("exec --proxy: exit %d %q\n%s", r.code, r.stdout, r.stderr)
	}
}

// exec passes SIGTERM to the child and exits with the child's code, even
// when the child takes longer to stop than an ordinary command's grace
// after a signal (cli.SignalGrace).
func TestEndToEndExecForwardsSignals(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	e.login()
	cmd := exec.Command(e.bin, "exec", "--", "sh", "-c", `trap 'sleep 2; exit 42' TERM; echo ready; while :; do sleep 0.05; done`)
	cmd.Env = e.env
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("exec did not end after SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 42 {
		t.Errorf("exit %d, want the child's 42", code)
	}
}

// SIGTERM mid-stream: the proxy stops listening and finishes the stream
// under way (here about 3 s of events: longer than an ordinary command's
// grace after a signal, shorter than the proxy's own 5 s), then exits 130.
func TestEndToEndProxyFinishesAStreamAfterSIGTERM(t *testing.T) {
	t.Parallel()
	e := startE2E(t, "--chat-pace", "300ms")
	e.login()
	p := e.startProxy(nil, "--quiet")
	req, _ := http.NewRequest(http.MethodPost, p.url+"/v3/chat", strings.NewReader(`{"bot_id":"7480000000000000001","user_id":"u","stream":true,"additional_messages":[{"role":"user","content":"a b c","content_type":"text"}]}`))
	req.Header.Set("Authorization", "Bearer "+p.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "event:conversation.chat.created") {
		t.Fatalf("first line %q, %v", line, err)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	rest, err := io.ReadAll(r)
	if err != nil || !strings.Contains(string(rest), "event:done") {
		t.Errorf("after SIGTERM the stream ended with %v after %q, want it finished", err, rest)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("proxy did not exit after the stream")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
}
