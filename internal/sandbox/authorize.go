package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	authorizePath = "/api/permission/oauth2/authorize"
	consentPath   = "/sandbox/consent"
)

// authRequest is a validated authorization request waiting on the consent page.
type authRequest struct {
	clientID    string
	redirectURI string   // exactly as sent: the token call must repeat it
	redirect    *url.URL // parsed, to add code and state to
	state       string
	challenge   string // empty when the client sent no PKCE challenge
	method      string // "S256" or "plain"
	expires     time.Time
	// denied is Coze's access_deny reason, sent back to the redirect URI
	// instead of a consent page: an app type that has no browser flow.
	denied string
}

// authCode is what an authorization code was issued for.
type authCode struct {
	clientID    string
	redirectURI string
	challenge   string
	method      string
	expires     time.Time
}

// appName is what the consent page calls each sandbox app; ok is false for
// client IDs the sandbox does not know.
func appName(clientID string) (name string, ok bool) {
	a, ok := appByID(clientID)
	return a.Name, ok
}

func isAuthorizePath(p string) bool {
	if p == authorizePath {
		return true
	}
	id, ok := strings.CutPrefix(p, "/api/permission/oauth2/workspace_id/")
	if !ok {
		return false
	}
	id, ok = strings.CutSuffix(id, "/authorize")
	return ok && id != "" && !strings.Contains(id, "/")
}

// parseAuthorizeQuery checks an authorization request the way Coze's consent
// step would. Any absolute http(s) redirect URI passes here: like Coze, the
// sandbox refuses an unregistered one at the code exchange (token.go),
// with 400 invalid_request "invalid request: redirect_uri".
func parseAuthorizeQuery(q url.Values) (authRequest, error) {
	if rt := q.Get("response_type"); rt != "code" {
		return authRequest{}, fmt.Errorf("invalid request: response_type must be code, not %q", rt)
	}
	clientID := q.Get("client_id")
	app, ok := appByID(clientID)
	if !ok {
		return authRequest{}, fmt.Errorf("invalid request: unknown client_id %q (the sandbox knows %s and %s)", clientID, PKCEClientID, WebClientID)
	}
	raw := q.Get("redirect_uri")
	if raw == "" {
		return authRequest{}, errors.New("invalid request: redirect_uri is missing")
	}
	redirect, err := url.Parse(raw)
	if err != nil || (redirect.Scheme != "http" && redirect.Scheme != "https") || redirect.Host == "" {
		return authRequest{}, fmt.Errorf("invalid request: redirect_uri %q is not an absolute http(s) URL", raw)
	}
	state := q.Get("state")
	if state == "" {
		return authRequest{}, errors.New("invalid request: state is missing")
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return authRequest{}, errors.New("invalid request: code_challenge_method without code_challenge")
	case challenge == "" && app.Type == TypePKCE:
		return authRequest{}, errors.New("invalid request: code_challenge is required for a PKCE app")
	case challenge != "" && method == "":
		method = "plain" // Coze's documented default
	case challenge != "" && method != "S256" && method != "plain":
		return authRequest{}, fmt.Errorf("invalid request: code_challenge_method must be S256 or plain, not %q", method)
	}
	req := authRequest{
		clientID:    clientID,
		redirectURI: raw,
		redirect:    redirect,
		state:       state,
		challenge:   challenge,
		method:      method,
	}
	if app.Type != TypePKCE && app.Type != TypeWeb {
		req.denied = "invalid app type" // device and service apps have no browser flow
	}
	return req, nil
}

// deniedURL is where Coze sends the browser when it refuses the app itself.
func deniedURL(req authRequest) string {
	return callbackURL(req.redirect, url.Values{
		"error":             {"access_deny"},
		"error_description": {req.denied},
		"state":             {req.state},
	})
}

// callbackURL adds params to the redirect URI, keeping any query it already has.
func callbackURL(redirect *url.URL, params url.Values) string {
	u := *redirect
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	req, err := parseAuthorizeQuery(r.URL.Query())
	if err != nil {
		s.renderMessage(w, http.StatusBadRequest, "Invalid authorization request", err.Error())
		return
	}
	if req.denied != "" {
		http.Redirect(w, r, deniedURL(req), http.StatusFound)
		return
	}
	req.expires = s.now().Add(codeTTL)
	id := randHex(16)
	s.mu.Lock()
	s.requests[id] = req
	if r.PathValue("id") != "" {
		s.stats.WorkspaceRequests++
	}
	s.mu.Unlock()
	http.Redirect(w, r, consentPath+"?"+url.Values{"req": {id}}.Encode(), http.StatusFound)
}

// pendingRequest returns the unexpired request behind a consent page id.
func (s *Server) pendingRequest(id string) (authRequest, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok || !now.Before(req.expires) {
		return authRequest{}, false
	}
	return req, true
}

func (s *Server) handleConsentPage(w http.ResponseWriter, r *http.Request) {
	req, ok := s.pendingRequest(r.URL.Query().Get("req"))
	if !ok {
		s.renderMessage(w, http.StatusBadRequest, "Request expired", "This authorization request is unknown, expired or already answered. Start the login again.")
		return
	}
	name, _ := appName(req.clientID)
	s.render(w, http.StatusOK, "consent", consentPage{
		AppName:     name,
		NickName:    NickName,
		UserName:    UserName,
		RedirectURI: req.redirectURI,
		ReqID:       r.URL.Query().Get("req"),
	})
}

// parseForm reads a posted form of at most maxBody bytes, or answers with
// a page saying the named form could not be read.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request, name string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		s.renderMessage(w, http.StatusBadRequest, "Bad form", "The "+name+" form could not be read.")
		return false
	}
	return true
}

func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r, "consent") {
		return
	}
	action := r.PostForm.Get("action")
	if action != "approve" && action != "deny" {
		s.renderMessage(w, http.StatusBadRequest, "Bad form", "Choose Approve or Deny.")
		return
	}
	id := r.PostForm.Get("req")
	now := s.now()
	s.mu.Lock()
	req, ok := s.requests[id]
	delete(s.requests, id) // a consent page is answered once
	s.mu.Unlock()
	if !ok || !now.Before(req.expires) {
		s.renderMessage(w, http.StatusBadRequest, "Request expired", "This authorization request is unknown, expired or already answered. Start the login again.")
		return
	}
	if action == "deny" {
		http.Redirect(w, r, callbackURL(req.redirect, url.Values{
			"error":             {"access_denied"},
			"error_description": {"the user denied the authorization request"},
			"state":             {req.state},
		}), http.StatusFound)
		return
	}
	http.Redirect(w, r, s.approve(req), http.StatusFound)
}

// approve issues a code for req and returns where the browser goes next.
func (s *Server) approve(req authRequest) string {
	code, expires := randHex(24), s.now().Add(codeTTL)
	s.mu.Lock()
	s.codes[code] = authCode{
		clientID:    req.clientID,
		redirectURI: req.redirectURI,
		challenge:   req.challenge,
		method:      req.method,
		expires:     expires,
	}
	s.mu.Unlock()
	return callbackURL(req.redirect, url.Values{"code": {code}, "state": {req.state}})
}

// Approve does in process what clicking Approve on the consent page does, for
// machines with no browser. authorizeURL is the full URL cozeauth would open;
// the result is the redirect_uri?code=..&state=.. URL the browser would visit.
func (s *Server) Approve(authorizeURL string) (redirectURL string, err error) {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return "", fmt.Errorf("could not parse the authorize url: %w", err)
	}
	if !isAuthorizePath(u.Path) {
		return "", fmt.Errorf("not a coze authorize url: path %q", u.Path)
	}
	req, err := parseAuthorizeQuery(u.Query())
	if err != nil {
		return "", fmt.Errorf("could not approve: %w", err)
	}
	if req.denied != "" {
		return deniedURL(req), nil
	}
	return s.approve(req), nil
}
