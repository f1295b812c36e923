package coze

import (
	"fmt"
	"net/url"
	"strings"
)

// Region names one of Coze's two deployments. A token is valid only in the
// region that issued it.
type Region string

// The regions Coze runs.
const (
	RegionCOM Region = "com"
	RegionCN  Region = "cn"
)

// ParseRegion accepts "com" or "cn" (case-insensitive).
func ParseRegion(s string) (Region, error) {
	switch Region(strings.ToLower(strings.TrimSpace(s))) {
	case RegionCOM:
		return RegionCOM, nil
	case RegionCN:
		return RegionCN, nil
	}
	return "", fmt.Errorf("unknown region %q: use com (coze.com) or cn (coze.cn)", s)
}

// APIBase is the host that serves token calls and the open API.
func (r Region) APIBase() string {
	if r == RegionCN {
		return "https://api.coze.cn"
	}
	return "https://api.coze.com"
}

// WWWBase is the host that serves the consent page.
func (r Region) WWWBase() string {
	if r == RegionCN {
		return "https://www.coze.cn"
	}
	return "https://www.coze.com"
}

// WWWForAPI is the web host that serves the consent page for an API base,
// as coze-go (newOAuthClient), coze-js and coze-py derive it: a host
// starting with "api." gets "www." in its place (https://api.coze.cn →
// https://www.coze.cn); any other base, a sandbox's say, is used as it is.
func WWWForAPI(apiBase string) string {
	u, err := url.Parse(strings.TrimRight(apiBase, "/"))
	if err != nil || u.Host == "" {
		return strings.TrimRight(apiBase, "/")
	}
	if len(u.Host) > len("api.") && strings.EqualFold(u.Host[:len("api.")], "api.") {
		u.Host = "www." + u.Host[len("api."):]
	}
	return u.String()
}

// WSForAPI derives the WebSocket base from an API base the way Coze lays out
// its hosts: an "api." host becomes "ws." (api.coze.com → ws.coze.com), any
// other host is kept, and http becomes ws, https wss. So a probe pointed at a
// gateway or a local server never reaches out to Coze's own ws host.
func WSForAPI(apiBase string) string {
	u, err := url.Parse(strings.TrimRight(apiBase, "/"))
	if err != nil || u.Host == "" {
		return ""
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	if rest, ok := strings.CutPrefix(u.Host, "api."); ok {
		u.Host = "ws." + rest
	}
	return u.String()
}
