package etcdstore

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth/internal/shared"
	"github.com/cozeauth/cozeauth/auth/internal/shared/sharedtest"
	"github.com/cozeauth/cozeauth/internal/testengine"
)

// testCA signs the certificates of a TLS test: a server's for 127.0.0.1
// and a client's.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cozeauth test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, dir: t.TempDir()}
	ca.write(t, "ca.pem", "CERTIFICATE", der)
	return ca
}

func (ca *testCA) write(t *testing.T, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(ca.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// issue signs a leaf certificate for usage, written as name.pem and
// name-key.pem; it returns their paths and the pair for a tls.Config.
func (ca *testCA) issue(t *testing.T, name string, usage x509.ExtKeyUsage) (certPath, keyPath string, pair tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certPath, keyPath = ca.write(t, name+".pem", "CERTIFICATE", der), ca.write(t, name+"-key.pem", "EC PRIVATE KEY", keyDER)
	pair, err = tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath, pair
}

// TestTLSWithClientCertificates runs the conformance suite over TLS with
// client certificates: a real etcd behind a TLS front that demands a
// certificate signed by the test CA, as an etcd started with
// --client-cert-auth does. Without the client certificate, or trusting
// another CA, nothing gets through.
func TestTLSWithClientCertificates(t *testing.T) {
	c := testengine.StartEtcd(t, 1)
	ca := newTestCA(t)
	_, _, serverPair := ca.issue(t, "server", x509.ExtKeyUsageServerAuth)
	clientCert, clientKey, _ := ca.issue(t, "client", x509.ExtKeyUsageClientAuth)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	backend, _ := url.Parse("http://" + c.Endpoints()[0])
	front := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(backend))
	front.TLS = &tls.Config{Certificates: []tls.Certificate{serverPair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	front.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes below
	front.StartTLS()
	t.Cleanup(front.Close)
	addr := strings.TrimPrefix(front.URL, "https://")
	caPath := filepath.Join(ca.dir, "ca.pem")

	storage := "etcd://" + addr + "/tls?cacert=" + url.QueryEscape(caPath) + "&cert=" + url.QueryEscape(clientCert) + "&key=" + url.QueryEscape(clientKey)
	sharedtest.Run(t, func(t *testing.T) func() shared.Engine {
		prefix := strings.ReplaceAll(t.Name(), "/", "-")
		return func() shared.Engine {
			e, err := Open(strings.Replace(storage, "/tls?", "/"+prefix+"?", 1), func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { e.Close() })
			return e
		}
	})

	// The same files from ETCDCTL_* work as well as from the query.
	env := map[string]string{"ETCDCTL_CACERT": caPath, "ETCDCTL_CERT": clientCert, "ETCDCTL_KEY": clientKey}
	e, err := Open("etcd://"+addr+"/env", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, _, err := e.Get(guard(t), "bots"); err != nil {
		t.Errorf("Get with TLS from ETCDCTL_*: %v", err)
	}

	otherCA := newTestCA(t)
	for name, bad := range map[string]string{
		"no client certificate": "etcd://" + addr + "/tls?cacert=" + url.QueryEscape(caPath),
		"another CA trusted":    "etcd://" + addr + "/tls?cacert=" + url.QueryEscape(filepath.Join(otherCA.dir, "ca.pem")) + "&cert=" + url.QueryEscape(clientCert) + "&key=" + url.QueryEscape(clientKey),
	} {
		e, err := Open(bad, func(string) string { return "" })
		if err != nil {
			t.Fatalf("%s: Open: %v", name, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _, err = e.Get(ctx, "bots")
		cancel()
		e.Close()
		if err == nil || !strings.Contains(err.Error(), "certificate") && !strings.Contains(err.Error(), "tls") {
			t.Errorf("%s: Get = %v, want a TLS refusal", name, err)
		}
	}
}
