package probe

import (
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// connectProxy is an HTTP proxy on loopback that tunnels CONNECT requests,
// or refuses them with 403 when deny is set. It records the hosts asked for.
// When upstream is set, every tunnel leads there whatever the host asked
// for, so that a test can stand in for a real name.
type connectProxy struct {
	URL  *url.URL
	mu   sync.Mutex
	seen []string
}

func (p *connectProxy) hosts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func newConnectProxy(t *testing.T, deny bool, upstream string) *connectProxy {
	t.Helper()
	p := &connectProxy{}
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, r.Method+" "+r.Host)
		p.mu.Unlock()
		if r.Method != http.MethodConnect || deny {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		addr := r.Host
		if upstream != "" {
			addr = upstream
		}
		up, err := net.Dial("tcp", addr)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer up.Close()
		// Hijack first, then answer on the raw connection: a 200 written
		// through the ResponseWriter before hijacking may be cut off by the
		// hijack (the test was flaky, 3 in 100 runs, with an EOF).
		down, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer down.Close()
		if _, err := io.WriteString(down, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
			return
		}
		done := make(chan struct{}, 2)
		go func() { io.Copy(up, down); done <- struct{}{} }()
		go func() { io.Copy(down, up); done <- struct{}{} }()
		<-done
	}))
	p.URL, _ = url.Parse(s.URL)
	return p
}

func TestProxy(t *testing.T) {
	target, pool := newTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"code":0,"msg":""}`)
	}))
	targetHost := strings.TrimPrefix(target.URL, "https://")
	withProxy := func(u *url.URL) *Prober {
		tr := trusting(pool)
		tr.Proxy = http.ProxyURL(u)
		return &Prober{Transport: tr}
	}

	t.Run("tunnels through", func(t *testing.T) {
		px := newConnectProxy(t, false, "")
		got := runOne(t, withProxy(px.URL), Target{Name: "x", Method: "GET", URL: target.URL})
		if diff := cmp.Diff(outcome{Status: 200, Class: ClassOK, CozeCode: intp(0)}, outcomeOf(got)); diff != "" {
			t.Errorf("outcome (-want +got):\n%s\nerror: %s", diff, got.Error)
		}
		if diff := cmp.Diff([]string{"CONNECT " + targetHost}, px.hosts()); diff != "" {
			t.Errorf("proxy requests (-want +got):\n%s", diff)
		}
		if got.RemoteAddr != px.URL.Host {
			t.Errorf("remote address %q, want the proxy's %q", got.RemoteAddr, px.URL.Host)
		}
	})
	t.Run("refuses CONNECT", func(t *testing.T) {
		px := newConnectProxy(t, true, "")
		got := runOne(t, withProxy(px.URL), Target{Name: "x", Method: "GET", URL: target.URL})
		if diff := cmp.Diff(outcome{Class: ClassProxy, Hint: true, Error: true}, outcomeOf(got)); diff != "" {
			t.Errorf("outcome (-want +got):\n%s", diff)
		}
		if want := "the proxy answered CONNECT with 403 Forbidden"; got.Error != want {
			t.Errorf("error %q, want %q", got.Error, want)
		}
	})
	t.Run("not running", func(t *testing.T) {
		got := runOne(t, withProxy(&url.URL{Scheme: "http", Host: refusedAddr(t)}), Target{Name: "x", Method: "GET", URL: target.URL})
		if diff := cmp.Diff(outcome{Class: ClassProxy, Hint: true, Error: true}, outcomeOf(got)); diff != "" {
			t.Errorf("outcome (-want +got):\n%s (error %s)", diff, got.Error)
		}
		if !strings.Contains(got.Error, "could not reach the proxy") {
			t.Errorf("error %q does not blame the proxy", got.Error)
		}
	})
	t.Run("hangs up on CONNECT", func(t *testing.T) {
		u := &url.URL{Scheme: "http", Host: closeServer(t)}
		got := runOne(t, withProxy(u), Target{Name: "x", Method: "GET", URL: target.URL})
		if diff := cmp.Diff(outcome{Class: ClassProxy, Hint: true, Error: true}, outcomeOf(got)); diff != "" {
			t.Errorf("outcome (-want +got):\n%s (error %s)", diff, got.Error)
		}
	})
	t.Run("reported without credentials", func(t *testing.T) {
		px := newConnectProxy(t, false, "")
		withCreds := *px.URL
		withCreds.User = url.UserPassword("me", "secret")
		rep := withProxy(&withCreds).Run(t.Context(), []Target{{Name: "x", Method: "GET", URL: target.URL}})
		if want := px.URL.String(); rep.Proxy != want {
			t.Errorf("report proxy %q, want %q", rep.Proxy, want)
		}
	})
}

func TestProxyFor(t *testing.T) {
	byHost := func(r *http.Request) (*url.URL, error) {
		if r.URL.Hostname() == "www.coze.com" {
			return nil, nil
		}
		return url.Parse("http://user:pw@proxy.example:3128")
	}
	p := &Prober{Transport: &http.Transport{Proxy: byHost}}
	tests := []struct {
		name, url, want string
	}{
		{"proxied, credentials stripped", "https://api.coze.com/v1/chat", "http://proxy.example:3128"},
		{"direct", "https://www.coze.com/", ""},
		{"bad URL", "http://[::1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, p.ProxyFor(tt.url)); diff != "" {
				t.Errorf("ProxyFor(%q) (-want +got):\n%s", tt.url, diff)
			}
		})
	}
	t.Run("mixed targets", func(t *testing.T) {
		got := p.ProxySummary(Targets("https://api.coze.com", "https://www.coze.com", ""))
		if want := "http://proxy.example:3128, direct"; got != want {
			t.Errorf("summary %q, want %q", got, want)
		}
	})
	t.Run("no proxy function", func(t *testing.T) {
		p := &Prober{Transport: &http.Transport{}}
		if got := p.ProxyFor("https://api.coze.com/"); got != "" {
			t.Errorf("ProxyFor = %q, want direct", got)
		}
	})
}

// TestDefaultTransportEnv checks that a Prober without a Transport honors
// HTTPS_PROXY, NO_PROXY and SSL_CERT_FILE as Go does. Go reads them once per
// process, so the check runs in a child process of the test binary.
func TestDefaultTransportEnv(t *testing.T) {
	if os.Getenv("PROBE_ENV_CHILD") != "" {
		envChild(t)
		return
	}
	target, _ := newTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"code":0,"msg":"via proxy"}`)
	}))
	px := newConnectProxy(t, false, strings.TrimPrefix(target.URL, "https://"))
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: target.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	withCreds := *px.URL
	withCreds.User = url.UserPassword("me", "secret")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestDefaultTransportEnv$", "-test.v")
	cmd.Env = append(os.Environ(),
		"PROBE_ENV_CHILD=1",
		"HTTPS_PROXY="+withCreds.String(), "https_proxy=",
		"NO_PROXY=direct.invalid", "no_proxy=",
		"SSL_CERT_FILE="+ca,
		"WANT_PROXY="+px.URL.String(),
	)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestDefaultTransportEnv") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if diff := cmp.Diff([]string{"CONNECT example.com:443"}, px.hosts()); diff != "" {
		t.Errorf("proxy requests (-want +got):\n%s", diff)
	}
}

// envChild runs in the child process of TestDefaultTransportEnv.
func envChild(t *testing.T) {
	p := &Prober{}
	rep := p.Run(t.Context(), []Target{
		{Name: "proxied", Method: "GET", URL: "https://example.com/"},
		{Name: "direct", Method: "GET", URL: "https://direct.invalid/"},
	})
	if diff := cmp.Diff(outcome{Status: 200, Class: ClassOK, CozeCode: intp(0), CozeMsg: "via proxy"}, outcomeOf(rep.Targets[0])); diff != "" {
		t.Errorf("proxied outcome (-want +got):\n%s (error %s)", diff, rep.Targets[0].Error)
	}
	if got := rep.Targets[1].Class; got != ClassDNS {
		t.Errorf("direct target class %q, want dns (it must not go through the proxy)", got)
	}
	if want := os.Getenv("WANT_PROXY") + ", direct"; rep.Proxy != want {
		t.Errorf("report proxy %q, want %q", rep.Proxy, want)
	}
}
