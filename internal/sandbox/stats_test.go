package sandbox

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStatsEndpoint(t *testing.T) {
	e := newEnv(t, Options{})
	_, refresh := e.login()
	for range 2 { // the second use is a rejected reuse
		e.postJSON(tokenPath, "", map[string]string{
			"grant_type": "refresh_token", "refresh_token": refresh, "client_id": PKCEClientID,
		})
	}
	resp, body := e.do(http.MethodGet, "/sandbox/stats", "", "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	want := map[string]any{
		"exchanges":          float64(1),
		"refreshes":          float64(1),
		"rejected_refreshes": float64(1),
		"device_tokens":      float64(0),
		"jwt_tokens":         float64(0),
		"workspace_requests": float64(0),
	}
	if diff := cmp.Diff(want, decode(t, body)); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}
