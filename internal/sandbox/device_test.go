package sandbox

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var userCodeShape = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

// startDevice asks for a device code and returns it with the user code.
func (e *env) startDevice() (deviceCode, userCode string) {
	e.t.Helper()
	status, body := e.postJSON(deviceCodePath, "", map[string]string{"client_id": DeviceClientID})
	if status != http.StatusOK {
		e.t.Fatalf("device code = %d: %v", status, body)
	}
	return body["device_code"].(string), body["user_code"].(string)
}

// poll asks the token endpoint once and returns the status and the error
// code, or "" with the status on success.
func (e *env) poll(deviceCode string) (int, string) {
	e.t.Helper()
	status, body := e.postJSON(tokenPath, "", map[string]string{
		"grant_type": deviceGrantType, "device_code": deviceCode, "client_id": DeviceClientID,
	})
	if status == http.StatusOK {
		if body["access_token"] == nil {
			e.t.Fatalf("200 without an access token: %v", body)
		}
		return status, ""
	}
	code, _ := body["error"].(string)
	return status, code
}

func TestDeviceCodeResponse(t *testing.T) {
	e := newEnv(t, Options{})
	status, body := e.postJSON(deviceCodePath, "", map[string]string{"client_id": DeviceClientID})
	if status != http.StatusOK {
		t.Fatalf("status = %d: %v", status, body)
	}
	if !userCodeShape.MatchString(body["user_code"].(string)) {
		t.Errorf("user_code = %q, want like BCDF-GHJK", body["user_code"])
	}
	if dc, _ := body["device_code"].(string); len(dc) < 32 {
		t.Errorf("device_code = %q, want a long random string", dc)
	}
	delete(body, "user_code")
	delete(body, "device_code")
	want := map[string]any{
		"verification_uri": e.url + "/sandbox/device",
		"expires_in":       float64(300),
		"interval":         float64(5),
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestDeviceCodeRejects(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		name, contentType, body string
		wantStatus              int
		wantCode                string
	}{
		{"form body", "application/x-www-form-urlencoded", "client_id=" + DeviceClientID, http.StatusBadRequest, "invalid_request"},
		{"unknown client", "application/json", `{"client_id":"1.app.coze"}`, http.StatusUnauthorized, "invalid_client"},
		{"a PKCE app", "application/json", `{"client_id":"` + PKCEClientID + `"}`, http.StatusForbidden, "access_deny"},
		{"a JWT app", "application/json", `{"client_id":"` + JWTClientID + `"}`, http.StatusForbidden, "access_deny"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(http.MethodPost, deviceCodePath, tt.contentType, "", tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := decode(t, body)["error_code"]; got != tt.wantCode {
				t.Errorf("error_code = %v, want %s", got, tt.wantCode)
			}
		})
	}
}

func TestDeviceFlow(t *testing.T) {
	type step struct {
		advance    time.Duration
		decide     string // "approve" or "deny" before polling
		wantStatus int
		wantError  string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"pending, slow_down, approve, token", []step{
			{0, "", http.StatusBadRequest, "authorization_pending"},
			{time.Second, "", http.StatusBadRequest, "slow_down"},
			// slow_down raised the interval to 10s.
			{5 * time.Second, "", http.StatusBadRequest, "slow_down"},
			{15 * time.Second, "approve", http.StatusOK, ""},
			{15 * time.Second, "", http.StatusBadRequest, "invalid_request"}, // the device code is used up
		}},
		{"polling at the interval is fine", []step{
			{0, "", http.StatusBadRequest, "authorization_pending"},
			{5 * time.Second, "", http.StatusBadRequest, "authorization_pending"},
			{4500 * time.Millisecond, "", http.StatusBadRequest, "authorization_pending"}, // within the slack
			{5 * time.Second, "approve", http.StatusOK, ""},
		}},
		{"deny", []step{
			{0, "", http.StatusBadRequest, "authorization_pending"},
			{5 * time.Second, "deny", http.StatusBadRequest, "access_denied"},
			{5 * time.Second, "", http.StatusBadRequest, "access_denied"},
		}},
		{"expiry", []step{
			{0, "", http.StatusBadRequest, "authorization_pending"},
			{deviceTTL, "", http.StatusBadRequest, "expired_token"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			deviceCode, userCode := e.startDevice()
			for i, s := range tt.steps {
				e.clock.Add(s.advance)
				switch s.decide {
				case "approve":
					if err := e.s.ApproveDevice(userCode); err != nil {
						t.Fatal(err)
					}
				case "deny":
					if err := e.s.DenyDevice(userCode); err != nil {
						t.Fatal(err)
					}
				}
				status, code := e.poll(deviceCode)
				if status != s.wantStatus || code != s.wantError {
					t.Errorf("step %d: got %d %q, want %d %q", i, status, code, s.wantStatus, s.wantError)
				}
			}
		})
	}
}

func TestDeviceErrorShape(t *testing.T) {
	e := newEnv(t, Options{})
	deviceCode, _ := e.startDevice()
	_, body := e.postJSON(tokenPath, "", map[string]string{
		"grant_type": deviceGrantType, "device_code": deviceCode, "client_id": DeviceClientID,
	})
	want := map[string]any{
		"error":             "authorization_pending",
		"error_code":        "authorization_pending",
		"error_description": "the user has not answered yet",
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestDeviceTokenCounts(t *testing.T) {
	e := newEnv(t, Options{})
	deviceCode, userCode := e.startDevice()
	if err := e.s.ApproveDevice(userCode); err != nil {
		t.Fatal(err)
	}
	if status, code := e.poll(deviceCode); status != http.StatusOK {
		t.Fatalf("poll = %d %s", status, code)
	}
	if diff := cmp.Diff(Stats{DeviceTokens: 1}, e.s.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestDecideDeviceErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(e *env, userCode string) string // returns the code to decide
		wantErr string
	}{
		{"unknown", func(*env, string) string { return "BBBB-BBBB" }, "unknown user code"},
		{"expired", func(e *env, c string) string { e.clock.Add(deviceTTL); return c }, "expired"},
		{"already answered", func(e *env, c string) string {
			if err := e.s.DenyDevice(c); err != nil {
				t.Fatal(err)
			}
			return c
		}, "already been answered"},
		{"typed loosely", func(_ *env, c string) string {
			return strings.ToLower(strings.ReplaceAll(c, "-", " "))
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			_, userCode := e.startDevice()
			err := e.s.ApproveDevice(tt.setup(e, userCode))
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("ApproveDevice() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ApproveDevice() = %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestNormalizeUserCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"BCDF-GHJK", "BCDF-GHJK"},
		{"bcdfghjk", "BCDF-GHJK"},
		{"bcdf ghjk", "BCDF-GHJK"},
		{"abc", "ABC"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, normalizeUserCode(tt.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewUserCode(t *testing.T) {
	for range 100 {
		if c := newUserCode(); !userCodeShape.MatchString(c) {
			t.Fatalf("newUserCode() = %q, want like BCDF-GHJK", c)
		}
	}
}

func TestDevicePage(t *testing.T) {
	e := newEnv(t, Options{})
	deviceCode, userCode := e.startDevice()
	tests := []struct {
		name     string
		query    string
		want     int
		contains []string
	}{
		{"with a user code", "?user_code=" + url.QueryEscape(strings.ToLower(userCode)), http.StatusOK, []string{
			"Sandbox Device App", "Sandbox User", userCode,
			`<form method="post" action="/sandbox/device">`,
			`<input type="hidden" name="user_code" value="` + userCode + `">`,
			`name="action" value="approve"`, `name="action" value="deny"`,
		}},
		{"asking for a code", "", http.StatusOK, []string{`<input type="text" name="user_code"`}},
		{"unknown code", "?user_code=BBBB-BBBB", http.StatusBadRequest, []string{"unknown user code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(http.MethodGet, devicePagePath+tt.query, "", "", "")
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			for _, want := range tt.contains {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q:\n%s", want, body)
				}
			}
		})
	}

	t.Run("bad action", func(t *testing.T) {
		resp, _ := e.do(http.MethodPost, devicePagePath, "application/x-www-form-urlencoded", "", "action=maybe&user_code="+userCode)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", resp.StatusCode)
		}
	})
	t.Run("approve", func(t *testing.T) {
		resp, body := e.do(http.MethodPost, devicePagePath, "application/x-www-form-urlencoded", "", "action=approve&user_code="+userCode)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Device connected") {
			t.Errorf("status = %d, want 200 and a confirmation:\n%s", resp.StatusCode, body)
		}
		if status, code := e.poll(deviceCode); status != http.StatusOK {
			t.Errorf("poll after approval = %d %s, want 200", status, code)
		}
	})
	t.Run("answer twice", func(t *testing.T) {
		resp, _ := e.do(http.MethodPost, devicePagePath, "application/x-www-form-urlencoded", "", "action=deny&user_code="+userCode)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", resp.StatusCode)
		}
	})
}

// TestDeviceIntervalOption: Options.DeviceInterval is the interval the
// device code answer gives, in whole seconds rounded up; 0 is Coze's 5.
func TestDeviceIntervalOption(t *testing.T) {
	for _, tt := range []struct {
		set  time.Duration
		want float64
	}{{0, 5}, {time.Second, 1}, {1500 * time.Millisecond, 2}, {time.Millisecond, 1}, {30 * time.Second, 30}} {
		e := newEnv(t, Options{DeviceInterval: tt.set})
		_, body := e.postJSON(deviceCodePath, "", map[string]string{"client_id": DeviceClientID})
		if got := body["interval"]; got != tt.want {
			t.Errorf("DeviceInterval %s: interval = %v, want %v", tt.set, got, tt.want)
		}
	}
}
