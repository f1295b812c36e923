package probe

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeResolver answers every name from a table, as a resolver that lies
// (fake-IP mode, DNS interception, a hosts-file entry) would.
type fakeResolver map[string][]string

func (f fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	addrs, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, a := range addrs {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	return out, nil
}

// portOf is the port of a host:port address.
func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func TestDNS(t *testing.T) {
	okServer := func(t *testing.T) string {
		s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"code":0,"msg":""}`)
		}))
		return strings.TrimPrefix(s.URL, "http://")
	}
	tests := []struct {
		name string
		// setup returns the URL to probe and what the resolver says.
		setup        func(t *testing.T) (string, fakeResolver)
		timeout      time.Duration
		wantClass    Class
		wantResolved []string
		wantFamily   string
		errHas       string
		noteHas      string
	}{
		{
			name: "fake IP that does not connect",
			setup: func(t *testing.T) (string, fakeResolver) {
				// Nothing answers at 198.18.0.5 here: the proxy client is not running.
				return "http://api.coze.com:" + portOf(t, refusedAddr(t)) + "/v3/chat", fakeResolver{"api.coze.com": {"198.18.0.5"}}
			},
			timeout:      300 * time.Millisecond,
			wantClass:    ClassDNSSuspect,
			wantResolved: []string{"198.18.0.5"},
			errHas:       "fake-IP range",
		},
		{
			name: "hosts-file entry pointing at loopback",
			setup: func(t *testing.T) (string, fakeResolver) {
				return "http://api.coze.com:" + portOf(t, refusedAddr(t)) + "/", fakeResolver{"api.coze.com": {"127.0.0.1"}}
			},
			wantClass:    ClassDNSSuspect,
			wantResolved: []string{"127.0.0.1"},
			errHas:       "cannot be Coze",
		},
		{
			name: "fake IP that works is fine",
			setup: func(t *testing.T) (string, fakeResolver) {
				// A proxy client in fake-IP mode hands out a private address and
				// carries the traffic: here loopback plays its listener.
				return "http://api.coze.com:" + portOf(t, okServer(t)) + "/", fakeResolver{"api.coze.com": {"127.0.0.1"}}
			},
			wantClass:    ClassOK,
			wantResolved: []string{"127.0.0.1"},
			wantFamily:   "ipv4",
		},
		{
			name: "localhost is not suspect",
			setup: func(t *testing.T) (string, fakeResolver) {
				return "http://localhost:" + portOf(t, refusedAddr(t)) + "/", fakeResolver{"localhost": {"127.0.0.1"}}
			},
			wantClass:    ClassConnectRefused,
			wantResolved: []string{"127.0.0.1"},
		},
		{
			name: "IP literal is not suspect",
			setup: func(t *testing.T) (string, fakeResolver) {
				return "http://" + refusedAddr(t) + "/", fakeResolver{}
			},
			wantClass: ClassConnectRefused,
		},
		{
			name: "IPv6 fails while IPv4 works",
			setup: func(t *testing.T) (string, fakeResolver) {
				// The server listens on 127.0.0.1 only; ::1 on its port refuses
				// (or has no route where IPv6 is off).
				return "http://dual.coze.test:" + portOf(t, okServer(t)) + "/", fakeResolver{"dual.coze.test": {"::1", "127.0.0.1"}}
			},
			wantClass:    ClassOK,
			wantResolved: []string{"::1", "127.0.0.1"},
			wantFamily:   "ipv4",
			noteHas:      "IPv6 fails here while IPv4 works",
		},
		{
			name: "no such host",
			setup: func(t *testing.T) (string, fakeResolver) {
				return "http://api.coze.com/", fakeResolver{}
			},
			wantClass: ClassDNS,
			errHas:    "no such host",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, res := tt.setup(t)
			p := &Prober{Transport: &http.Transport{}, Resolver: res, Timeout: tt.timeout}
			got := runOne(t, p, Target{Name: "x", Method: "GET", URL: u})
			if got.Class != tt.wantClass {
				t.Fatalf("class %q (%s), want %q", got.Class, got.Error, tt.wantClass)
			}
			if diff := cmp.Diff(tt.wantResolved, got.Resolved); diff != "" {
				t.Errorf("resolved (-want +got):\n%s", diff)
			}
			if got.Family != tt.wantFamily {
				t.Errorf("family %q, want %q", got.Family, tt.wantFamily)
			}
			if !strings.Contains(got.Error, tt.errHas) {
				t.Errorf("error %q, want it to contain %q", got.Error, tt.errHas)
			}
			if !strings.Contains(got.FamilyNote, tt.noteHas) || (tt.noteHas == "") != (got.FamilyNote == "") {
				t.Errorf("family note %q, want %q", got.FamilyNote, tt.noteHas)
			}
			if got.Class == ClassDNSSuspect && (got.Hint == "" || got.Class.Answered()) {
				t.Errorf("dns_suspect: hint %q, answered %v", got.Hint, got.Class.Answered())
			}
		})
	}
}

// TestDNSSuspectMakesTheVerdictPartial: a lying resolver counts as blocked.
func TestDNSSuspectMakesTheVerdictPartial(t *testing.T) {
	ok := newServer(t, http.NotFoundHandler())
	p := &Prober{Transport: &http.Transport{}, Resolver: fakeResolver{"api.coze.com": {"10.0.0.1"}}, Timeout: 300 * time.Millisecond}
	rep := p.Run(t.Context(), []Target{
		{Name: "ok", Method: "GET", URL: ok.URL},
		{Name: "lied", Method: "GET", URL: "http://api.coze.com:" + portOf(t, refusedAddr(t)) + "/"},
	})
	if rep.Verdict != VerdictPartial {
		t.Errorf("verdict %q, want partial", rep.Verdict)
	}
	if c := rep.Targets[1].Class; c != ClassDNSSuspect {
		t.Errorf("class %q, want dns_suspect", c)
	}
}

func TestSuspectAddrs(t *testing.T) {
	tests := []struct {
		host     string
		resolved []string
		want     []string
	}{
		{"api.coze.com", []string{"198.18.0.5"}, []string{"198.18.0.5"}},
		{"api.coze.com", []string{"8.8.8.8", "192.168.1.1"}, []string{"192.168.1.1"}},
		{"api.coze.com", []string{"0.0.0.0", "100.64.1.1", "169.254.1.1", "172.16.0.1", "10.1.1.1"}, []string{"0.0.0.0", "100.64.1.1", "169.254.1.1", "172.16.0.1", "10.1.1.1"}},
		{"api.coze.com", []string{"fd00::1", "::1", "fe80::1", "::ffff:127.0.0.1"}, []string{"fd00::1", "::1", "fe80::1", "::ffff:127.0.0.1"}},
		{"api.coze.com", []string{"23.0.0.1", "2606:4700::1"}, nil},
		{"localhost", []string{"127.0.0.1"}, nil},
		{"app.localhost", []string{"127.0.0.1"}, nil},
		{"127.0.0.1", []string{"127.0.0.1"}, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, suspectAddrs(tt.host, tt.resolved)); diff != "" {
			t.Errorf("suspectAddrs(%q, %v) (-want +got):\n%s", tt.host, tt.resolved, diff)
		}
	}
}

// errResolver fails with an error that is not a *net.DNSError.
type errResolver struct{}

func (errResolver) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) {
	return nil, errors.New("resolver exploded")
}

func TestResolverErrorIsDNS(t *testing.T) {
	p := &Prober{Transport: &http.Transport{}, Resolver: errResolver{}}
	got := runOne(t, p, Target{Name: "x", Method: "GET", URL: "http://api.coze.com/"})
	if got.Class != ClassDNS || !strings.Contains(got.Error, "resolver exploded") {
		t.Errorf("class %q error %q, want dns with the resolver's error", got.Class, got.Error)
	}
}
