package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

// explainAppTypeRefused turns Coze's access_deny "invalid app type", met by
// a login whose app type was guessed (no --app-type, no $COZE_APP_TYPE),
// into the one thing to try: the type tried is not the app's, and the flag
// for the type it most likely is. It stays Coze's refusal (exit 1). Any
// other error is returned as it is.
func explainAppTypeRefused(err error, flow auth.Flow, cfg auth.Config, typeGiven bool) error {
	if typeGiven || !isInvalidAppType(err) {
		return err
	}
	tried := cfg.AppType()
	if flow == auth.FlowDevice {
		tried = auth.AppDevice
	}
	advice := map[auth.AppType]string{
		auth.AppPKCE:   "this is not a pkce app; if it is a device app, use `--app-type device`",
		auth.AppWeb:    "this is not a web app (a client secret was given); if it is a pkce app, drop --client-secret, or use `--app-type pkce`",
		auth.AppDevice: "this is not a device app; if it is a pkce app, use `--app-type pkce` (a browser login)",
		auth.AppJWT:    "this is not a service (jwt) app (a private key was given); if it is a pkce app, use `--app-type pkce`",
	}[tried]
	if advice == "" {
		return err
	}
	return &ExitError{Code: ExitFailure, Err: fmt.Errorf("coze refused the login (access_deny: invalid app type%s): %s", logIDOf(err), advice)}
}

// isInvalidAppType reports Coze's access_deny "invalid app type", from the
// token or device-code endpoint or on the callback.
func isInvalidAppType(err error) bool {
	var (
		oe *auth.OAuthError
		ce *auth.ConsentError
	)
	switch {
	case errors.As(err, &oe):
		return oe.Code == "access_deny" && strings.Contains(strings.ToLower(oe.Message), "invalid app type")
	case errors.As(err, &ce):
		return ce.Code == "access_deny" && strings.Contains(strings.ToLower(ce.Description), "invalid app type")
	}
	return false
}

// logIDOf is ", log id …" for the Coze answer in err, "" without one.
func logIDOf(err error) string {
	var (
		oe *auth.OAuthError
		ce *auth.ConsentError
	)
	id := ""
	switch {
	case errors.As(err, &oe):
		id = oe.LogID
	case errors.As(err, &ce):
		id = ce.LogID
	}
	if id == "" {
		return ""
	}
	return ", log id " + coze.Sanitize(id)
}

// appTypeGiven says whether the app type was said, by --app-type or
// $COZE_APP_TYPE, rather than guessed.
func (g *globals) appTypeGiven() bool {
	return g.app.appType != "" || g.getenv("COZE_APP_TYPE") != ""
}
