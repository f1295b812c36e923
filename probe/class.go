package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// Class sorts the outcome of one target. The HTTP classes mean the path is
// open, whatever the status; the others name where below HTTP it broke.
type Class string

// The classes a [Result] can have.
const (
	ClassOK           Class = "ok"            // 2xx or 3xx
	ClassAuthRequired Class = "auth_required" // 401 or 403
	ClassNotFound     Class = "not_found"     // 404
	ClassHTTPError    Class = "answered"      // any other 4xx: Coze answered, refusing the request itself
	ClassServerError  Class = "server_error"  // 5xx
	ClassDNS          Class = "dns"
	// ClassNoNetwork: this machine has no route to any network (no
	// interface up, no default route), which says nothing about Coze.
	ClassNoNetwork      Class = "no_network"
	ClassConnectRefused Class = "connect_refused"
	ClassConnectTimeout Class = "connect_timeout"
	ClassReset          Class = "reset"
	ClassTLS            Class = "tls"
	ClassTimeout        Class = "timeout"
	ClassProxy          Class = "proxy"
	ClassCanceled       Class = "canceled"
	// ClassIntercepted is an answer only something in the path gives: HTML
	// or another non-JSON body where Coze sends JSON, a WebSocket handshake
	// answered without an upgrade. It counts as blocked.
	ClassIntercepted Class = "intercepted"
	// ClassDNSSuspect is a failure to connect after the name resolved to an
	// address Coze cannot have (private, loopback, fake-IP ranges).
	ClassDNSSuspect Class = "dns_suspect"
	// ClassError is a failure none of the others describes, such as a
	// malformed HTTP answer or an invalid URL.
	ClassError Class = "error"
)

// Answered reports whether the target answered over HTTP, which proves the
// network path open.
func (c Class) Answered() bool {
	switch c {
	case ClassOK, ClassAuthRequired, ClassNotFound, ClassHTTPError, ClassServerError:
		return true
	}
	return false
}

// classOfStatus sorts an HTTP status.
func classOfStatus(status int) Class {
	switch {
	case status >= 200 && status < 400:
		return ClassOK
	case status == 401 || status == 403:
		return ClassAuthRequired
	case status == 404:
		return ClassNotFound
	case status >= 500 && status < 600:
		return ClassServerError
	}
	return ClassHTTPError
}

// phase is where a request was when it failed.
type phase int

const (
	phaseUnknown phase = iota
	phaseDNS
	phaseConnect
	phaseProxy // waiting for the proxy to open the tunnel
	phaseTLS
	phaseWait // connected, waiting for the response
)

func (p phase) String() string {
	switch p {
	case phaseDNS:
		return "resolving the name"
	case phaseConnect:
		return "connecting"
	case phaseProxy:
		return "waiting for the proxy to open a tunnel"
	case phaseTLS:
		return "in the TLS handshake"
	case phaseWait:
		return "waiting for the response"
	}
	return "before an answer"
}

// failure is what classify needs to know about a request that got no answer.
type failure struct {
	err      error
	canceled bool // the caller's context was canceled (not a per-target timeout)
	phase    phase
	proxied  bool
	// connectStatus is the proxy's non-200 answer to CONNECT, if any.
	connectStatus string
	// tlsFailed: a TLS handshake ended in an error, which the transport may
	// have replaced with its own (such as "server gave HTTP response to
	// HTTPS client").
	tlsFailed bool
	timeout   time.Duration
}

// classify sorts a request that got no HTTP answer and says what went wrong
// in words, without Go's "Get \"url\": " prefix. The steps run in order,
// from the caller's own cancel outwards along the path; the first that
// recognises the failure names it.
func classify(f failure) (Class, string) {
	fc := newFacts(f)
	for _, step := range []func(facts) (Class, string, bool){
		classifyCanceled, classifyNoNetwork, classifyProxy, classifyDNS, classifyConnect, classifyCut,
	} {
		if c, msg, ok := step(fc); ok {
			return c, msg
		}
	}
	return ClassError, fc.err.Error()
}

// facts are what the steps of classify look at.
type facts struct {
	failure
	op       *net.OpError // nil when the error is not one
	timedOut bool         // a deadline passed, the target's or the network's
}

func newFacts(f failure) facts {
	fc := facts{failure: f}
	var ue *url.Error
	if errors.As(f.err, &ue) {
		fc.err = ue.Err
	}
	if !errors.As(fc.err, &fc.op) {
		fc.op = nil
	}
	fc.timedOut = errors.Is(fc.err, context.DeadlineExceeded) || isTimeout(fc.err)
	return fc
}

// noAnswerWithin says that a deadline passed in the phase where it did.
func (f facts) noAnswerWithin() string {
	return fmt.Sprintf("no answer within %s %s", f.timeout, f.phase)
}

// classifyCanceled: the caller gave up, which says nothing about the path.
func classifyCanceled(f facts) (Class, string, bool) {
	return ClassCanceled, "canceled " + f.phase.String(), f.canceled
}

// classifyNoNetwork: the system refused to send at all, the lookup's query
// to the DNS server included ("dial udp …:53: connect: network is
// unreachable"): no network here, not a block on the way to Coze.
func classifyNoNetwork(f facts) (Class, string, bool) {
	var dns *net.DNSError
	switch {
	case errors.Is(f.err, syscall.ENETUNREACH):
		return ClassNoNetwork, f.err.Error(), true
	case errors.As(f.err, &dns) && strings.Contains(dns.Err, "network is unreachable"):
		return ClassNoNetwork, dns.Error(), true
	}
	return "", "", false
}

// classifyProxy: the proxy refused the tunnel, could not be reached, or
// dropped the tunnel before it opened.
func classifyProxy(f facts) (Class, string, bool) {
	switch {
	case f.connectStatus != "":
		return ClassProxy, "the proxy answered CONNECT with " + f.connectStatus, true
	case f.op != nil && f.op.Op == "proxyconnect":
		return ClassProxy, "could not reach the proxy: " + f.op.Err.Error(), true
	case f.proxied && f.phase == phaseProxy && f.timedOut:
		return ClassProxy, f.noAnswerWithin(), true
	case f.proxied && f.phase == phaseProxy:
		return ClassProxy, "the proxy closed the tunnel: " + f.err.Error(), true
	}
	return "", "", false
}

// classifyDNS: the name did not resolve, or not in time.
func classifyDNS(f facts) (Class, string, bool) {
	var dns *net.DNSError
	switch {
	case errors.As(f.err, &dns):
		// The lookup's own words, without the dialer's "dial tcp: ".
		return ClassDNS, dns.Error(), true
	case f.timedOut && f.phase == phaseDNS:
		return ClassDNS, f.noAnswerWithin(), true
	}
	return "", "", false
}

// classifyConnect: the TCP connection was refused or got no reply.
func classifyConnect(f facts) (Class, string, bool) {
	switch {
	case errors.Is(f.err, syscall.ECONNREFUSED):
		return ClassConnectRefused, f.err.Error(), true
	case f.op != nil && f.op.Op == "dial" && f.op.Timeout():
		return ClassConnectTimeout, f.err.Error(), true
	case f.timedOut && f.phase == phaseConnect:
		return ClassConnectTimeout, f.noAnswerWithin(), true
	}
	return "", "", false
}

// classifyCut: connected, then cut, refused in TLS, or left waiting.
func classifyCut(f facts) (Class, string, bool) {
	switch {
	case isReset(f.err):
		return ClassReset, f.err.Error(), true
	case isTLS(f.err), f.tlsFailed && !f.timedOut:
		return ClassTLS, f.err.Error(), true
	case f.timedOut && errors.Is(f.err, context.DeadlineExceeded):
		return ClassTimeout, f.noAnswerWithin(), true
	case f.timedOut:
		return ClassTimeout, f.err.Error(), true
	case f.phase == phaseTLS:
		return ClassTLS, f.err.Error(), true
	}
	return "", "", false
}

// suspectDNS turns a failure to connect into [ClassDNSSuspect] when the
// target's name resolved to addresses Coze cannot have. A target that
// answered is fine wherever it resolved (a proxy client in fake-IP mode
// that works), and a failure before or outside the connection (DNS, the
// proxy, a cancel) is its own story.
func suspectDNS(c Class, msg, host string, resolved []string, proxied bool) (Class, string) {
	switch c {
	case ClassConnectRefused, ClassConnectTimeout, ClassReset, ClassTLS, ClassTimeout, ClassError:
	default:
		return c, msg
	}
	if proxied {
		return c, msg
	}
	bad := suspectAddrs(host, resolved)
	if len(bad) == 0 {
		return c, msg
	}
	why := "which cannot be Coze"
	if anyFakeIP(bad) {
		why = "a proxy client's fake-IP range (198.18.0.0/15)"
	}
	return ClassDNSSuspect, fmt.Sprintf("%s resolved to %s, %s: %s", host, strings.Join(bad, ", "), why, msg)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isReset reports a connection cut before the answer: an RST, or a close
// (EOF) where a response or handshake message was due.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func isTLS(err error) bool {
	var (
		rh  tls.RecordHeaderError
		cv  *tls.CertificateVerificationError
		al  tls.AlertError
		ua  x509.UnknownAuthorityError
		hn  x509.HostnameError
		ci  x509.CertificateInvalidError
		ech *tls.ECHRejectionError
	)
	return errors.As(err, &rh) || errors.As(err, &cv) || errors.As(err, &al) ||
		errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) || errors.As(err, &ech)
}

// hint says what to do about a class, one line, or "" when there is nothing
// to do. ph refines the advice for a timeout.
func hint(c Class, ph phase) string {
	switch c {
	case ClassServerError:
		return "Coze or something in the path fails (a 5xx): no login, refresh or API call can work through it now; try again later, and quote the log id to Coze support if it persists"
	case ClassDNS:
		return "the name did not resolve: check DNS, or whether the host is blocked on this network"
	case ClassNoNetwork:
		return "this machine has no network to send on (no interface up, or no default route): that says nothing about Coze; connect to a network, then probe again"
	case ClassConnectRefused:
		return "the connection was refused: a firewall or a wrong address answered; check HTTPS_PROXY/NO_PROXY and whether coze.com is blocked here"
	case ClassConnectTimeout:
		return "the connection got no reply: packets are dropped on the way, often by a firewall; try another network or a proxy via HTTPS_PROXY"
	case ClassReset:
		return "the connection was cut before an answer, often by a firewall filtering this host; try another network or a proxy via HTTPS_PROXY"
	case ClassTLS:
		return "the TLS handshake failed: something on the path intercepts HTTPS; if your network has its own CA, point SSL_CERT_FILE at it"
	case ClassTimeout:
		if ph == phaseTLS {
			return "the TLS handshake stalled, a sign of filtering by server name; try another network or a proxy via HTTPS_PROXY"
		}
		return "no answer in time: the network is slow or drops the traffic; try a longer --timeout, another network or a proxy"
	case ClassProxy:
		return "the proxy failed: check HTTPS_PROXY/HTTP_PROXY/NO_PROXY and that the proxy runs and allows CONNECT to this host"
	case ClassIntercepted:
		return "something between here and Coze answered in its place (a captive portal, a filtering proxy or a gateway that rewrites traffic): sign in to the network's portal, or try another network or a proxy via HTTPS_PROXY"
	case ClassDNSSuspect:
		return "the name resolved to an address Coze cannot have: a proxy client in fake-IP mode (Clash, Surge, sing-box) that is not running, DNS interception on this network, or a hosts-file entry; start the proxy client, check /etc/hosts, or try another DNS server"
	case ClassCanceled:
		return "interrupted before this target finished: run the probe again and let it complete"
	case ClassError:
		return "an unexpected failure: see the error, and run again with another network or proxy to compare"
	}
	return ""
}

// tokenHint explains a users_me answer that refused the token.
func tokenHint(status int, code *int) string {
	if code != nil {
		switch {
		case coze.TokenRefused(*code):
			return "the token was refused: it was most likely issued by the other region; use --region cn for a coze.cn token, --region com for coze.com"
		case *code == 0:
			return ""
		}
		return "the token was not accepted: check that it is valid, unexpired and has the permission"
	}
	if status == 401 || status == 403 {
		return "the token was refused: check that it is valid and unexpired, and issued by this region (--region cn or com)"
	}
	return ""
}
