package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// DevicePath is the device authorization endpoint's path on the API host.
const DevicePath = "/api/permission/oauth2/device/code"

// DeviceGrantType is the grant type of a device code token call.
const DeviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// DeviceAuth is Coze's answer to a device authorization request.
type DeviceAuth struct {
	DeviceCode      string
	UserCode        string
	VerificationURI string
	Interval        time.Duration
	ExpiresAt       time.Time
}

// VerificationURL is the address to open on another device, with the user
// code filled in.
func (d *DeviceAuth) VerificationURL() string {
	u, err := url.Parse(d.VerificationURI)
	if err != nil {
		return d.VerificationURI
	}
	q := u.Query()
	q.Set("user_code", d.UserCode)
	u.RawQuery = q.Encode()
	return u.String()
}

// devicePathFor is the device authorization endpoint's path, scoped to a
// workspace when workspaceID is set.
func devicePathFor(workspaceID string) string {
	if workspaceID == "" {
		return DevicePath
	}
	return "/api/permission/oauth2/workspace_id/" + url.PathEscape(workspaceID) + "/device/code"
}

// DeviceCode starts a device authorization; workspaceID, when set, scopes
// it to that workspace.
func (c *Client) DeviceCode(ctx context.Context, workspaceID string) (*DeviceAuth, error) {
	resp, data, err := c.postJSON(ctx, devicePathFor(workspaceID), map[string]string{"client_id": c.ClientID})
	if err != nil {
		return nil, fmt.Errorf("could not start the device login: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("could not start the device login: %w", parseOAuthError(resp, data))
	}
	return parseDeviceAnswer(resp, data, c.now())
}

// parseDeviceAnswer reads the device authorization answer. The user code
// and the address are shown to a person, so they are made safe to print.
func parseDeviceAnswer(resp *http.Response, data []byte, now time.Time) (*DeviceAuth, error) {
	var b struct {
		DeviceCode      string          `json:"device_code"`
		UserCode        json.RawMessage `json:"user_code"` // documented as an integer, shown as "WDJB-MJHT"
		VerificationURI string          `json:"verification_uri"`
		ExpiresIn       int             `json:"expires_in"` // a duration here, unlike the token call
		Interval        int             `json:"interval"`
	}
	err := json.Unmarshal(data, &b)
	userCode := jsonString(b.UserCode)
	var n json.Number
	if userCode == "" && json.Unmarshal(b.UserCode, &n) == nil {
		userCode = n.String()
	}
	if err != nil || b.DeviceCode == "" || userCode == "" {
		return nil, fmt.Errorf("coze's device login answer is incomplete (HTTP %d): is this app a device app?", resp.StatusCode)
	}
	if err := coze.CheckToken("device code", b.DeviceCode); err != nil {
		return nil, fmt.Errorf("coze's device login answer is malformed: %w", err)
	}
	if u, err := url.Parse(b.VerificationURI); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("coze's device login answer has no web address to open (HTTP %d)", resp.StatusCode)
	}
	if b.ExpiresIn <= 0 || b.ExpiresIn > 3600 {
		b.ExpiresIn = 300
	}
	switch {
	case b.Interval <= 0:
		b.Interval = defaultDeviceInterval
	case b.Interval > maxDeviceInterval: // honoured up to a bound, never reset to poll faster
		b.Interval = maxDeviceInterval
	}
	return &DeviceAuth{
		DeviceCode:      b.DeviceCode,
		UserCode:        coze.Sanitize(userCode),
		VerificationURI: coze.Sanitize(b.VerificationURI),
		Interval:        time.Duration(b.Interval) * time.Second,
		ExpiresAt:       now.Add(time.Duration(b.ExpiresIn) * time.Second),
	}, nil
}

// DeviceToken polls once for the token of a device authorization. While the
// user has not approved, it returns an [*OAuthError] with Code
// authorization_pending (or slow_down).
func (c *Client) DeviceToken(ctx context.Context, deviceCode string) (*Token, error) {
	return c.tokenCall(ctx, map[string]string{
		"grant_type":  DeviceGrantType,
		"device_code": deviceCode,
		"client_id":   c.ClientID,
	})
}

// poll asks once for the tokens, detached from ctx: an approved device code
// is spent by the answer.
func (f *DeviceFlow) poll(ctx context.Context, client *Client) (*Token, error) {
	call, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshCallTimeout)
	defer cancel()
	return client.DeviceToken(call, f.auth.DeviceCode)
}

// DeviceError ends a device login that the user refused or let expire.
type DeviceError struct {
	Code string
}

func (e *DeviceError) Error() string {
	switch e.Code {
	case "access_denied":
		return "the device login was denied in the browser; run `cozeauth login --device` again to retry"
	case "expired_token":
		return "the device code expired before it was approved; run `cozeauth login --device` again for a new code"
	}
	return "the device login failed: " + coze.Sanitize(e.Code)
}

// DeviceFlow is one device login in progress.
type DeviceFlow struct {
	m    *Manager
	auth *DeviceAuth
}

// BeginDevice asks Coze for a user code to show.
func (m *Manager) BeginDevice(ctx context.Context) (*DeviceFlow, error) {
	if _, err := ValidateClientID(m.Config.ClientID); err != nil {
		return nil, err
	}
	if err := m.Config.CheckFlow(FlowDevice); err != nil {
		return nil, err
	}
	if m.Config.Settings.AppType == "" { // asked for by name: saved as a device app
		m.Config.Settings.AppType = AppDevice
	}
	da, err := m.Client("").DeviceCode(ctx, m.Config.WorkspaceID)
	if err != nil {
		return nil, err
	}
	return &DeviceFlow{m: m, auth: da}, nil
}

// Auth is what to show the user: the user code and where to enter it.
func (f *DeviceFlow) Auth() *DeviceAuth { return f.auth }

// The device poll's interval, in seconds: Coze's default, and the longest
// one honoured (an answer asking for more polls every 5 minutes).
const (
	defaultDeviceInterval = 5
	maxDeviceInterval     = 300
)

// slowDownStep is what Coze asks a too-eager poller to add to its interval;
// slow_down makes the interval grow to maxSlowDown at most (an interval
// Coze gave that is longer is kept).
const (
	slowDownStep = 5 * time.Second
	maxSlowDown  = 60 * time.Second
)

// slowedDown is the interval after a slow_down.
func slowedDown(interval time.Duration) time.Duration {
	if interval >= maxSlowDown {
		return interval
	}
	return min(interval+slowDownStep, maxSlowDown)
}

// Wait polls no faster than the interval Coze gave (plus 5 s after each
// slow_down, up to 60 s) until the user approves, refuses, or the code expires, then
// saves the tokens like any login.
func (f *DeviceFlow) Wait(ctx context.Context) (*LoginResult, error) {
	if err := f.m.Store.CanWrite(); err != nil { // before Coze can issue anything
		return nil, err
	}
	interval := f.auth.Interval
	client := f.m.Client("")
	failures := 0 // network errors and 5xx in a row
	for {
		if !f.m.now().Before(f.auth.ExpiresAt) {
			return nil, &DeviceError{Code: "expired_token"}
		}
		if err := f.m.sleep(ctx, interval); err != nil {
			return nil, err
		}
		end := f.m.pending().begin() // until the tokens are saved
		t, err := f.poll(ctx, client)
		if err == nil {
			defer end()
			return f.m.finishLogin(context.WithoutCancel(ctx), func(context.Context, *Client) (*Token, error) { return t, nil })
		}
		end()
		var redirected *GrantRedirectError
		if errors.As(err, &redirected) || isCertificateError(err) {
			return nil, fmt.Errorf("could not poll for the device login: %w", err) // never sent again
		}
		var oe *OAuthError
		if !errors.As(err, &oe) || oe.StatusCode/100 == 5 {
			if failures++; failures >= refreshTries || ctx.Err() != nil {
				return nil, fmt.Errorf("could not poll for the device login (%d tries): %w", failures, err)
			}
			continue // a passing fault: poll again after the interval
		}
		failures = 0
		switch oe.Code {
		case "authorization_pending":
		case "slow_down":
			interval = slowedDown(interval)
		case "access_denied":
			return nil, &DeviceError{Code: "access_denied"}
		case "expired_token":
			return nil, &DeviceError{Code: "expired_token"}
		default:
			return nil, fmt.Errorf("the device login failed: %w", oe)
		}
	}
}
