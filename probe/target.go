package probe

import "strings"

// Target is one request of a probe.
type Target struct {
	Name, Method, URL string
	// Body, when not nil, is sent as application/json.
	Body []byte
	// Token, when set, is sent as a Bearer token.
	Token string
}

// The names of the default targets.
const (
	nameOpenAPIV2Chat = "open_api_v2_chat"
	nameWorkflowsRun  = "workflows_run"
	nameWWW           = "www"
	nameV1Chat        = "v1_chat"
	nameUsersMe       = "users_me"
)

// Targets returns the four requests users ask about for a region's API and
// web bases, plus users_me — which needs a token and tells whose it is —
// when token is not empty. None of the four carries the token: their answer
// without one is what proves the path open.
func Targets(apiBase, wwwBase, token string) []Target {
	api := strings.TrimRight(apiBase, "/")
	www := strings.TrimRight(wwwBase, "/")
	ts := []Target{
		{Name: nameOpenAPIV2Chat, Method: "POST", URL: api + "/open_api/v2/chat", Body: []byte("{}")},
		{Name: nameWorkflowsRun, Method: "POST", URL: api + "/v1/workflows/run", Body: []byte("{}")},
		{Name: nameWWW, Method: "GET", URL: www + "/"},
		{Name: nameV1Chat, Method: "GET", URL: api + "/v1/chat"},
	}
	if token != "" {
		ts = append(ts, Target{Name: nameUsersMe, Method: "GET", URL: api + "/v1/users/me", Token: token})
	}
	return ts
}
