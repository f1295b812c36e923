package proxy

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAllowedHosts(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8899}
	want := []string{"127.0.0.1:8899", "localhost:8899"}
	if diff := cmp.Diff(want, AllowedHosts(addr, "127.0.0.1:8899")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	v6 := AllowedHosts(&net.TCPAddr{IP: net.IPv6loopback, Port: 9}, "")
	if diff := cmp.Diff([]string{"[::1]:9", "localhost:9", "127.0.0.1:9"}, v6); diff != "" {
		t.Errorf("::1 (-want +got):\n%s", diff)
	}
}

func TestRequireHost(t *testing.T) {
	hosts := AllowedHosts(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8899}, "")
	tests := []struct {
		host string
		pass bool
	}{
		{"127.0.0.1:8899", true},
		{"localhost:8899", true},
		{"LOCALHOST:8899", true},
		{"evil.example:8899", false}, // DNS rebinding: the page's own name
		{"127.0.0.1:8898", false},
		{"localhost", false},
		{"", false},
		{"api.coze.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			next := &recorder{}
			req := httptest.NewRequest(http.MethodGet, "/v1/users/me", nil)
			req.Host = tt.host
			w := httptest.NewRecorder()
			RequireHost(hosts, next).ServeHTTP(w, req)
			if tt.pass != (next.count() == 1) {
				t.Fatalf("forwarded %d, want pass=%v", next.count(), tt.pass)
			}
			if !tt.pass && (w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "cozeauth proxy: ")) {
				t.Errorf("= %d %s, want 403 from the proxy", w.Code, w.Body)
			}
		})
	}
}
