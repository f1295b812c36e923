package etcdstore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/auth/internal/shared"
)

// dialTimeout bounds one connection attempt to one member, so that a
// member that swallows packets leaves time for the next within ctx.
const dialTimeout = 5 * time.Second

// maxIdlePerMember is how many idle connections are kept to each member:
// a machine runs a few refreshes at a time, each one call after another.
const maxIdlePerMember = 8

var _ shared.Engine = (*Engine)(nil)

// Engine keeps shared login records in one etcd cluster under a prefix:
// records at <prefix>/profiles/<profile>, refresh locks at
// <prefix>/locks/<profile>. A record's version is its key's ModRevision.
type Engine struct {
	gw     *gateway
	prefix string
	// where names the cluster in every error, "etcd at host:port,…".
	where string
}

// Open makes an Engine from an etcd:// URL (see the package comment),
// taking what the URL leaves out from the ETCDCTL_ variables through
// getenv. It does not contact the cluster: a cluster that cannot be
// reached shows in the first call, bounded by that call's ctx.
func Open(rawURL string, getenv func(string) string) (*Engine, error) {
	c, err := parseURL(rawURL, getenv)
	if err != nil {
		return nil, err
	}
	where := "etcd at " + strings.Join(c.endpoints, ",")
	transport := &http.Transport{
		Proxy:               nil, // members are reached directly, as etcdctl does
		DialContext:         (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: dialTimeout,
		// A member that takes the request and never answers is left
		// for the next one, even when the caller's ctx is long.
		ResponseHeaderTimeout: 3 * dialTimeout,
		MaxIdleConnsPerHost:   maxIdlePerMember,
		IdleConnTimeout:       90 * time.Second,
	}
	scheme := "http://"
	if c.tls() {
		scheme = "https://"
		if transport.TLSClientConfig, err = tlsConfig(c); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}
	gw := &gateway{client: &http.Client{Transport: transport}, user: c.user, password: c.password}
	for _, ep := range c.endpoints {
		gw.endpoints = append(gw.endpoints, scheme+ep)
	}
	return &Engine{gw: gw, prefix: c.prefix, where: where}, nil
}

// tlsConfig loads the CA and the client certificate the URL names.
func tlsConfig(c config) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.cacert != "" {
		pem, err := os.ReadFile(c.cacert)
		if err != nil {
			return nil, fmt.Errorf("could not read the CA certificate (cacert=): %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the CA certificate %s holds no PEM certificate; give the cluster's CA in PEM", c.cacert)
		}
		t.RootCAs = pool
	}
	if c.cert != "" {
		pair, err := tls.LoadX509KeyPair(c.cert, c.key)
		if err != nil {
			return nil, fmt.Errorf("could not load the client certificate %s with key %s: %w", c.cert, c.key, err)
		}
		t.Certificates = []tls.Certificate{pair}
	}
	return t, nil
}

// recordKey is where profile's record lives.
func (e *Engine) recordKey(profile string) string { return e.prefix + "/profiles/" + profile }

// lockDir is the prefix of profile's lock waiters' keys, slash included.
func (e *Engine) lockDir(profile string) string { return e.prefix + "/locks/" + profile + "/" }

// checkProfile refuses names that would not stay one key: a profile
// holding / would share the lock prefix of another (locks/a and
// locks/a/b), and an empty one would be the directory itself.
func (e *Engine) checkProfile(profile string) error {
	if profile == "" || strings.Contains(profile, "/") {
		return fmt.Errorf("%s: profile name %q cannot be kept in etcd: it must be non-empty and without /", e.where, profile)
	}
	return nil
}

// fail wraps a cluster error with where it came from and what was done.
func (e *Engine) fail(what string, err error) error {
	return fmt.Errorf("%s: %s: %w", e.where, what, err)
}

// Get returns profile's record and version, or nil and 0 when it has none.
func (e *Engine) Get(ctx context.Context, profile string) ([]byte, int64, error) {
	if err := e.checkProfile(profile); err != nil {
		return nil, 0, err
	}
	return e.get(ctx, profile)
}

// get reads profile's record; the name is already checked.
func (e *Engine) get(ctx context.Context, profile string) ([]byte, int64, error) {
	var resp rangeResponse
	if err := e.gw.call(ctx, "/v3/kv/range", rangeRequest{Key: []byte(e.recordKey(profile))}, &resp); err != nil {
		return nil, 0, e.fail(fmt.Sprintf("could not read profile %q", profile), err)
	}
	if len(resp.Kvs) == 0 {
		return nil, 0, nil
	}
	kv := resp.Kvs[0]
	data := kv.Value
	if data == nil {
		data = []byte{} // an empty record is still a record
	}
	return data, int64(kv.ModRevision), nil
}

// Profiles lists the profiles that have a record, sorted.
func (e *Engine) Profiles(ctx context.Context) ([]string, error) {
	dir := e.prefix + "/profiles/"
	req := rangeRequest{Key: []byte(dir), RangeEnd: prefixEnd(dir), KeysOnly: true, SortOrder: "ASCEND", SortTarget: "KEY"}
	var resp rangeResponse
	if err := e.gw.call(ctx, "/v3/kv/range", req, &resp); err != nil {
		return nil, e.fail("could not list profiles", err)
	}
	names := make([]string, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		names = append(names, strings.TrimPrefix(string(kv.Key), dir))
	}
	sort.Strings(names)
	return names, nil
}

// Close closes the idle connections to the members. Locks still held
// lapse when their leases expire.
func (e *Engine) Close() error {
	e.gw.client.CloseIdleConnections()
	return nil
}

// prefixEnd is the range_end that makes a range cover every key that
// starts with prefix: prefix with its last byte below 0xff incremented.
func prefixEnd(prefix string) []byte {
	end := []byte(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return []byte{0} // every key from prefix on
}
