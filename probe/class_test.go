package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestClassOfStatus(t *testing.T) {
	tests := []struct {
		status int
		want   Class
	}{
		{200, ClassOK}, {204, ClassOK}, {301, ClassOK}, {302, ClassOK},
		{400, ClassHTTPError}, {401, ClassAuthRequired}, {403, ClassAuthRequired},
		{404, ClassNotFound}, {405, ClassHTTPError}, {429, ClassHTTPError},
		{500, ClassServerError}, {503, ClassServerError},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			if got := classOfStatus(tt.status); got != tt.want {
				t.Errorf("classOfStatus(%d) = %q, want %q", tt.status, got, tt.want)
			}
		})
	}
}

func TestAnsweredAndHints(t *testing.T) {
	tests := []struct {
		class    Class
		answered bool
		hint     bool
	}{
		{ClassOK, true, false},
		{ClassAuthRequired, true, false},
		{ClassNotFound, true, false},
		{ClassHTTPError, true, false},
		{ClassServerError, true, true},
		{ClassDNS, false, true},
		{ClassConnectRefused, false, true},
		{ClassConnectTimeout, false, true},
		{ClassReset, false, true},
		{ClassTLS, false, true},
		{ClassTimeout, false, true},
		{ClassProxy, false, true},
		{ClassCanceled, false, true},
		{ClassError, false, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.class), func(t *testing.T) {
			if got := tt.class.Answered(); got != tt.answered {
				t.Errorf("Answered() = %v, want %v", got, tt.answered)
			}
			if got := hint(tt.class, phaseUnknown) != ""; got != tt.hint {
				t.Errorf("hint given = %v, want %v", got, tt.hint)
			}
		})
	}
}

// TestClassify covers errors the loopback tests cannot provoke reliably.
func TestClassify(t *testing.T) {
	dialTimeout := &net.OpError{Op: "dial", Net: "tcp", Err: &timeoutErr{}}
	tests := []struct {
		name string
		f    failure
		want Class
		msg  string
	}{
		{"user cancel wins over the error", failure{err: context.Canceled, canceled: true, phase: phaseWait}, ClassCanceled, "canceled waiting for the response"},
		{"dialer timeout", failure{err: &url.Error{Op: "Get", URL: "u", Err: dialTimeout}}, ClassConnectTimeout, "dial tcp: i/o timeout"},
		{"deadline during DNS", failure{err: context.DeadlineExceeded, phase: phaseDNS, timeout: time.Second}, ClassDNS, "no answer within 1s resolving the name"},
		{"deadline waiting for the proxy", failure{err: context.DeadlineExceeded, phase: phaseProxy, proxied: true, timeout: time.Second}, ClassProxy, "no answer within 1s waiting for the proxy to open a tunnel"},
		{"ECONNABORTED", failure{err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNABORTED}}, ClassReset, "read tcp: software caused connection abort"},
		{"unexpected EOF", failure{err: fmt.Errorf("x: %w", io.ErrUnexpectedEOF)}, ClassReset, "x: unexpected EOF"},
		{"transport's own timeout", failure{err: &timeoutErr{}, phase: phaseTLS}, ClassTimeout, "i/o timeout"},
		{"something else", failure{err: errors.New("net/http: malformed HTTP response")}, ClassError, "net/http: malformed HTTP response"},
		// No network at all (unshare -n, a laptop offline): the lookup
		// cannot even be sent. That is no sign of a block.
		{"no network for the lookup", failure{err: &net.DNSError{Err: "dial udp 10.255.255.53:53: connect: network is unreachable", Name: "api.coze.com", Server: "10.255.255.53:53"}, phase: phaseDNS}, ClassNoNetwork,
			"lookup api.coze.com on 10.255.255.53:53: dial udp 10.255.255.53:53: connect: network is unreachable"},
		{"no route for the connection", failure{err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}, phase: phaseConnect}, ClassNoNetwork, "dial tcp: connect: network is unreachable"},
		{"a lookup that failed otherwise is dns", failure{err: &net.DNSError{Err: "no such host", Name: "api.coze.com", IsNotFound: true}, phase: phaseDNS}, ClassDNS, "lookup api.coze.com: no such host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, msg := classify(tt.f)
			if diff := cmp.Diff([]string{string(tt.want), tt.msg}, []string{string(c), msg}); diff != "" {
				t.Errorf("classify (-want +got):\n%s", diff)
			}
		})
	}
}

type timeoutErr struct{}

func (*timeoutErr) Error() string   { return "i/o timeout" }
func (*timeoutErr) Timeout() bool   { return true }
func (*timeoutErr) Temporary() bool { return true }

func TestTimeoutHintByPhase(t *testing.T) {
	if hint(ClassTimeout, phaseTLS) == hint(ClassTimeout, phaseWait) {
		t.Errorf("a stalled TLS handshake should get its own hint")
	}
}

func TestTokenHint(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   *int
		region bool // the hint names the region
		none   bool
	}{
		{"accepted", 200, intp(0), false, true},
		{"4100", 200, intp(4100), true, false},
		{"4101", 401, intp(4101), true, false},
		{"700012006", 200, intp(700012006), true, false},
		{"other code", 200, intp(4013), false, false},
		{"401 without JSON", 401, nil, true, false},
		{"200 without JSON", 200, nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tokenHint(tt.status, tt.code)
			if (h == "") != tt.none {
				t.Errorf("hint %q, want none: %v", h, tt.none)
			}
			if got := strings.Contains(h, "region"); got != tt.region {
				t.Errorf("hint %q names the region: %v, want %v", h, got, tt.region)
			}
		})
	}
}
