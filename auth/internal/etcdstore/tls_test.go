package etcdstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCert writes a fresh self-signed certificate and its key as PEM
// files in dir and returns their paths.
func writeCert(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "cozeauth-test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir)
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}

	c := config{cacert: cert, cert: cert, key: key}
	got, err := tlsConfig(c)
	if err != nil {
		t.Fatalf("tlsConfig: %v", err)
	}
	if got.RootCAs == nil || len(got.Certificates) != 1 {
		t.Errorf("tlsConfig = RootCAs %v, %d certificates; want the CA and one client certificate", got.RootCAs, len(got.Certificates))
	}

	for name, tc := range map[string]struct {
		c    config
		says string
	}{
		"CA that is not PEM":  {config{cacert: notPEM}, "holds no PEM certificate"},
		"missing CA":          {config{cacert: filepath.Join(dir, "gone.pem")}, "gone.pem"},
		"key that is not PEM": {config{cert: cert, key: notPEM}, "not.pem"},
		"missing client cert": {config{cert: filepath.Join(dir, "gone.pem"), key: key}, "gone.pem"},
	} {
		_, err := tlsConfig(tc.c)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: tlsConfig = %v, want an error saying %q", name, err, tc.says)
		}
	}

	e, err := Open("etcd://127.0.0.1:2379/p?cacert="+cert+"&cert="+cert+"&key="+key, func(string) string { return "" })
	if err != nil {
		t.Fatalf("Open with TLS files: %v", err)
	}
	defer e.Close()
	for _, ep := range e.gw.endpoints {
		if !strings.HasPrefix(ep, "https://") {
			t.Errorf("endpoint %q with TLS files, want https://", ep)
		}
	}
}
