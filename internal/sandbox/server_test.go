package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// RFC 7636 appendix B: this verifier hashes to this S256 challenge.
const (
	rfcVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	testRedirect = "http://127.0.0.1:38080/callback"
)

// testClock is a settable clock, so expiry is tested without sleeping.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a sandbox on httptest with a fake clock and a client that shows
// redirects instead of following them.
type env struct {
	t      *testing.T
	s      *Server
	url    string
	clock  *testClock
	client *http.Client
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	clock := newTestClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	if opts.RedirectURIs == nil { // registered on the apps, as in the console
		opts.RedirectURIs = []string{testRedirect}
	}
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &env{
		t:     t,
		s:     s,
		url:   ts.URL,
		clock: clock,
		client: &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// do sends a request and returns the answer with its body read.
func (e *env) do(method, path, contentType, authorization, body string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

// postJSON sends body as JSON and decodes the JSON answer.
func (e *env) postJSON(path, authorization string, body any) (int, map[string]any) {
	e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, got := e.do(http.MethodPost, path, "application/json", authorization, string(b))
	return resp.StatusCode, decode(e.t, got)
}

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("answer is not JSON: %v: %q", err, body)
	}
	return m
}

// code gets an authorization code for the PKCE app through Approve.
func (e *env) code(clientID, challenge, method string) string {
	e.t.Helper()
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {clientID},
		"redirect_uri":  {testRedirect},
		"state":         {"st"},
	}
	if challenge != "" {
		q.Set("code_challenge", challenge)
	}
	if method != "" {
		q.Set("code_challenge_method", method)
	}
	redirect, err := e.s.Approve(e.url + authorizePath + "?" + q.Encode())
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := url.Parse(redirect)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.Query().Get("code")
}

// login runs the PKCE flow and returns the token pair.
func (e *env) login() (access, refresh string) {
	e.t.Helper()
	status, body := e.postJSON(tokenPath, "", map[string]string{
		"grant_type":    "authorization_code",
		"client_id":     PKCEClientID,
		"code":          e.code(PKCEClientID, rfcChallenge, "S256"),
		"redirect_uri":  testRedirect,
		"code_verifier": rfcVerifier,
	})
	if status != http.StatusOK {
		e.t.Fatalf("login: status %d: %v", status, body)
	}
	return body["access_token"].(string), body["refresh_token"].(string)
}

func TestStartServesAndCloses(t *testing.T) {
	s := New(Options{})
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("base URL = %q, want http://127.0.0.1:PORT", base)
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET / = %d, want 200", resp.StatusCode)
	}
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("second Start succeeded, want an error")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := (&http.Client{Timeout: time.Second}).Get(base + "/"); err == nil {
		t.Error("GET after Close succeeded, want an error")
	}
}

func TestCloseWithoutStart(t *testing.T) {
	if err := New(Options{}).Close(); err != nil {
		t.Errorf("Close() = %v, want nil", err)
	}
}

func TestDialable(t *testing.T) {
	tests := []struct {
		name string
		addr net.Addr
		want string
	}{
		{"loopback", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, "127.0.0.1:80"},
		{"ipv4 wildcard", &net.TCPAddr{IP: net.IPv4zero, Port: 81}, "127.0.0.1:81"},
		{"ipv6 wildcard", &net.TCPAddr{IP: net.IPv6unspecified, Port: 82}, "127.0.0.1:82"},
		{"ipv6 loopback", &net.TCPAddr{IP: net.IPv6loopback, Port: 83}, "[::1]:83"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, dialable(tt.addr)); diff != "" {
				t.Errorf("dialable (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLogidOnEveryResponse(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct{ method, path string }{
		{http.MethodGet, "/"},
		{http.MethodGet, "/v1/users/me"},
		{http.MethodPost, tokenPath},
		{http.MethodGet, "/no/such/path"},
		{http.MethodGet, authorizePath},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, _ := e.do(tt.method, tt.path, "", "", "")
			if id := resp.Header.Get("X-Tt-Logid"); len(id) != 32 {
				t.Errorf("X-Tt-Logid = %q, want 32 hex digits", id)
			}
		})
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogNeverLeaksSecrets(t *testing.T) {
	var log syncBuffer
	e := newEnv(t, Options{Log: &log})

	// A whole browser login, a refresh and an API call, each carrying
	// something secret in a query, a body or a header.
	q := url.Values{
		"response_type": {"code"}, "client_id": {WebClientID},
		"redirect_uri": {testRedirect}, "state": {"secret-state"},
	}
	resp, _ := e.do(http.MethodGet, authorizePath+"?"+q.Encode(), "", "", "")
	consent := resp.Header.Get("Location")
	req := strings.TrimPrefix(consent, consentPath+"?req=")
	resp, _ = e.do(http.MethodPost, consentPath, "application/x-www-form-urlencoded", "", "action=approve&req="+req)
	cb, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	code := cb.Query().Get("code")
	_, tok := e.postJSON(tokenPath, "Bearer "+WebClientSecret, map[string]string{
		"grant_type": "authorization_code", "client_id": WebClientID,
		"code": code, "redirect_uri": testRedirect,
	})
	access := tok["access_token"].(string)
	e.do(http.MethodGet, "/v1/users/me", "", "Bearer "+access, "")

	got := log.String()
	for _, secret := range []string{"secret-state", req, code, access, tok["refresh_token"].(string), WebClientSecret, "?"} {
		if strings.Contains(got, secret) {
			t.Errorf("log contains %q:\n%s", secret, got)
		}
	}
	want := []string{
		"GET " + authorizePath + " 302",
		"POST " + consentPath + " 302",
		"POST " + tokenPath + " 200",
		"GET /v1/users/me 200",
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(got), "\n")); diff != "" {
		t.Errorf("log lines (-want +got):\n%s", diff)
	}
}

func TestFailPathsCloseTheConnection(t *testing.T) {
	var log syncBuffer
	e := newEnv(t, Options{FailPaths: []string{"/", "/v1/workflows/run", tokenPath}, Log: &log})
	tests := []struct{ method, path string }{
		{http.MethodGet, "/"},
		{http.MethodPost, "/v1/workflows/run"},
		{http.MethodPost, tokenPath},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.url+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := e.client.Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("got HTTP %d, want a transport error", resp.StatusCode)
			}
		})
	}
	t.Run("other paths still answer", func(t *testing.T) {
		resp, _ := e.do(http.MethodGet, "/v1/chat", "", "", "")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /v1/chat = %d, want 404", resp.StatusCode)
		}
	})
	if !strings.Contains(log.String(), "GET / closed\n") {
		t.Errorf("log does not record the dropped request:\n%s", log.String())
	}
}
