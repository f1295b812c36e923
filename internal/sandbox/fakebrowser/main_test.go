package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// callback plays cozeauth's loopback listener and records what reached it.
type callback struct {
	mu      sync.Mutex
	queries []url.Values
	status  int
}

func (c *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queries = append(c.queries, r.URL.Query())
	if c.status != 0 {
		w.WriteHeader(c.status)
	}
	_, _ = w.Write([]byte("You can close this window."))
}

func (c *callback) got() []url.Values {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queries
}

type fixture struct {
	sandbox  *sandbox.Server
	base     string
	callback *callback
	cbURL    string
}

func newFixture(t *testing.T, callbackStatus int) *fixture {
	t.Helper()
	s := sandbox.New(sandbox.Options{})
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	cb := &callback{status: callbackStatus}
	cbServer := httptest.NewServer(cb)
	t.Cleanup(cbServer.Close)
	return &fixture{sandbox: s, base: base, callback: cb, cbURL: cbServer.URL + "/callback"}
}

func (f *fixture) authorizeURL() string {
	return f.base + "/api/permission/oauth2/authorize?" + url.Values{
		"response_type":         {"code"},
		"client_id":             {sandbox.PKCEClientID},
		"redirect_uri":          {f.cbURL},
		"state":                 {"st"},
		"code_challenge":        {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
		"code_challenge_method": {"S256"},
	}.Encode()
}

// deviceURL starts a device flow and returns the page to visit and the
// device code to poll with.
func (f *fixture) deviceURL(t *testing.T) (pageURL, deviceCode string) {
	t.Helper()
	resp, err := http.Post(f.base+"/api/permission/oauth2/device/code", "application/json",
		strings.NewReader(`{"client_id":"`+sandbox.DeviceClientID+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		DeviceCode      string `json:"device_code"`
		UserCode        string `json:"user_code"`
		VerificationURI string `json:"verification_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.VerificationURI + "?user_code=" + url.QueryEscape(body.UserCode), body.DeviceCode
}

// pollError polls the token endpoint once and returns its error code, or ""
// when a token came back.
func (f *fixture) pollError(t *testing.T, deviceCode string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{
		"grant_type":  "urn:ietf:params:oauth:grant-type:device_code",
		"device_code": deviceCode,
		"client_id":   sandbox.DeviceClientID,
	})
	resp, err := http.Post(f.base+"/api/permission/oauth2/token", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return body.Error
}

func testClient() *http.Client { return &http.Client{Timeout: 10 * time.Second} }

func TestRunConsent(t *testing.T) {
	tests := []struct {
		name           string
		action         string
		callbackStatus int
		wantErr        string
		want           url.Values // callback query; a code is replaced by "CODE"
	}{
		{"approve", "", 0, "", url.Values{"code": {"CODE"}, "state": {"st"}}},
		{"approve explicitly", "approve", 0, "", url.Values{"code": {"CODE"}, "state": {"st"}}},
		{"deny", "deny", http.StatusBadRequest, "", url.Values{
			"error":             {"access_denied"},
			"error_description": {"the user denied the authorization request"},
			"state":             {"st"},
		}},
		{"approve but the callback fails", "", http.StatusBadRequest, "callback", url.Values{"code": {"CODE"}, "state": {"st"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.callbackStatus)
			err := run(testClient(), f.authorizeURL(), tt.action, "")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("run() = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("run() = %v, want an error mentioning %q", err, tt.wantErr)
			}
			got := f.callback.got()
			for _, q := range got {
				if q.Get("code") != "" {
					q.Set("code", "CODE")
				}
			}
			if diff := cmp.Diff([]url.Values{tt.want}, got); diff != "" {
				t.Errorf("callback queries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunDevice(t *testing.T) {
	tests := []struct {
		action    string
		wantError string // from polling afterwards
	}{
		{"approve", ""},
		{"deny", "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			f := newFixture(t, 0)
			page, deviceCode := f.deviceURL(t)
			if err := run(testClient(), page, tt.action, ""); err != nil {
				t.Fatalf("run() = %v", err)
			}
			if got := f.pollError(t, deviceCode); got != tt.wantError {
				t.Errorf("poll error = %q, want %q", got, tt.wantError)
			}
		})
	}
}

func TestRunFails(t *testing.T) {
	f := newFixture(t, 0)
	tests := []struct {
		name, url, action, wantErr string
	}{
		{"bad action", f.authorizeURL(), "maybe", "FAKEBROWSER_ACTION"},
		{"invalid authorize request", f.base + "/api/permission/oauth2/authorize?state=x", "", "400 Bad Request: Invalid authorization request"},
		{"page without a form", f.base + "/", "", `no form with a "approve" button`},
		{"nothing listening", "http://127.0.0.1:1/", "", "could not open the page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(testClient(), tt.url, tt.action, "")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("run() = %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestRunLogsURL(t *testing.T) {
	f := newFixture(t, 0)
	log := filepath.Join(t.TempDir(), "urls.log")
	first, second := f.authorizeURL(), f.base+"/nothing-here"
	if err := run(testClient(), first, "", log); err != nil {
		t.Fatal(err)
	}
	_ = run(testClient(), second, "", log) // fails, but still logs
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	// The URLs visited, and the title of the page the callback answered
	// (this fixture's has none).
	if diff := cmp.Diff(first+"\npage: \n"+second+"\n", string(b)); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestParseForm(t *testing.T) {
	const page = `<html><form method="post" action="/other"><input type="hidden" name="x" value="1">
<button type="submit" name="action" value="cancel">Cancel</button></form>
<FORM method="post" action="/sandbox/consent">
<input type="hidden" name="req" value="a&amp;b">
<input type="text" name="note" value="">
<button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="deny">Deny</button>
</FORM></html>`
	tests := []struct {
		action  string
		want    form
		wantErr bool
	}{
		{"approve", form{action: "/sandbox/consent", values: url.Values{"req": {"a&b"}, "note": {""}, "action": {"approve"}}}, false},
		{"deny", form{action: "/sandbox/consent", values: url.Values{"req": {"a&b"}, "note": {""}, "action": {"deny"}}}, false},
		{"cancel", form{action: "/other", values: url.Values{"x": {"1"}, "action": {"cancel"}}}, false},
		{"other", form{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			got, err := parseForm(page, tt.action)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseForm() error = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(form{})); diff != "" {
				t.Errorf("parseForm (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	page := "<html><head><title>T</title><style>body{}</style></head><body><h1>Oops</h1>\n<p>a &amp; b</p></body></html>"
	if diff := cmp.Diff("Oops a & b", summary(page)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

// TestBinary builds fakebrowser and runs it the way cozeauth runs $BROWSER,
// to check the exit codes and the environment variables.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	bin := filepath.Join(t.TempDir(), "fakebrowser")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f := newFixture(t, 0)
	log := filepath.Join(t.TempDir(), "urls.log")
	tests := []struct {
		name       string
		args       []string
		action     string
		wantExit   int
		wantStderr string
	}{
		{"approve", []string{f.authorizeURL()}, "", 0, ""},
		{"deny", []string{f.authorizeURL()}, "deny", 0, ""},
		{"bad request", []string{f.base + "/api/permission/oauth2/authorize"}, "", 1, "fakebrowser: the page answered 400"},
		{"no URL", nil, "", 1, "usage: fakebrowser URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = append(os.Environ(), "FAKEBROWSER_ACTION="+tt.action, "FAKEBROWSER_LOG="+log)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			exit := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if exit != tt.wantExit || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and stderr containing %q", exit, stderr.String(), tt.wantExit, tt.wantStderr)
			}
		})
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "\n") - strings.Count(string(b), "page: "); got != 3 {
		t.Errorf("FAKEBROWSER_LOG has %d URL lines, want one per run with a URL (3):\n%s", got, b)
	}
	if got := strings.Count(string(b), "page: "); got != 2 {
		t.Errorf("FAKEBROWSER_LOG has %d page titles, want one per callback reached (2):\n%s", got, b)
	}
	if got := len(f.callback.got()); got != 2 {
		t.Errorf("callback reached %d times, want 2", got)
	}
}
