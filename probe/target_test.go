package probe

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTargets(t *testing.T) {
	four := []Target{
		{Name: "open_api_v2_chat", Method: "POST", URL: "https://api.coze.com/open_api/v2/chat", Body: []byte("{}")},
		{Name: "workflows_run", Method: "POST", URL: "https://api.coze.com/v1/workflows/run", Body: []byte("{}")},
		{Name: "www", Method: "GET", URL: "https://www.coze.com/"},
		{Name: "v1_chat", Method: "GET", URL: "https://api.coze.com/v1/chat"},
	}
	tests := []struct {
		name            string
		api, www, token string
		want            []Target
	}{
		{"without a token", "https://api.coze.com", "https://www.coze.com", "", four},
		{"trailing slashes", "https://api.coze.com/", "https://www.coze.com/", "", four},
		{"with a token", "https://api.coze.com", "https://www.coze.com", "pat_x", append(four[:4:4],
			Target{Name: "users_me", Method: "GET", URL: "https://api.coze.com/v1/users/me", Token: "pat_x"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Targets(tt.api, tt.www, tt.token)); diff != "" {
				t.Errorf("Targets (-want +got):\n%s", diff)
			}
		})
	}
}
