package sandbox

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const (
	deviceCodePath  = "/api/permission/oauth2/device/code"
	devicePagePath  = "/sandbox/device"
	deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

	deviceTTL      = 5 * time.Minute // Coze's default expires_in
	deviceInterval = 5 * time.Second // Coze's default interval
	// pollSlack forgives polls that arrive a little early: a client waiting
	// exactly the interval between sends still sees jitter on arrival.
	pollSlack = time.Second
)

type deviceState int

const (
	devicePending deviceState = iota
	deviceApproved
	deviceDenied
)

// deviceGrant is one device authorization in progress.
type deviceGrant struct {
	clientID string
	userCode string
	expires  time.Time
	interval time.Duration // grows by 5s on each slow_down, as RFC 8628 §3.5 says
	lastPoll time.Time
	state    deviceState
}

// userCodeAlphabet has no vowels, so codes spell no words, and no look-alike
// digits (RFC 8628 §6.1).
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// newUserCode returns a code like "BCDF-GHJK".
func newUserCode() string {
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() < 9 {
		if b.Len() == 4 {
			b.WriteByte('-')
			continue
		}
		_, _ = rand.Read(buf)
		// Rejecting the top of the byte range keeps the letters uniform.
		if int(buf[0]) >= 256/len(userCodeAlphabet)*len(userCodeAlphabet) {
			continue
		}
		b.WriteByte(userCodeAlphabet[int(buf[0])%len(userCodeAlphabet)])
	}
	return b.String()
}

// normalizeUserCode accepts what a person might type: any case, with or
// without the dash or spaces.
func normalizeUserCode(code string) string {
	code = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	if len(code) != 8 {
		return code
	}
	return code[:4] + "-" + code[4:]
}

func (s *Server) handleDeviceCode(w http.ResponseWriter, r *http.Request) {
	if !isJSON(r) {
		writeOAuthError(w, invalidRequest("body must be JSON"))
		return
	}
	var req struct {
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil {
		writeOAuthError(w, invalidRequest("body must be JSON"))
		return
	}
	if _, oerr := requireType(req.ClientID, TypeDevice); oerr != nil {
		writeOAuthError(w, oerr) // Coze's device flow is for device apps only
		return
	}
	deviceCode := randHex(32)
	expires := s.now().Add(deviceTTL)
	s.mu.Lock()
	userCode := newUserCode()
	for s.userCodes[userCode] != "" {
		userCode = newUserCode()
	}
	s.devices[deviceCode] = &deviceGrant{
		clientID: req.ClientID,
		userCode: userCode,
		expires:  expires,
		interval: s.deviceInterval(),
	}
	s.userCodes[userCode] = deviceCode
	if r.PathValue("workspace") != "" {
		s.stats.WorkspaceRequests++
	}
	s.mu.Unlock()

	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":      deviceCode,
		"user_code":        userCode,
		"verification_uri": baseURL(r) + devicePagePath,
		"expires_in":       int(deviceTTL / time.Second), // a duration here, unlike the token endpoint
		"interval":         int(s.deviceInterval() / time.Second),
	})
}

// deviceInterval is Options.DeviceInterval in whole seconds, Coze's 5 s
// when unset.
func (s *Server) deviceInterval() time.Duration {
	if s.opts.DeviceInterval <= 0 {
		return deviceInterval
	}
	whole := (s.opts.DeviceInterval + time.Second - 1) / time.Second // rounded up
	return whole * time.Second
}

func deviceError(code, description string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, Error: code, ErrorCode: code, Description: description}
}

// deviceToken answers one poll of the token endpoint.
func (s *Server) deviceToken(r *http.Request, req tokenRequest) (tokenResponse, *oauthError) {
	if oerr := checkClient(r, req.ClientID, TypeDevice); oerr != nil {
		return tokenResponse{}, oerr
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[req.DeviceCode]
	if !ok || d.clientID != req.ClientID {
		return tokenResponse{}, invalidRequest("invalid request: device_code is unknown or already used")
	}
	if !now.Before(d.expires) {
		return tokenResponse{}, deviceError("expired_token", "the device code has expired; start the login again")
	}
	tooSoon := !d.lastPoll.IsZero() && now.Sub(d.lastPoll) < d.interval-pollSlack
	d.lastPoll = now
	if tooSoon {
		d.interval += 5 * time.Second
		return tokenResponse{}, deviceError("slow_down", fmt.Sprintf("polling too fast; wait %s between polls", d.interval))
	}
	switch d.state {
	case deviceDenied:
		return tokenResponse{}, deviceError("access_denied", "the user denied the authorization request")
	case deviceApproved:
		delete(s.devices, req.DeviceCode)
		delete(s.userCodes, d.userCode)
		s.stats.DeviceTokens++
		return s.issueLocked(d.clientID, now), nil
	}
	return tokenResponse{}, deviceError("authorization_pending", "the user has not answered yet")
}

// ApproveDevice approves a pending user code, as the device page's Approve
// button does.
func (s *Server) ApproveDevice(userCode string) error {
	return s.decideDevice(userCode, deviceApproved)
}

// DenyDevice denies a pending user code, as the device page's Deny button does.
func (s *Server) DenyDevice(userCode string) error {
	return s.decideDevice(userCode, deviceDenied)
}

func (s *Server) decideDevice(userCode string, state deviceState) error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.pendingDeviceLocked(userCode, now)
	if err != nil {
		return err
	}
	d.state = state
	return nil
}

// pendingDeviceLocked finds the unexpired, unanswered grant for a user code;
// s.mu must be held.
func (s *Server) pendingDeviceLocked(userCode string, now time.Time) (*deviceGrant, error) {
	d := s.devices[s.userCodes[normalizeUserCode(userCode)]]
	switch {
	case d == nil:
		return nil, fmt.Errorf("unknown user code %q", userCode)
	case !now.Before(d.expires):
		return nil, fmt.Errorf("user code %q has expired", userCode)
	case d.state != devicePending:
		return nil, errors.New("this user code has already been answered")
	}
	return d, nil
}

func (s *Server) handleDevicePage(w http.ResponseWriter, r *http.Request) {
	page := devicePage{NickName: NickName, UserName: UserName}
	if code := r.URL.Query().Get("user_code"); code != "" {
		now := s.now()
		s.mu.Lock()
		d, err := s.pendingDeviceLocked(code, now)
		if err == nil {
			page.UserCode = d.userCode
			page.AppName, _ = appName(d.clientID)
		}
		s.mu.Unlock()
		if err != nil {
			s.renderMessage(w, http.StatusBadRequest, "Code not accepted", err.Error())
			return
		}
	}
	s.render(w, http.StatusOK, "device", page)
}

func (s *Server) handleDevice(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r, "device") {
		return
	}
	code := r.PostForm.Get("user_code")
	switch r.PostForm.Get("action") {
	case "approve":
		if err := s.ApproveDevice(code); err != nil {
			s.renderMessage(w, http.StatusBadRequest, "Code not accepted", err.Error())
			return
		}
		s.renderMessage(w, http.StatusOK, "Device connected", "You can return to your device: it will finish logging in.")
	case "deny":
		if err := s.DenyDevice(code); err != nil {
			s.renderMessage(w, http.StatusBadRequest, "Code not accepted", err.Error())
			return
		}
		s.renderMessage(w, http.StatusOK, "Device refused", "The device will not get access to your account.")
	default:
		s.renderMessage(w, http.StatusBadRequest, "Bad form", "Choose Approve or Deny.")
	}
}
