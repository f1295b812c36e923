// Package probe tells whether Coze is reachable from here. It sends a few
// requests to Coze's hosts at once, times their phases with net/http/httptrace
// and sorts each outcome into a [Class]. An HTTP answer of any status proves
// the network path open; only a failure below HTTP (DNS, TCP, TLS, a
// timeout) means something blocks it. Results stream out of [Prober.Start]
// as they land so that a UI can draw each at once; the package prints nothing.
//
// It owns the targets, running them and classifying what came back. It must
// not print, read or refresh stored tokens (the caller hands it a token, or
// none), or treat an HTTP error status as a blocked path. It reads Coze's
// answers with package coze and never imports auth, so the token store, the
// keyring, the lock and JWT signing are not linked into it.
package probe

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// familyGrace is how long an answered target waits to learn how its other
// IP family's dial ends (see recorder.settle).
const familyGrace = 250 * time.Millisecond

// DefaultTimeout bounds each target when [Prober.Timeout] is zero.
const DefaultTimeout = 10 * time.Second

// maxBody is how much of an answer is read: enough for Coze's JSON, while a
// web page is cut short.
const maxBody = 64 << 10

// Prober runs targets. The zero value is ready to use.
type Prober struct {
	// Transport is cloned for every target, so that each measures its own
	// connection. Nil means a transport like http.DefaultTransport, with
	// Proxy set to http.ProxyFromEnvironment (HTTPS_PROXY, NO_PROXY).
	Transport *http.Transport
	// Timeout bounds each target; zero means DefaultTimeout.
	Timeout time.Duration
	// UserAgent is sent with every request; "" means "cozeauth".
	UserAgent string
	// Resolver looks up host names; nil means the system's. Tests pass
	// one that lies.
	Resolver Resolver
	// Now is the clock the Date of Coze's answers is compared with; nil
	// means time.Now.
	Now func() time.Time
}

func (p *Prober) resolver() Resolver {
	if p.Resolver != nil {
		return p.Resolver
	}
	return &net.Resolver{}
}

func (p *Prober) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Prober) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultTimeout
}

func (p *Prober) userAgent() string {
	if p.UserAgent != "" {
		return p.UserAgent
	}
	return "cozeauth"
}

// base is the transport to clone; a new one each call, never shared state.
func (p *Prober) base() *http.Transport {
	if p.Transport != nil {
		return p.Transport
	}
	// Not http.DefaultTransport itself: it is a global anyone may replace.
	// No dial or handshake timeouts either: the per-target context bounds all.
	return &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
}

// Start runs all targets at once and sends each result as it finishes. The
// channel is closed when all are done. When ctx is canceled the unfinished
// targets come back promptly as [ClassCanceled].
func (p *Prober) Start(ctx context.Context, targets []Target) <-chan Result {
	// Buffered for every result, so a reader that stops early leaks nothing.
	out := make(chan Result, len(targets))
	base := p.base()
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			r := p.probe(ctx, base, t)
			r.Index = i
			out <- r
		})
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// Run runs all targets at once and reports on them in order.
func (p *Prober) Run(ctx context.Context, targets []Target) Report {
	start := time.Now()
	results := make([]Result, 0, len(targets))
	for r := range p.Start(ctx, targets) {
		results = append(results, r)
	}
	return NewReport(results, time.Since(start), p.ProxySummary(targets))
}

// ProxyFor returns the proxy a request to rawURL would go through, without
// credentials, or "" for a direct connection.
func (p *Prober) ProxyFor(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	pu := proxyURL(p.base(), &http.Request{Method: "GET", URL: u, Header: http.Header{}})
	if pu == nil {
		return ""
	}
	clean := *pu
	clean.User = nil
	return clean.String()
}

// ProxySummary names the one proxy all targets go through ("" for direct),
// or the distinct choices, such as "http://proxy:3128, direct".
func (p *Prober) ProxySummary(targets []Target) string {
	var seen []string
	for _, t := range targets {
		if px := p.ProxyFor(httpURL(t.URL)); !slices.Contains(seen, px) {
			seen = append(seen, px)
		}
	}
	if len(seen) <= 1 {
		return strings.Join(seen, "")
	}
	for i, s := range seen {
		if s == "" {
			seen[i] = "direct"
		}
	}
	return strings.Join(seen, ", ")
}

func proxyURL(tr *http.Transport, req *http.Request) *url.URL {
	if tr.Proxy == nil {
		return nil
	}
	u, err := tr.Proxy(req)
	if err != nil {
		return nil
	}
	return u
}

// probe runs one target on its own clone of base under its own timeout.
func (p *Prober) probe(parent context.Context, base *http.Transport, t Target) Result {
	res := Result{Name: t.Name, Group: t.Group, Label: t.Label, Region: t.Region, Method: t.Method, URL: t.URL}
	ctx, cancel := context.WithTimeout(parent, p.timeout())
	defer cancel()

	rec := &recorder{}
	client, tr := p.client(base, t, rec)
	defer tr.CloseIdleConnections()

	req, key, err := p.newRequest(rec.withTrace(ctx), t)
	if err != nil {
		res.Class, res.Error, res.Hint = ClassError, "invalid request: "+err.Error(), hint(ClassError, phaseUnknown)
		return res
	}
	proxied := proxyURL(tr, req) != nil

	rec.begin(time.Now())
	resp, err := client.Do(req)
	if err != nil {
		p.failed(&res, rec.end(time.Now()), failure{
			err:      err,
			canceled: errors.Is(parent.Err(), context.Canceled),
			proxied:  proxied,
			timeout:  p.timeout(),
		}, req)
		return res
	}
	defer resp.Body.Close()
	p.answered(&res, t, resp, rec, key)
	return res
}

// client returns a client over a clone of base that records into rec and
// dials through the prober's resolver.
func (p *Prober) client(base *http.Transport, t Target, rec *recorder) (*http.Client, *http.Transport) {
	tr := base.Clone()
	// This transport serves one request. Without keep-alives a connection
	// whose dial completes after the request gave up is closed, not left
	// idle in a transport nobody will use again.
	tr.DisableKeepAlives = true
	onConnect := tr.OnProxyConnectResponse
	tr.OnProxyConnectResponse = func(ctx context.Context, pu *url.URL, req *http.Request, resp *http.Response) error {
		rec.proxyAnswered(resp.StatusCode, resp.Status)
		if onConnect != nil {
			return onConnect(ctx, pu, req, resp)
		}
		return nil
	}
	inner := tr.DialContext
	if inner == nil {
		inner = (&net.Dialer{}).DialContext
	}
	host := ""
	if u, err := url.Parse(httpURL(t.URL)); err == nil {
		host = u.Hostname()
	}
	tr.DialContext = (&dialer{resolver: p.resolver(), inner: inner, rec: rec, host: host, timeout: p.timeout()}).dial
	return &http.Client{
		Transport: tr,
		// The first answer is the one that proves the path; a redirect may
		// lead to another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, tr
}

// newRequest builds t's request; for a WebSocket target, the handshake and
// the key its answer must prove it read.
func (p *Prober) newRequest(ctx context.Context, t Target) (*http.Request, string, error) {
	var body io.Reader
	if t.Body != nil {
		body = bytes.NewReader(t.Body)
	}
	req, err := http.NewRequestWithContext(ctx, t.Method, httpURL(t.URL), body)
	if err != nil {
		return nil, "", err
	}
	coze.SetUserAgent(req.Header, p.userAgent())
	if t.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if t.Token != "" {
		req.Header.Set("Authorization", "Bearer "+t.Token)
	}
	key := ""
	if t.Expect == ExpectWebSocket {
		key = wsKey()
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", key)
	}
	return req, key, nil
}

// failed fills in a target that got no HTTP answer.
func (p *Prober) failed(res *Result, snap snapshot, f failure, req *http.Request) {
	res.Timings, res.RemoteAddr = snap.timings, snap.remote
	p.noteDNS(res, snap)
	f.phase = snap.phase(f.proxied && req.URL.Scheme == "https")
	f.connectStatus, f.tlsFailed = snap.connectStatus, snap.tlsFailed
	res.Class, res.Error = classify(f)
	res.Class, res.Error = suspectDNS(res.Class, res.Error, req.URL.Hostname(), snap.resolved, f.proxied)
	res.Hint = hint(res.Class, f.phase)
}

// answered fills in a target that got an HTTP answer.
func (p *Prober) answered(res *Result, t Target, resp *http.Response, rec *recorder, key string) {
	res.Status = resp.StatusCode
	res.LogID = resp.Header.Get(coze.LogIDHeader)
	res.Skew, res.HasDate = p.skew(resp)
	var data []byte
	var readErr error
	if resp.StatusCode != http.StatusSwitchingProtocols {
		// An upgraded connection has no body to read: it stays open.
		data, readErr = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	}
	end := time.Now()
	rec.settle(familyGrace)
	snap := rec.end(end)
	res.Timings, res.RemoteAddr = snap.timings, snap.remote
	p.noteDNS(res, snap)
	if readErr != nil {
		// The answer proved the path; a body cut short only costs its details.
		res.Error = "reading the body: " + readErr.Error()
	}
	var detail string
	res.Class, detail = judgeAnswer(t, resp, data, key)
	if detail != "" {
		res.Error = detail
	}
	p.readCoze(res, t, resp, data)
	res.Hint = hint(res.Class, phaseUnknown)
	if t.Token != "" && res.Hint == "" {
		res.Hint = tokenHint(res.Status, res.CozeCode)
	}
	if res.Hint == "" && res.FamilyNote != "" {
		res.Hint = familyHint
	}
}

// readCoze reads Coze's code, message and log id from an answer: the
// open-API envelope, or the OAuth layer's error.
func (p *Prober) readCoze(res *Result, t Target, resp *http.Response, data []byte) {
	if res.Class == ClassIntercepted {
		return
	}
	if cb, ok := coze.ParseReply(data); ok {
		res.CozeCode, res.CozeMsg = cb.Code, cb.Msg
		if res.LogID == "" {
			res.LogID = cb.Detail.LogID
		}
		if t.Token != "" && *cb.Code == 0 && res.Class == ClassOK {
			res.User = userName(cb.Data)
		}
		return
	}
	if t.Expect == ExpectOAuthJSON {
		res.CozeMsg = coze.NewAPIError(resp, data).Msg
	}
}

// noteDNS copies what the target's name resolved to and how each IP family
// fared.
func (p *Prober) noteDNS(res *Result, snap snapshot) {
	res.Resolved = snap.resolved
	if host, _, err := net.SplitHostPort(snap.remote); err == nil && snap.connected {
		if ip, err := netip.ParseAddr(host); err == nil {
			res.Family = familyOf(ip)
		}
	}
	res.FamilyNote = familyNote(snap.families, res.Family)
}
