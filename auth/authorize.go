package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/input"
)

// AuthorizePath is the consent endpoint's path on the web host.
const AuthorizePath = "/api/permission/oauth2/authorize"

// authorizePathFor is the consent endpoint's path, scoped to a workspace
// when workspaceID is set.
func authorizePathFor(workspaceID string) string {
	if workspaceID == "" {
		return AuthorizePath
	}
	return "/api/permission/oauth2/workspace_id/" + url.PathEscape(workspaceID) + "/authorize"
}

// AuthRequest is one authorization attempt: the URL to open, and the state
// and PKCE verifier that its callback must match.
type AuthRequest struct {
	URL         string
	State       string
	Verifier    string // empty for web apps
	RedirectURI string
}

// NewAuthRequest builds the authorize URL for cfg with a fresh 256-bit state
// and, for PKCE apps, an S256 challenge. Coze has no scope parameter: the
// app's permissions are set in its console.
func NewAuthRequest(cfg Config, redirectURI string) (*AuthRequest, error) {
	state, err := randomState()
	if err != nil {
		return nil, err
	}
	oc := &oauth2.Config{
		ClientID:    cfg.ClientID,
		Endpoint:    oauth2.Endpoint{AuthURL: cfg.WWW() + authorizePathFor(cfg.WorkspaceID), TokenURL: cfg.API() + TokenPath},
		RedirectURL: redirectURI,
	}
	r := &AuthRequest{State: state, RedirectURI: redirectURI}
	var opts []oauth2.AuthCodeOption
	if cfg.AppType() == AppPKCE {
		r.Verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(r.Verifier))
	}
	r.URL = oc.AuthCodeURL(state, opts...)
	return r, nil
}

func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("could not make a random state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ErrStateMismatch means a callback did not carry this attempt's state: it
// belongs to another attempt or to an attacker, and is ignored.
var ErrStateMismatch = errors.New("the callback's state does not match this login")

// ConsentError is a refusal that Coze sent back to the redirect URI:
// access_denied when the person said no, access_deny (sic) when Coze
// refused the app itself.
type ConsentError struct {
	Code        string
	Description string
	LogID       string
}

func (e *ConsentError) Error() string {
	if e.Code == "access_denied" {
		msg := "the authorization was denied in the browser (access_denied"
		if e.Description != "" {
			msg += ": " + coze.Sanitize(e.Description)
		}
		msg += ")"
		return msg + "; run the login again and choose Authorize to retry"
	}
	msg := "coze did not authorize the app: " + coze.Sanitize(e.Code)
	if e.Description != "" {
		msg += ": " + coze.Sanitize(e.Description)
	}
	if e.LogID != "" {
		msg += " (log id " + coze.Sanitize(e.LogID) + ")"
	}
	if h := oauthHint(e.Code, e.Description, ""); h != "" {
		msg += "; " + h
	}
	return msg
}

// CodeFromQuery checks a callback's query and returns its code. A wrong or
// missing state yields [ErrStateMismatch]; an error parameter a [ConsentError].
func (r *AuthRequest) CodeFromQuery(q url.Values) (string, error) {
	if q.Get("state") != r.State {
		if q.Get("state") == "" && q.Get("error") == "" && q.Get("code") == "" {
			return "", fmt.Errorf("%w (the address has no state, code or error)", ErrStateMismatch)
		}
		return "", ErrStateMismatch
	}
	if e := q.Get("error"); e != "" {
		return "", &ConsentError{Code: e, Description: pick1(q.Get("error_description"), q.Get("error_message")), LogID: pick1(q.Get("log_id"), q.Get("logid"))}
	}
	code := q.Get("code")
	if code == "" {
		return "", errors.New("the callback has neither a code nor an error")
	}
	return code, nil
}

// CodeFromURL accepts the address the browser ended on, pasted by a person on
// a machine where the callback cannot reach cozeauth.
func (r *AuthRequest) CodeFromURL(pasted string) (string, error) {
	if len(pasted) > input.MaxPaste {
		return "", fmt.Errorf("that is %d bytes, longer than any address (at most %d): paste only the address from the browser's address bar", len(pasted), input.MaxPaste)
	}
	pasted = strings.TrimSpace(pasted)
	u, err := url.Parse(pasted)
	if err != nil || pasted == "" {
		// Not echoed: it may hold a code.
		return "", errors.New("that is not an address: paste the whole address from the browser's address bar")
	}
	q := u.Query()
	if len(q) == 0 && u.RawQuery == "" && !strings.Contains(pasted, "?") {
		q, _ = url.ParseQuery(pasted) // a bare "code=…&state=…" also works
	}
	return r.CodeFromQuery(q)
}

// pick1 returns a if it is set, else b.
func pick1(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
