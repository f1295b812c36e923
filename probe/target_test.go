package probe

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTargets(t *testing.T) {
	current := []Target{
		{Name: "v3_chat", Group: GroupAPI, Label: "chat", Method: "POST", URL: "https://api.coze.com/v3/chat", Body: []byte("{}"), Expect: ExpectAPIJSON},
		{Name: "workflow_run", Group: GroupAPI, Label: "run a workflow", Method: "POST", URL: "https://api.coze.com/v1/workflow/run", Body: []byte("{}"), Expect: ExpectAPIJSON},
		{Name: "oauth_token", Group: GroupOAuth, Label: "token endpoint: logins and refreshes", Method: "POST", URL: "https://api.coze.com/api/permission/oauth2/token", Body: []byte("{}"), Expect: ExpectOAuthJSON},
		{Name: "oauth_authorize", Group: GroupOAuth, Label: "authorize page: browser logins", Method: "GET", URL: "https://www.coze.com/api/permission/oauth2/authorize"},
		{Name: "ws_chat", Group: GroupWebSocket, Label: "WebSocket chat", Method: "GET", URL: "wss://ws.coze.com/v1/chat", Expect: ExpectWebSocket},
	}
	usersMe := Target{Name: "users_me", Group: GroupAccount, Label: "whose token", Method: "GET", URL: "https://api.coze.com/v1/users/me", Token: "pat_x", Expect: ExpectAPIJSON}
	seed := []Target{
		{Name: "open_api_v2_chat", Group: GroupLegacy, Label: "legacy v2 chat", Method: "POST", URL: "https://api.coze.com/open_api/v2/chat", Body: []byte("{}")},
		{Name: "workflows_run", Group: GroupLegacy, Label: "not a Coze route: answered by the auth gateway", Method: "POST", URL: "https://api.coze.com/v1/workflows/run", Body: []byte("{}")},
		{Name: "www", Group: GroupLegacy, Label: "web host front page", Method: "GET", URL: "https://www.coze.com/"},
		{Name: "v1_chat", Group: GroupLegacy, Label: "WebSocket lives on the ws host", Method: "GET", URL: "https://api.coze.com/v1/chat"},
	}
	cat := func(parts ...[]Target) []Target {
		var out []Target
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	com := Bases{API: "https://api.coze.com", WWW: "https://www.coze.com"}
	tests := []struct {
		name  string
		bases Bases
		token string
		set   Set
		want  []Target
	}{
		{"all without a token", com, "", SetAll, cat(current, seed)},
		{"trailing slashes", Bases{API: "https://api.coze.com/", WWW: "https://www.coze.com/"}, "", SetAll, cat(current, seed)},
		{"all with a token", com, "pat_x", SetAll, cat(current, []Target{usersMe}, seed)},
		{"current", com, "pat_x", SetCurrent, cat(current, []Target{usersMe})},
		{"seed ignores the token", com, "pat_x", SetLegacy, seed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, TargetsFor(tt.bases, tt.token, tt.set)); diff != "" {
				t.Errorf("TargetsFor (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff(cat(current, seed), Targets(com.API, com.WWW, "")); diff != "" {
		t.Errorf("Targets (-want +got):\n%s", diff)
	}
}

// A ws base given is used as it is, not derived from the API base.
func TestTargetsForWSBase(t *testing.T) {
	got := TargetsFor(Bases{API: "https://api.coze.com", WWW: "https://www.coze.com", WS: "ws://127.0.0.1:9/"}, "", SetCurrent)
	if ws := got[4]; ws.Name != "ws_chat" || ws.URL != "ws://127.0.0.1:9/v1/chat" {
		t.Errorf("with a ws base, ws_chat = %s %s", ws.Name, ws.URL)
	}
}

func TestRegionTargets(t *testing.T) {
	ts := RegionTargets(Regions("pat_x", "cn"), SetCurrent)
	var got []string
	for _, tg := range ts {
		got = append(got, tg.Region+" "+tg.Name+" "+tg.URL)
	}
	want := []string{
		"com v3_chat https://api.coze.com/v3/chat",
		"com workflow_run https://api.coze.com/v1/workflow/run",
		"com oauth_token https://api.coze.com/api/permission/oauth2/token",
		"com oauth_authorize https://www.coze.com/api/permission/oauth2/authorize",
		"com ws_chat wss://ws.coze.com/v1/chat",
		"cn v3_chat https://api.coze.cn/v3/chat",
		"cn workflow_run https://api.coze.cn/v1/workflow/run",
		"cn oauth_token https://api.coze.cn/api/permission/oauth2/token",
		"cn oauth_authorize https://www.coze.cn/api/permission/oauth2/authorize",
		"cn ws_chat wss://ws.coze.cn/v1/chat",
		"cn users_me https://api.coze.cn/v1/users/me",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RegionTargets (-want +got):\n%s", diff)
	}
}

func TestParseSetGroups(t *testing.T) {
	b := Bases{API: "https://api.coze.com", WWW: "https://www.coze.com", WS: "wss://ws.coze.com"}
	names := func(ts []Target) string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Name)
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"all", "v3_chat workflow_run oauth_token oauth_authorize ws_chat users_me open_api_v2_chat workflows_run www v1_chat", true},
		{"current", "v3_chat workflow_run oauth_token oauth_authorize ws_chat users_me", true},
		{"seed", "open_api_v2_chat workflows_run www v1_chat", true},
		{"oauth", "oauth_token oauth_authorize", true},
		{"api,oauth", "v3_chat workflow_run oauth_token oauth_authorize", true},
		{" OAuth , account ", "oauth_token oauth_authorize users_me", true},
		{"websocket,seed", "ws_chat open_api_v2_chat workflows_run www v1_chat", true},
		{"api,api", "v3_chat workflow_run", true},
		{"new", "", false},
		{"oauth,", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		set, ok := ParseSet(tt.in)
		if ok != tt.ok {
			t.Errorf("ParseSet(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if ok {
			if got := names(TargetsFor(b, "pat_x", set)); got != tt.want {
				t.Errorf("--targets %q runs %q, want %q", tt.in, got, tt.want)
			}
		}
	}
}
