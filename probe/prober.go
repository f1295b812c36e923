// Package probe tells whether Coze is reachable from here. It sends a few
// requests to Coze's hosts at once, times their phases with net/http/httptrace
// and sorts each outcome into a [Class]. An HTTP answer of any status proves
// the network path open; only a failure below HTTP (DNS, TCP, TLS, a
// timeout) means something blocks it. Results stream out of [Prober.Start]
// as they land so that a UI can draw each at once; the package prints nothing.
//
// It owns the targets, running them and classifying what came back. It must
// not print, read or refresh stored tokens (the caller hands it a token, or
// none), or treat an HTTP error status as a blocked path.
package probe

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/auth"
)

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
		if px := p.ProxyFor(t.URL); !slices.Contains(seen, px) {
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
	res := Result{Name: t.Name, Method: t.Method, URL: t.URL}
	ctx, cancel := context.WithTimeout(parent, p.timeout())
	defer cancel()

	rec := &recorder{}
	tr := base.Clone()
	// This transport serves one request. Without keep-alives a connection
	// whose dial completes after the request gave up is closed, not left
	// idle in a transport nobody will use again.
	tr.DisableKeepAlives = true
	defer tr.CloseIdleConnections()
	onConnect := tr.OnProxyConnectResponse
	tr.OnProxyConnectResponse = func(ctx context.Context, pu *url.URL, req *http.Request, resp *http.Response) error {
		rec.proxyAnswered(resp.StatusCode, resp.Status)
		if onConnect != nil {
			return onConnect(ctx, pu, req, resp)
		}
		return nil
	}
	client := &http.Client{
		Transport: tr,
		// The first answer is the one that proves the path; a redirect may
		// lead to another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	var body io.Reader
	if t.Body != nil {
		body = bytes.NewReader(t.Body)
	}
	req, err := http.NewRequestWithContext(rec.withTrace(ctx), t.Method, t.URL, body)
	if err != nil {
		res.Class, res.Error, res.Hint = ClassError, "invalid request: "+err.Error(), hint(ClassError, phaseUnknown)
		return res
	}
	req.Header.Set("User-Agent", p.userAgent())
	if t.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if t.Token != "" {
		req.Header.Set("Authorization", "Bearer "+t.Token)
	}
	proxied := proxyURL(tr, req) != nil

	rec.begin(time.Now())
	resp, err := client.Do(req)
	if err != nil {
		snap := rec.end(time.Now())
		res.Timings, res.RemoteAddr = snap.timings, snap.remote
		ph := snap.phase(proxied && req.URL.Scheme == "https")
		res.Class, res.Error = classify(failure{
			err:           err,
			canceled:      errors.Is(parent.Err(), context.Canceled),
			phase:         ph,
			proxied:       proxied,
			connectStatus: snap.connectStatus,
			tlsFailed:     snap.tlsFailed,
			timeout:       p.timeout(),
		})
		res.Hint = hint(res.Class, ph)
		return res
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	res.Class = classOfStatus(resp.StatusCode)
	res.LogID = resp.Header.Get(auth.LogIDHeader)
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	snap := rec.end(time.Now())
	res.Timings, res.RemoteAddr = snap.timings, snap.remote
	if readErr != nil {
		// The answer proved the path; a body cut short only costs its details.
		res.Error = "reading the body: " + readErr.Error()
	}
	if cb, ok := auth.ParseReply(data); ok {
		res.CozeCode, res.CozeMsg = cb.Code, cb.Msg
		if res.LogID == "" {
			res.LogID = cb.Detail.LogID
		}
		if t.Token != "" && *cb.Code == 0 && res.Class == ClassOK {
			res.User = userName(cb.Data)
		}
	}
	res.Hint = hint(res.Class, phaseUnknown)
	if t.Token != "" && res.Hint == "" {
		res.Hint = tokenHint(res.Status, res.CozeCode)
	}
	return res
}
