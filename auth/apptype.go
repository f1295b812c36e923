package auth

import (
	"fmt"
	"strings"
)

// AppType is the Coze console's "client type" of an OAuth app. It decides
// which flows Coze allows: a flow of the wrong type is refused with
// access_deny "invalid app type".
type AppType string

// The four app types Coze's console creates and every official SDK models.
const (
	AppPKCE   AppType = "pkce"   // mobile / PC desktop / single-page app: browser with PKCE
	AppWeb    AppType = "web"    // web back-end app: browser, with a client secret
	AppDevice AppType = "device" // TV / device / command-line program: device code only
	AppJWT    AppType = "jwt"    // service app: a signed JWT, no browser and no person
)

// AppTypes lists the app types in the order they are offered.
var AppTypes = []AppType{AppPKCE, AppWeb, AppDevice, AppJWT}

// ParseAppType accepts pkce, web, device or jwt (case-insensitive).
func ParseAppType(s string) (AppType, error) {
	t := AppType(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range AppTypes {
		if t == known {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown app type %q: use pkce, web, device or jwt (the client type of the app in the Coze console)", s)
}

// Flow is a way of getting a first token.
type Flow string

// The flows cozeauth implements.
const (
	FlowBrowser Flow = "browser" // authorization code, by callback or pasted address
	FlowDevice  Flow = "device"  // device authorization grant
	FlowJWT     Flow = "jwt"     // JWT bearer grant
)

// Allows reports whether Coze lets an app of type t use flow.
func (t AppType) Allows(flow Flow) bool {
	switch t {
	case AppPKCE, AppWeb:
		return flow == FlowBrowser
	case AppDevice:
		return flow == FlowDevice
	case AppJWT:
		return flow == FlowJWT
	}
	return false
}

// ConsoleName is what the Coze console calls the client type.
func (t AppType) ConsoleName() string {
	switch t {
	case AppPKCE:
		return "Mobile/PC desktop/single-page app"
	case AppWeb:
		return "Web back-end app"
	case AppDevice:
		return "TV/device/command-line program"
	case AppJWT:
		return "Service app"
	}
	return string(t)
}

// neededFor is the app type a flow needs; the browser flow names PKCE, the
// type of app cozeauth suggests for a desktop.
func neededFor(flow Flow) AppType {
	switch flow {
	case FlowDevice:
		return AppDevice
	case FlowJWT:
		return AppJWT
	}
	return AppPKCE
}

// HowToCreate says how to make an app of type t in the Coze console.
func (t AppType) HowToCreate() string {
	return fmt.Sprintf("create one in the Coze console (API & SDK → Authorization → OAuth apps → Create new app, client type %q) and pass its client id with --app-type %s", t.ConsoleName(), t)
}

// appTypeRefusal is the usage error of a flow asked of an app type Coze
// refuses it for: Coze would answer access_deny "invalid app type", and no
// retry can help.
func appTypeRefusal(t AppType, flow Flow) *UsageError {
	need := neededFor(flow)
	what := map[Flow]string{FlowBrowser: "a browser login", FlowDevice: "a device-code login", FlowJWT: "a JWT token"}[flow]
	msg := fmt.Sprintf("this profile's app is a %s app (%s); Coze only allows %s for a %s app", t, t.ConsoleName(), what, need)
	if flow == FlowBrowser {
		msg = fmt.Sprintf("this profile's app is a %s app (%s); Coze only allows a browser login for a pkce or web app", t, t.ConsoleName())
	}
	return &UsageError{Msg: msg + ": " + need.HowToCreate() + " (or, if this app really is of that type, pass --app-type " + string(need) + ")"}
}

// AppType is the profile's app type: the one set explicitly (by
// --app-type, or saved by an earlier login of the same app), else inferred:
// a client secret means web, a private key means jwt, anything else pkce.
// Device is never inferred.
func (c Config) AppType() AppType {
	if c.Settings.AppType != "" {
		return c.Settings.AppType
	}
	switch {
	case c.ClientSecret != "":
		return AppWeb
	case c.PrivateKeyPEM != "" || c.JWT != nil && c.JWT.PrivateKeyFile != "":
		return AppJWT
	}
	return AppPKCE
}

// CheckFlow refuses a flow the app type does not allow. An app whose type
// was neither given nor saved, and that has no secret or key, may try the
// browser or device flow: Coze has the last word.
func (c Config) CheckFlow(flow Flow) error {
	t := c.AppType()
	unknown := c.Settings.AppType == "" && t == AppPKCE
	if t.Allows(flow) || unknown && flow == FlowDevice {
		return nil
	}
	return appTypeRefusal(t, flow)
}
