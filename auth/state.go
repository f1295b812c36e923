package auth

import (
	"fmt"
	"time"

	"github.com/cozeauth/cozeauth/internal/timefmt"
)

// State is a profile's login state. [Manager.Status] decides it, offline,
// and every view of a profile (`status`, `profiles`, the wizard's
// dashboard) shows what it decided.
type State string

// The login states, in the order [Manager.Status] tests them.
const (
	// StateNotSetUp: no tokens and no client id; no login ever set it up.
	StateNotSetUp State = "not_set_up"
	// StateLoggedOut: no tokens are stored for a set-up profile, or the
	// stored ones cannot be renewed (a JWT app without a key).
	StateLoggedOut State = "logged_out"
	// StateIssuerMismatch: the tokens were issued by another API base or
	// client id than this run resolves; nothing is sent with them. A usage
	// error (exit 2), as for `token`.
	StateIssuerMismatch State = "issuer_mismatch"
	// StateRefused: Coze refused the last renewal, and that is remembered
	// until a login or a refresh Coze accepts.
	StateRefused State = "refused"
	// StateKeyMissing: a JWT app's private key file cannot be read.
	StateKeyMissing State = "key_missing"
	// StateExpired: the refresh token's life has run out.
	StateExpired State = "expired"
	// StateLoggedIn: the access token is valid, or can be renewed.
	StateLoggedIn State = "logged_in"
)

// States lists every State, for tests and completions.
var States = []State{StateNotSetUp, StateLoggedOut, StateIssuerMismatch, StateRefused, StateKeyMissing, StateExpired, StateLoggedIn}

// decideState sets st.State, st.Problem and st.LoggedIn from rec (nil: no
// tokens stored) and what the rest of Status filled in.
func (m *Manager) decideState(st *Status, rec *Record, now time.Time) {
	profile := m.Config.Profile
	login := loginCommand(profile)
	var mismatch error
	if rec != nil {
		mismatch = m.checkIssuer(rec)
	}
	switch {
	case rec == nil && st.ClientID == "":
		st.State, st.Problem = StateNotSetUp, notSetUp(profile)
	case rec == nil:
		st.State, st.Problem = StateLoggedOut, "not logged in: run `"+login+"`"
	case mismatch != nil:
		st.State, st.Problem = StateIssuerMismatch, mismatch.Error()
	case rec.refused():
		st.State = StateRefused
		st.Problem = fmt.Sprintf("%s: run `%s` (or `%s` to try again)", st.LoggedOutReason, login, refreshCommand(profile))
	case st.KeyProblem != "":
		st.State, st.Problem = StateKeyMissing, st.KeyProblem
	case st.AppType == AppJWT && !m.canSign(rec):
		st.State, st.Problem = StateLoggedOut, "no private key to sign the next token with: run `"+login+" --private-key-file …`"
	case st.AppType == AppJWT || rec.LoggedIn(now):
		st.State = StateLoggedIn
	case !rec.RefreshExpiry.IsZero() && !now.Before(rec.RefreshExpiry):
		st.State = StateExpired
		st.Problem = fmt.Sprintf("the refresh token expired %s: run `%s`", timefmt.Relative(rec.RefreshExpiry, now), login)
	default:
		st.State, st.Problem = StateLoggedOut, "the tokens can no longer be refreshed: run `"+login+"`"
	}
	st.LoggedIn = st.State == StateLoggedIn
}

// LoggedInAt reports whether the profile s described when it was read is
// still logged in at now: it was, and its refresh token has not run out
// since. A zero now is the moment s was read.
func (s *Status) LoggedInAt(now time.Time) bool {
	if s == nil || s.State != StateLoggedIn {
		return false
	}
	return s.RefreshExpiresAt == nil || now.IsZero() || now.Before(*s.RefreshExpiresAt)
}

// notSetUp is what every command says of a profile no login ever set up.
func notSetUp(profile string) string {
	flag := profileFlag(profile)
	return fmt.Sprintf("not set up: run `cozeauth%s` or `cozeauth login%s --client-id …`", flag, flag)
}

// refreshCommand is `cozeauth refresh` for profile.
func refreshCommand(profile string) string { return "cozeauth refresh" + profileFlag(profile) }
