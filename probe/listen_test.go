package probe

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// rawServer accepts connections on loopback and hands each to handle; it
// returns the address. Connections still open are closed at cleanup.
func rawServer(t *testing.T, handle func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { handle(c.(*net.TCPConn)) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// readSome reads the start of what the client sends (a request line or a
// TLS ClientHello), so the client is waiting for an answer afterwards.
func readSome(c net.Conn) {
	buf := make([]byte, 4096)
	_, _ = c.Read(buf)
}

// resetServer reads the client's first bytes and answers with a TCP RST, as
// a firewall that filters by content does.
func resetServer(t *testing.T) string {
	return rawServer(t, func(c *net.TCPConn) {
		readSome(c)
		_ = c.SetLinger(0)
		c.Close()
	})
}

// closeServer reads the client's first bytes and closes the connection
// cleanly without a word.
func closeServer(t *testing.T) string {
	return rawServer(t, func(c *net.TCPConn) {
		readSome(c)
		c.Close()
	})
}

// silentServer accepts and reads but never answers. Each accepted
// connection is reported on the returned channel, which has room for n.
func silentServer(t *testing.T, n int) (string, <-chan struct{}) {
	accepted := make(chan struct{}, n)
	addr := rawServer(t, func(c *net.TCPConn) {
		select {
		case accepted <- struct{}{}:
		default:
		}
		_, _ = io.Copy(io.Discard, c)
	})
	return addr, accepted
}

// refusedAddr is a loopback address nobody listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// newServer is an httptest server closed at cleanup.
func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// newTLSServer is an httptest TLS server closed at cleanup, with a pool
// trusting its certificate (valid for 127.0.0.1 and example.com, not for
// localhost).
func newTLSServer(t *testing.T, h http.Handler) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	// Failed handshakes are the point of some tests, not news.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return s, pool
}

// trusting is a transport without proxies that trusts pool.
func trusting(pool *x509.CertPool) *http.Transport {
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
}
