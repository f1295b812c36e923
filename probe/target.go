package probe

import (
	"slices"
	"strings"

	"github.com/cozeauth/cozeauth/coze"
)

// Target is one request of a probe.
type Target struct {
	Name, Method, URL string
	// Group is the heading the target is shown under ([GroupAPI], …).
	Group Group
	// Label says in a few words what the target is for or what it is.
	Label string
	// Region names the region the target belongs to when a probe covers
	// several ("com", "cn"); "" otherwise.
	Region string
	// Body, when not nil, is sent as application/json.
	Body []byte
	// Token, when set, is sent as a Bearer token.
	Token string
	// Expect is the kind of answer only Coze gives; another kind means
	// something on the path answered in its place.
	Expect Expect
}

// Group sorts targets by what they prove.
type Group string

// The groups of targets, in the order a report shows them.
const (
	GroupAPI       Group = "api"       // the open API cozeauth's users call
	GroupOAuth     Group = "oauth"     // the endpoints cozeauth's own logins need
	GroupWebSocket Group = "websocket" // the ws host that streams chat
	GroupAccount   Group = "account"   // the token, checked with Coze
	GroupLegacy    Group = "legacy"    // the four endpoints of the first connectivity report
)

// Title is the group's heading, the same in every view of a report.
func (g Group) Title() string {
	switch g {
	case GroupAPI:
		return "API — the open API, answered without a token"
	case GroupOAuth:
		return "OAuth — what cozeauth's logins and refreshes need"
	case GroupWebSocket:
		return "WebSocket — the ws host that streams chat"
	case GroupAccount:
		return "Account — the token, checked with Coze"
	case GroupLegacy:
		return "Legacy — the four endpoints of the first connectivity report"
	}
	return string(g)
}

// Heading is the heading a result goes under: its group's title, after its
// region's host when a report covers several.
func (r Result) Heading() string {
	if r.Region == "" {
		return r.Group.Title()
	}
	return RegionHost(r.Region) + " · " + r.Group.Title()
}

// groups lists the groups in display order.
func groups() []Group {
	return []Group{GroupAPI, GroupOAuth, GroupWebSocket, GroupAccount, GroupLegacy}
}

// Expect is the shape of answer a target must get to count as Coze's.
type Expect int

const (
	// ExpectAny: any HTTP answer proves the path.
	ExpectAny Expect = iota
	// ExpectAPIJSON: Coze's open-API envelope with a "code".
	ExpectAPIJSON
	// ExpectOAuthJSON: a JSON object, such as the OAuth layer's
	// {"error_code",…}.
	ExpectOAuthJSON
	// ExpectWebSocket: the URL is ws:// or wss:// and the request is a
	// WebSocket handshake; 101, 401 and 403 prove the path.
	ExpectWebSocket
)

// Set chooses which targets a probe runs: one of the named sets, or a
// comma list of group names (and sets), like "oauth,account".
type Set string

// The target sets of `cozeauth probe --targets`.
const (
	SetAll     Set = "all"     // the current endpoints and the legacy four
	SetCurrent Set = "current" // what Coze serves and cozeauth uses today
	SetLegacy  Set = "legacy"  // the four endpoints of the first connectivity report
)

// ParseSet reads a --targets value: current, legacy or all, or a comma list
// of group names (api, oauth, websocket, account, legacy) and sets, in any
// case and with spaces around the commas; "seed" is legacy's old name.
func ParseSet(s string) (Set, bool) {
	var parts []string
	for p := range strings.SplitSeq(strings.ToLower(s), ",") {
		p = strings.TrimSpace(p)
		if p == "seed" { // legacy's name before it was called what it is
			p = string(SetLegacy)
		}
		switch {
		case Set(p) == SetAll || Set(p) == SetCurrent || slices.Contains(groups(), Group(p)):
			if !slices.Contains(parts, p) {
				parts = append(parts, p)
			}
		default:
			return "", false
		}
	}
	return Set(strings.Join(parts, ",")), len(parts) > 0
}

// Has reports whether the set runs group g's targets.
func (s Set) Has(g Group) bool {
	for p := range strings.SplitSeq(string(s), ",") {
		switch {
		case Set(p) == SetAll, Set(p) == SetCurrent && g != GroupLegacy, Group(p) == g:
			return true
		}
	}
	return false
}

// The names of the targets.
const (
	nameV3Chat         = "v3_chat"
	nameWorkflowRun    = "workflow_run"
	nameOAuthToken     = "oauth_token"
	nameOAuthAuthorize = "oauth_authorize"
	nameWSChat         = "ws_chat"
	nameUsersMe        = "users_me"
	nameOpenAPIV2Chat  = "open_api_v2_chat"
	nameWorkflowsRun   = "workflows_run"
	nameWWW            = "www"
	nameV1Chat         = "v1_chat"
)

// Bases are the three hosts of one Coze region, or of whatever stands in
// for it (a gateway, the sandbox).
type Bases struct {
	API, WWW string
	// WS is the WebSocket base; "" means [coze.WSForAPI] of API.
	WS string
}

func (b Bases) trimmed() Bases {
	ws := b.WS
	if ws == "" {
		ws = coze.WSForAPI(b.API)
	}
	return Bases{API: strings.TrimRight(b.API, "/"), WWW: strings.TrimRight(b.WWW, "/"), WS: strings.TrimRight(ws, "/")}
}

// Targets returns every target for a region's API and web bases, the
// WebSocket base derived from the API base, and users_me when token is not
// empty.
func Targets(apiBase, wwwBase, token string) []Target {
	return TargetsFor(Bases{API: apiBase, WWW: wwwBase}, token, SetAll)
}

// TargetsFor returns the targets of set for bases, grouped in display order.
// users_me, which needs a token and tells whose it is, is in the current set
// when token is not empty; no other target carries the token: their answer
// without one is what proves the path open.
func TargetsFor(b Bases, token string, set Set) []Target {
	b = b.trimmed()
	var ts []Target
	for _, t := range append(currentTargets(b, token), legacyTargets(b)...) {
		if set.Has(t.Group) {
			ts = append(ts, t)
		}
	}
	return ts
}

func currentTargets(b Bases, token string) []Target {
	ts := []Target{
		{Name: nameV3Chat, Group: GroupAPI, Label: "chat", Method: "POST", URL: b.API + "/v3/chat", Body: []byte("{}"), Expect: ExpectAPIJSON},
		{Name: nameWorkflowRun, Group: GroupAPI, Label: "run a workflow", Method: "POST", URL: b.API + "/v1/workflow/run", Body: []byte("{}"), Expect: ExpectAPIJSON},
		{Name: nameOAuthToken, Group: GroupOAuth, Label: "token endpoint: logins and refreshes", Method: "POST", URL: b.API + "/api/permission/oauth2/token", Body: []byte("{}"), Expect: ExpectOAuthJSON},
		{Name: nameOAuthAuthorize, Group: GroupOAuth, Label: "authorize page: browser logins", Method: "GET", URL: b.WWW + "/api/permission/oauth2/authorize"},
		{Name: nameWSChat, Group: GroupWebSocket, Label: "WebSocket chat", Method: "GET", URL: b.WS + "/v1/chat", Expect: ExpectWebSocket},
	}
	if token != "" {
		ts = append(ts, Target{Name: nameUsersMe, Group: GroupAccount, Label: "whose token", Method: "GET", URL: b.API + "/v1/users/me", Token: token, Expect: ExpectAPIJSON})
	}
	return ts
}

// legacyTargets are the four endpoints the first report names, kept under
// their names and labelled for what they are.
func legacyTargets(b Bases) []Target {
	return []Target{
		{Name: nameOpenAPIV2Chat, Group: GroupLegacy, Label: "legacy v2 chat", Method: "POST", URL: b.API + "/open_api/v2/chat", Body: []byte("{}")},
		{Name: nameWorkflowsRun, Group: GroupLegacy, Label: "not a Coze route: answered by the auth gateway", Method: "POST", URL: b.API + "/v1/workflows/run", Body: []byte("{}")},
		{Name: nameWWW, Group: GroupLegacy, Label: "web host front page", Method: "GET", URL: b.WWW + "/"},
		{Name: nameV1Chat, Group: GroupLegacy, Label: "WebSocket lives on the ws host", Method: "GET", URL: b.API + "/v1/chat"},
	}
}

// Region is a region's name and bases, for a probe of several at once.
type Region struct {
	Name  string // "com", "cn"
	Bases Bases
	// Token, when set, is checked with users_me in this region only: a
	// token works in the region that issued it.
	Token string
}

// RegionTargets returns the targets of set for each region, each marked
// with its region's name.
func RegionTargets(regions []Region, set Set) []Target {
	var ts []Target
	for _, r := range regions {
		for _, t := range TargetsFor(r.Bases, r.Token, set) {
			t.Region = r.Name
			ts = append(ts, t)
		}
	}
	return ts
}
