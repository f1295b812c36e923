package sandbox

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestProbeTargets(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		method, path string
		want         int
		contains     string
	}{
		{http.MethodPost, "/open_api/v2/chat", http.StatusOK, `"code":4100`},
		{http.MethodPost, "/v1/workflows/run", http.StatusUnauthorized, `{"code":4100,"msg":"authentication is invalid"}`},
		{http.MethodGet, "/", http.StatusOK, "<html"},
		{http.MethodGet, "/v1/chat", http.StatusNotFound, `"code":4004`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := e.do(tt.method, tt.path, "application/json", "", "{}")
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if !strings.Contains(body, tt.contains) {
				t.Errorf("body lacks %q: %s", tt.contains, body)
			}
		})
	}
}

func TestLegacyChatWithToken(t *testing.T) {
	e := newEnv(t, Options{})
	access, _ := e.login()
	resp, body := e.do(http.MethodPost, "/open_api/v2/chat", "application/json", "Bearer "+access, "{}")
	if resp.StatusCode != http.StatusOK || decode(t, body)["code"] != float64(0) {
		t.Errorf("got %d %s, want 200 with code 0", resp.StatusCode, body)
	}
}

// TestProbeDelay is the one test that waits on the real clock: the delay is
// a real sleep by design, so it is kept tiny.
func TestProbeDelay(t *testing.T) {
	const delay = 30 * time.Millisecond
	e := newEnv(t, Options{ProbeDelay: delay})
	tests := []struct {
		method, path string
		delayed      bool
	}{
		{http.MethodGet, "/", true},
		{http.MethodGet, "/v1/users/me", true},
		{http.MethodGet, "/v1/chat", true},
		{http.MethodPost, "/v1/workflows/run", true},
		{http.MethodPost, "/open_api/v2/chat", true},
		{http.MethodPost, "/v3/chat", true},
		{http.MethodPost, "/v1/workflow/run", true},
		{http.MethodGet, "/sandbox/stats", false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			start := time.Now()
			e.do(tt.method, tt.path, "application/json", "", "{}")
			took := time.Since(start)
			if tt.delayed && took < delay {
				t.Errorf("answered after %s, want at least %s", took, delay)
			}
			if !tt.delayed && took >= delay {
				t.Errorf("answered after %s, want no delay", took)
			}
		})
	}
}

func TestProbeDelayHonoursCancel(t *testing.T) {
	e := newEnv(t, Options{ProbeDelay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.client.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got HTTP %d, want the client's deadline to end the request", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want a deadline error", err)
	}
	// httptest's Close waits for handlers; the sleeping one must have returned.
}
