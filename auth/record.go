package auth

import (
	"fmt"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// Record is what the store keeps for one profile: the token pair, who issued
// it, the web app's client secret (needed for every refresh), who the token
// is for, and how the last renewal went. Every field a grant — a refresh, a
// JWT mint — needs to know or leaves behind lives here.
type Record struct {
	Token
	// Issuer is the API base and client id the tokens were issued by; the
	// tokens, the secret and any renewal go only there.
	Issuer
	ClientSecret string `json:"client_secret,omitempty"`
	// PrivateKey is a JWT app's PEM key when it came from the environment
	// or a config file (a key file is kept as a path in the settings).
	PrivateKey string     `json:"private_key,omitempty"`
	User       *coze.User `json:"user,omitempty"`
	// Secrets is "keyring" when the tokens and secret are in the system
	// keyring rather than in this file.
	Secrets string `json:"secrets,omitempty"`
	// Failure is the last renewal's failure, cleared by the next success or
	// a login. A refusal ([Failure.Refused]) logs the profile out.
	Failure *Failure `json:"failure,omitempty"`
	// Unshared is set, on a machine's cache of a shared profile, when this
	// pair could not be written back to the shared store: the fingerprint
	// of the refresh token it replaced. It goes back there at the next
	// chance, if the shared record still holds that token.
	Unshared string `json:"unshared,omitempty"`
	// EngineFailedAt is when this machine last could not reach the shared
	// store of its profile; for [failureMemory] after it, a token still
	// usable is handed out without asking the store again.
	EngineFailedAt time.Time `json:"engine_failed_at,omitzero"`
}

// Issuer names who issued a token pair. Records saved before cozeauth kept
// it have it empty; they are bound to the profile's saved settings.
type Issuer struct {
	APIBase  string `json:"api_base,omitempty"`
	ClientID string `json:"client_id,omitempty"`
}

// issuerOf is the issuer cfg would send a token to.
func issuerOf(cfg Config) Issuer {
	return Issuer{APIBase: cfg.API(), ClientID: cfg.ClientID}
}

func (i Issuer) known() bool { return i.APIBase != "" || i.ClientID != "" }

func (i Issuer) String() string {
	return fmt.Sprintf("%s (client id %s)", i.APIBase, i.ClientID)
}

// sameAs compares issuers, ignoring a trailing slash and the case of the
// scheme and host.
func (i Issuer) sameAs(o Issuer) bool {
	norm := func(s string) string { return strings.ToLower(strings.TrimRight(s, "/")) }
	return norm(i.APIBase) == norm(o.APIBase) && i.ClientID == o.ClientID
}

// Failure is why the last renewal did not work. Other processes read it:
// after a refusal nobody sends the dead refresh token again, and a passing
// failure moments ago is not repeated by every process in line.
type Failure struct {
	At time.Time `json:"at"`
	// Refused means Coze answered the grant with a 4xx: only a login (or an
	// explicit refresh that Coze accepts) helps.
	Refused bool   `json:"refused,omitempty"`
	Reason  string `json:"reason"`
	Status  int    `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	LogID   string `json:"log_id,omitempty"`
}

func (f *Failure) String() string {
	msg := coze.Sanitize(f.Reason)
	if f.Message != "" {
		msg += ": " + coze.Sanitize(f.Message)
	}
	if f.LogID != "" {
		msg += " (log id " + coze.Sanitize(f.LogID) + ")"
	}
	return msg + " at " + f.At.Local().Format(time.RFC3339)
}

// refused reports whether the last renewal was refused by Coze.
func (r *Record) refused() bool { return r != nil && r.Failure != nil && r.Failure.Refused }

// InKeyring reports whether r's tokens and secret are in the system keyring
// (the token file keeps only their expiry).
func (r *Record) InKeyring() bool { return r.Secrets == secretsInKeyring }

// LoggedIn reports whether r's access token is valid or its refresh token can
// still renew it, judging a keyring record by its expiry alone. A profile
// whose refresh Coze refused is logged out.
func (r *Record) LoggedIn(now time.Time) bool {
	if r == nil || r.refused() {
		return false
	}
	inKeyring := r.InKeyring()
	access := (r.AccessToken != "" || inKeyring) && now.Before(r.Expiry)
	refresh := (r.RefreshToken != "" || inKeyring) && (r.RefreshExpiry.IsZero() || now.Before(r.RefreshExpiry))
	return access || refresh
}
