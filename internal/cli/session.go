package cli

import (
	"context"

	"github.com/cozeauth/cozeauth/auth"
)

// jwtSessionToken is `cozeauth token` for a jwt profile given a
// session_context (--device-id, --custom-consumer or their environment
// variables) other than the one saved: the new one is saved in the profile,
// and since the stored token was minted for the other device or consumer, a
// new one is minted for this one. ok is false when nothing changed, and the
// stored token is handed out as usual.
func jwtSessionToken(ctx context.Context, m *auth.Manager) (rec *auth.Record, ok bool, err error) {
	js := m.Config.JWT
	if m.Config.AppType() != auth.AppJWT || js == nil {
		return nil, false, nil
	}
	saved, found, err := m.Store.LoadSettings(m.Config.Profile)
	if err != nil || !found || saved.ClientID != m.Config.ClientID {
		return nil, false, err
	}
	if saved.JWT == nil {
		saved.JWT = &auth.JWTSettings{}
	}
	if saved.JWT.DeviceID == js.DeviceID && saved.JWT.CustomConsumer == js.CustomConsumer {
		return nil, false, nil
	}
	saved.JWT.DeviceID, saved.JWT.CustomConsumer = js.DeviceID, js.CustomConsumer
	if err := m.Store.SaveSettings(m.Config.Profile, saved); err != nil {
		return nil, true, err
	}
	rec, err = m.Refresh(ctx) // a JWT app's refresh mints with the new session
	return rec, true, err
}
