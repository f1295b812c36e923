// Package proxy is cozeauth's local authenticating reverse proxy: programs
// in any language point their Coze SDK at it with a local key as their "API
// token", and it forwards each request to the profile's API base (or, for
// a WebSocket upgrade, its ws base) with a valid access token in place of
// the key. The token lives in memory ([Cache]) and is renewed through the
// profile's [auth.Manager] — its store, lock and margin — so the proxy
// shares one rotating refresh token with every other cozeauth process.
//
// The proxy is a chain of plain handlers, each testable alone: [Log]
// (one line per request), [RequireHost] (DNS rebinding), [RequireKey] (the
// local key), [Inject] (the token, and the one retry after a renewal) and
// the two [httputil.ReverseProxy]s. It is a single-user tool on loopback:
// the key is the boundary.
package proxy

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options configure a proxy.
type Options struct {
	// API is the API base requests go to, e.g. https://api.coze.com.
	API string
	// WS is the WebSocket base upgrades go to, e.g. wss://ws.coze.com
	// (ws, wss, http or https).
	WS string
	// Tokens gives the access tokens: a [Cache] or a [Static].
	Tokens Tokens
	// Key is the local key clients must send as their bearer token.
	Key string
	// Hosts are the Host headers answered ([AllowedHosts]).
	Hosts []string
	// Log gets one line per request; nil means none.
	Log io.Writer
	// Transport carries requests to Coze; nil means [NewTransport].
	Transport http.RoundTripper
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// New returns the proxy's handler.
func New(o Options) (http.Handler, error) {
	api, err := parseBase(o.API, "http", "https")
	if err != nil {
		return nil, fmt.Errorf("API base: %w", err)
	}
	ws, err := parseBase(o.WS, "ws", "wss", "http", "https")
	if err != nil {
		return nil, fmt.Errorf("WebSocket base: %w", err)
	}
	switch ws.Scheme { // the transport dials http(s); the upgrade does the rest
	case "ws":
		ws.Scheme = "http"
	case "wss":
		ws.Scheme = "https"
	}
	if o.Key == "" || len(o.Hosts) == 0 || o.Tokens == nil {
		return nil, fmt.Errorf("a proxy needs a key, its hosts and tokens")
	}
	tr := o.Transport
	if tr == nil {
		tr = NewTransport()
	}
	pool := &bufferPool{}
	route := &router{api: reverseProxy(api, tr, pool), ws: reverseProxy(ws, tr, pool)}
	var h http.Handler = &Inject{Tokens: o.Tokens, Next: route, Now: o.Now}
	h = RequireKey(o.Key, h)
	h = RequireHost(o.Hosts, h)
	return Log(o.Log, h), nil
}

func parseBase(raw string, schemes ...string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not a URL like https://api.coze.com", raw)
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return u, nil
		}
	}
	return nil, fmt.Errorf("%q: the scheme must be one of %s", raw, strings.Join(schemes, ", "))
}

// router sends WebSocket upgrades to the ws host, everything else to the
// API host.
type router struct{ api, ws http.Handler }

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		rt.ws.ServeHTTP(w, r)
		return
	}
	rt.api.ServeHTTP(w, r)
}

// reverseProxy forwards to target: Rewrite (never Director), so hop-by-hop
// and X-Forwarded headers the client sent are dropped and none are added;
// FlushInterval -1, so each server-sent event goes on the moment it comes;
// its own answer, in Coze's shape, when Coze cannot be reached.
func reverseProxy(target *url.URL, tr http.RoundTripper, pool httputil.BufferPool) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Del(Header)
		},
		Transport:     tr,
		FlushInterval: -1,
		BufferPool:    pool,
		ErrorHandler:  upstreamFailure,
		ErrorLog:      log.New(io.Discard, "", 0), // failures are answered and logged by Log
	}
}

// bufferPool reuses the buffers answers are copied through, one 32 KiB
// buffer per request otherwise: less garbage under load.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if buf, ok := b.p.Get().(*[]byte); ok {
		return *buf
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

// NewTransport is the transport to Coze: kept-alive connections, enough of
// them idle for a few dozen concurrent clients (the default of 2 per host
// would open and close connections under load), HTTP/2 where the server
// speaks it, and no overall timeout — a workflow or a chat may stream for
// minutes. $HTTPS_PROXY is honoured (never for loopback).
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
