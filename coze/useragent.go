package coze

import (
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
)

// DefaultUserAgent names cozeauth in requests whose caller named no version.
const DefaultUserAgent = "cozeauth"

// ClientUserAgentHeader is the header in which every Coze SDK describes
// itself as JSON beside User-Agent; Coze support reads it to trace clients.
const ClientUserAgentHeader = "X-Coze-Client-User-Agent"

// SetUserAgent sets both headers that name the client on a request to Coze:
// User-Agent (userAgent, like cozeauth/1.2.0) and X-Coze-Client-User-Agent,
// a JSON object of version, lang ("go"), lang_version, os_name and
// os_version, as the SDKs send it. It is the one place either is set; a
// header already set (a -H of `cozeauth api`) is kept.
func SetUserAgent(h http.Header, userAgent string) {
	if userAgent == "" {
		userAgent = DefaultUserAgent
	}
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", userAgent)
	}
	if h.Get(ClientUserAgentHeader) == "" {
		h.Set(ClientUserAgentHeader, ClientUserAgent(userAgent))
	}
}

// ClientUserAgent is the X-Coze-Client-User-Agent value for userAgent:
// its version is what follows the product name (cozeauth/1.2.0 → 1.2.0).
func ClientUserAgent(userAgent string) string {
	product, _, _ := strings.Cut(strings.TrimSpace(userAgent), " ")
	_, version, _ := strings.Cut(product, "/")
	data, _ := json.Marshal(struct {
		Version     string `json:"version"`
		Lang        string `json:"lang"`
		LangVersion string `json:"lang_version"`
		OSName      string `json:"os_name"`
		OSVersion   string `json:"os_version"`
	}{version, "go", strings.TrimPrefix(runtime.Version(), "go"), runtime.GOOS, osVersion()})
	return string(data)
}
