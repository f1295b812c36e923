package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// syncBuffer is a log a test can read while the proxy writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a whole proxy served on a loopback port, as `cozeauth proxy`
// serves it.
type running struct {
	url, key string
	log      *syncBuffer
	stop     context.CancelFunc
	served   chan error
}

func serveProxy(t *testing.T, api string, tokens Tokens, grace time.Duration) *running {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &running{url: "http://" + ln.Addr().String(), key: NewKey(), log: &syncBuffer{}, served: make(chan error, 1)}
	h, err := New(Options{API: api, WS: api, Tokens: tokens, Key: p.key, Hosts: AllowedHosts(ln.Addr(), ""), Log: p.log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	go func() { p.served <- Serve(ctx, ln, h, grace) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.served:
		case <-time.After(hangGuard):
			t.Error("the proxy did not stop")
		}
	})
	return p
}

func (p *running) request(t *testing.T, method, path, body string) *http.Request {
	t.Helper()
	// A hang guard: a proxy that held the answer back must fail the test.
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, method, p.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.key)
	req.Header.Set("Content-Type", "application/json")
	return req
}

// waitForLog waits for the log to hold want (a line is written once its
// answer has ended, which may be after the client read it) and returns it.
func (p *running) waitForLog(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for !strings.Contains(p.log.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("log %q, want %q", p.log.String(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return p.log.String()
}

// stepper lets a sandbox streamed chat send its next event only when the
// test says so.
type stepper chan struct{}

func (s stepper) step(ctx context.Context) error {
	select {
	case <-s:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

const streamBody = `{"bot_id":"7480000000000000001","user_id":"u","stream":true,"additional_messages":[{"role":"user","content":"hi","content_type":"text"}]}`

// nextEvent reads one server-sent event's name, failing the test after
// hangGuard (a proxy that buffered the stream would never deliver it,
// since the sandbox sends the next only once this one was read).
func nextEvent(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	type result struct {
		name string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		name := ""
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				ch <- result{name, err}
				return
			}
			line = strings.TrimRight(line, "\n")
			if line == "" {
				ch <- result{name, nil}
				return
			}
			if n, ok := strings.CutPrefix(line, "event:"); ok {
				name = n
			}
		}
	}()
	select {
	case res := <-ch:
		if res.err != nil {
			t.Fatalf("stream ended: %v", res.err)
		}
		return res.name
	case <-time.After(hangGuard):
		t.Fatal("no event arrived: the proxy holds the stream back")
		return ""
	}
}

// Issue 18: /v3/chat with stream: true passes event by event. The
// sandbox sends each event only after the test has read the one before
// through the proxy, so the first event arrives before the last is sent.
func TestProxyStreamsEventByEvent(t *testing.T) {
	steps := make(stepper)
	_, base := startSandbox(t, sandbox.Options{ChatStep: steps.step})
	p := serveProxy(t, base, NewCache(jwtManager(t, base, t.TempDir(), nil)), 0)
	resp, err := http.DefaultClient.Do(p.request(t, http.MethodPost, "/v3/chat", streamBody))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get(Header) != "1" {
		t.Fatalf("= %d %q (%s %q)", resp.StatusCode, resp.Header.Get("Content-Type"), Header, resp.Header.Get(Header))
	}
	r := bufio.NewReader(resp.Body)
	var names []string
	for {
		names = append(names, nextEvent(t, r))
		if names[len(names)-1] == "done" {
			break
		}
		steps <- struct{}{}
	}
	if names[0] != "conversation.chat.created" || len(names) < 6 {
		t.Errorf("events %v", names)
	}
	p.waitForLog(t, "POST /v3/chat 200 ")
}

// Wrong keys and foreign Hosts are refused with nothing forwarded; every
// answer, the proxy's own and Coze's, carries X-Cozeauth-Proxy.
func TestProxyRefusesWithoutForwarding(t *testing.T) {
	coze := &fakeCoze{}
	up := httptest.NewServer(coze)
	defer up.Close()
	p := serveProxy(t, up.URL, &fakeTokens{cur: Token{Value: "czu_token"}}, 0)

	noKey := p.request(t, http.MethodGet, "/v1/users/me", "")
	noKey.Header.Del("Authorization")
	wrongKey := p.request(t, http.MethodGet, "/v1/users/me", "")
	wrongKey.Header.Set("Authorization", "Bearer "+NewKey())
	rebound := p.request(t, http.MethodGet, "/v1/users/me", "")
	rebound.Host = "attacker.example"
	for name, req := range map[string]*http.Request{"no key": noKey, "wrong key": wrongKey, "foreign Host": rebound} {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 4 || resp.Header.Get(Header) != "1" || !strings.Contains(string(body), "cozeauth proxy: ") {
			t.Errorf("%s: = %d %s", name, resp.StatusCode, body)
		}
	}
	if n := len(coze.requests()); n != 0 {
		t.Fatalf("%d refused requests were forwarded", n)
	}
	resp, err := http.DefaultClient.Do(p.request(t, http.MethodGet, "/v1/users/me?secret=1", ""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get(Header) != "1" || resp.Header.Get("X-Tt-Logid") != logIDFor("czu_token") {
		t.Errorf("with the key: = %d, headers %v", resp.StatusCode, resp.Header)
	}
	log := p.waitForLog(t, "GET /v1/users/me 200 ")
	for _, secret := range []string{p.key, "czu_token", "secret=1"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log shows %q:\n%s", secret, log)
		}
	}
	if !strings.Contains(log, "GET /v1/users/me 200 ") || !strings.Contains(log, " logid-of-token\n") || !strings.Contains(log, "GET /v1/users/me 401 ") {
		t.Errorf("log:\n%s", log)
	}
}

// A WebSocket upgrade goes to the ws base with the token in place of the
// key: the sandbox's ws chat checks the token before it answers 101.
func TestProxyPassesTheWebSocketHandshakeWithTheToken(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{})
	p := serveProxy(t, base, NewCache(jwtManager(t, base, t.TempDir(), nil)), 0)
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(hangGuard))
	io.WriteString(conn, "GET /v1/chat?bot_id=7480000000000000001 HTTP/1.1\r\nHost: "+strings.TrimPrefix(p.url, "http://")+
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"+
		"Authorization: Bearer "+p.key+"\r\n\r\n")
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-Websocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("handshake = %d %v", resp.StatusCode, resp.Header)
	}
	frame, _ := io.ReadAll(r) // the sandbox sends one event and closes
	if !bytes.Contains(frame, []byte(`"event_type":"chat.created"`)) {
		t.Errorf("first frame %q, want chat.created", frame)
	}
}

// Shutdown mid-stream: the proxy stops taking connections, the stream
// under way is finished, then Serve returns.
func TestProxyShutdownFinishesTheStreamUnderWay(t *testing.T) {
	steps := make(stepper)
	_, base := startSandbox(t, sandbox.Options{ChatStep: steps.step})
	p := serveProxy(t, base, NewCache(jwtManager(t, base, t.TempDir(), nil)), hangGuard)
	resp, err := http.DefaultClient.Do(p.request(t, http.MethodPost, "/v3/chat", streamBody))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	nextEvent(t, r)
	p.stop() // SIGTERM
	// New connections are refused once the listener is closed.
	for {
		c, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	for name := ""; name != "done"; {
		steps <- struct{}{}
		name = nextEvent(t, r)
	}
	select {
	case err := <-p.served:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Serve = %v, want context.Canceled", err)
		}
		p.served <- err // for the cleanup
	case <-time.After(hangGuard):
		t.Fatal("Serve did not return once the stream ended")
	}
}

// A stream still going when the grace ends is cut, and Serve returns.
func TestProxyShutdownCutsWhatOutlivesTheGrace(t *testing.T) {
	steps := make(stepper) // never stepped: the stream would go on forever
	_, base := startSandbox(t, sandbox.Options{ChatStep: steps.step})
	p := serveProxy(t, base, NewCache(jwtManager(t, base, t.TempDir(), nil)), 50*time.Millisecond)
	resp, err := http.DefaultClient.Do(p.request(t, http.MethodPost, "/v3/chat", streamBody))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	nextEvent(t, bufio.NewReader(resp.Body))
	p.stop()
	select {
	case err := <-p.served:
		p.served <- err
	case <-time.After(hangGuard):
		t.Fatal("Serve did not return after its grace")
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("the cut stream ended cleanly")
	}
}
