// Package sandbox is an embedded fake Coze: one HTTP server that plays both
// Coze's API host and its web host, well enough for cozeauth to log in (PKCE,
// web app and device flows), refresh, call the API and probe, with no network.
// It follows Coze's quirks as Coze's own documentation (coze-dev/coze-sdk-gen
// docs/api-markdown/oauth_*.md) and official SDKs (coze-dev/coze-go auth.go,
// coze-py cozepy/auth, coze-js src/auth.ts) describe them — a JSON token
// endpoint, absolute expires_in, rotating refresh tokens — so code that works
// here has met them. Failure injection (slow and dropped answers, and the
// token-endpoint faults of faults.go) exercises the probe and the client.
//
// It owns the fake's behaviour only. It must not import auth or reuse the
// client's constants: it is a second opinion on the protocol, not a copy of
// the client's, and it must agree with Coze's documents, not with cozeauth.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Fixed sandbox app credentials and user. They are not secrets: they only
// work against the sandbox.
const (
	PKCEClientID    = "7420000000000000001.app.coze" // public PKCE app, no secret
	WebClientID     = "7420000000000000002.app.coze" // confidential web app
	WebClientSecret = "sandbox-web-secret-not-real"

	UserName = "sandbox_user"
	NickName = "Sandbox User"
	UserID   = "7400000000000000099"
)

// Lifetimes Coze documents; only the access token's is configurable because
// that is the one tests need to run out.
const (
	defaultAccessTTL = 15 * time.Minute
	refreshTTL       = 30 * 24 * time.Hour
	codeTTL          = 10 * time.Minute
)

// maxBody bounds request bodies; every legitimate one is tiny.
const maxBody = 1 << 20

// Options configures a [Server]. The zero value is a sandbox that behaves
// like Coze on a good day.
type Options struct {
	AccessTTL  time.Duration    // access-token life, default 15m
	ProbeDelay time.Duration    // added before answering each probe target and /v1/users/me (0 = none)
	FailPaths  []string         // requests to these paths get their connection closed with no answer
	Now        func() time.Time // clock; default time.Now
	Log        io.Writer        // optional: one line per request (method, path, status), never tokens or queries
	// RedirectURIs are registered on the PKCE and web apps; empty means
	// [DefaultRedirectURIs]. [Server.RegisterRedirectURI] adds more.
	RedirectURIs []string
	// DeviceInterval is the poll interval the device flow asks for; 0 is
	// Coze's 5 s. Coze says it in whole seconds, so it is rounded up to one.
	DeviceInterval time.Duration
	// ChatPace is the wait between the events of a streamed /v3/chat
	// (default 20ms); ChatStep, when set, is called instead of each wait,
	// so a test decides when the next event goes (stream.go).
	ChatPace time.Duration
	ChatStep func(ctx context.Context) error
}

// Server is the fake Coze. It is an [http.Handler], so tests can mount it on
// httptest; [Server.Start] serves it on a real listener instead.
type Server struct {
	opts      Options
	failPaths map[string]bool
	mux       *http.ServeMux
	pages     *template.Template

	logMu sync.Mutex // serialises writes to opts.Log, which need not be safe for concurrent use

	mu        sync.Mutex
	requests  map[string]authRequest  // consent page id -> pending authorize request
	codes     map[string]authCode     // authorization code -> what it was issued for
	access    map[string]time.Time    // access token -> expiry
	refresh   map[string]refreshGrant // refresh token -> who may use it until when
	devices   map[string]*deviceGrant // device_code -> state of the device flow
	userCodes map[string]string       // user_code -> device_code
	jtis      map[string]time.Time    // JWT ids spent -> until when they could be replayed
	sessions  []JWTSession            // what the last JWTs accepted said of their session (jwt.go)
	redirects []string                // redirect URIs registered on the browser apps
	stats     Stats
	srv       *http.Server
	faults    faultState // faults.go
}

// New returns a sandbox with opts' zero fields set to their defaults.
func New(opts Options) *Server {
	if opts.AccessTTL <= 0 {
		opts.AccessTTL = defaultAccessTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:      opts,
		failPaths: make(map[string]bool, len(opts.FailPaths)),
		pages:     parsePages(),
		requests:  make(map[string]authRequest),
		codes:     make(map[string]authCode),
		access:    make(map[string]time.Time),
		refresh:   make(map[string]refreshGrant),
		devices:   make(map[string]*deviceGrant),
		userCodes: make(map[string]string),
		jtis:      make(map[string]time.Time),
		redirects: append([]string(nil), opts.RedirectURIs...),
	}
	if len(s.redirects) == 0 {
		s.redirects = append(s.redirects, DefaultRedirectURIs...)
	}
	for _, p := range opts.FailPaths {
		s.failPaths[p] = true
	}
	s.mux = s.routes()
	return s
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()

	mux.HandleFunc("GET "+authorizePath, s.handleAuthorize)
	mux.HandleFunc("GET /api/permission/oauth2/workspace_id/{id}/authorize", s.handleAuthorize)
	mux.HandleFunc("GET "+consentPath, s.handleConsentPage)
	mux.HandleFunc("POST "+consentPath, s.handleConsent)
	mux.HandleFunc("POST "+tokenPath, s.handleToken)
	mux.HandleFunc("POST "+deviceCodePath, s.handleDeviceCode)
	mux.HandleFunc("POST /api/permission/oauth2/workspace_id/{workspace}/device/code", s.handleDeviceCode)
	mux.HandleFunc("POST /api/permission/oauth2/account/{account}/token", s.handleScopedToken)
	mux.HandleFunc("POST /api/permission/oauth2/enterprise_id/{enterprise}/token", s.handleScopedToken)
	mux.HandleFunc("GET "+devicePagePath, s.handleDevicePage)
	mux.HandleFunc("POST "+devicePagePath, s.handleDevice)
	mux.HandleFunc("GET /sandbox/stats", s.handleStats)
	s.faultRoutes(mux)

	mux.HandleFunc("GET /v1/users/me", s.delayed(s.handleUsersMe))
	mux.HandleFunc("POST /v3/chat", s.delayed(s.handleChat))
	mux.HandleFunc("POST /v1/workflow/run", s.delayed(s.handleWorkflowRun))
	mux.HandleFunc("GET /v1/workspaces", s.handleWorkspaces)

	// The seed's four probe targets, answering as Coze does; /v1/chat also
	// plays the ws host's WebSocket chat (probe.go, ws.go).
	mux.HandleFunc("POST /open_api/v2/chat", s.delayed(s.handleLegacyChat))
	mux.HandleFunc("POST /v1/workflows/run", s.delayed(s.handleWorkflowsRun))
	mux.HandleFunc("GET /{$}", s.delayed(s.handleHome))
	mux.HandleFunc("/v1/chat", s.delayed(s.handleNoRESTChat))
	return mux
}

// ServeHTTP answers one request the way Coze would.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Coze puts a log id on every answer and cozeauth shows it in errors.
	w.Header().Set("X-Tt-Logid", randHex(16))
	// The Date of the sandbox's own clock, as a real server's is of its own.
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	if s.failPaths[r.URL.Path] {
		s.logRequest(r, "closed")
		dropConnection(w)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	if s.intercept(sw, r) {
		s.logRequest(r, "fault "+strconv.Itoa(sw.code()))
		return
	}
	s.mux.ServeHTTP(sw, r)
	s.logRequest(r, strconv.Itoa(sw.code()))
}

// dropConnection closes the client's connection without an answer, so the
// client sees a failure below HTTP — what the probe must report as blocked.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot hijack; aborting still ends the stream without an answer.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// Start serves the sandbox on addr (e.g. "127.0.0.1:0") in the background and
// returns its base URL, which is both the API host and the web host.
func (s *Server) Start(addr string) (baseURL string, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("could not listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	if s.srv != nil {
		s.mu.Unlock()
		_ = ln.Close()
		return "", errors.New("sandbox server is already started")
	}
	s.srv = srv
	s.mu.Unlock()

	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("sandbox stopped serving: %v", err)
		}
	}()
	return "http://" + dialable(ln.Addr()), nil
}

// dialable turns a listen address into one a client can connect to: a
// wildcard host (":0") is reachable as loopback.
func dialable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

// Close stops a server started with [Server.Start]; it is a no-op otherwise.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Close(); err != nil {
		return fmt.Errorf("could not close the sandbox server: %w", err)
	}
	return nil
}

func (s *Server) now() time.Time { return s.opts.Now() }

// logRequest writes only the method, the escaped path and the outcome: query
// strings carry codes, states and user codes, which must never reach a log.
func (s *Server) logRequest(r *http.Request, status string) {
	s.logf("%s %s %s", r.Method, r.URL.EscapedPath(), status)
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.opts.Log, format+"\n", args...)
}

// statusWriter remembers the status for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection, so the
// WebSocket handshake (ws.go) can take it over.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// randHex returns n random bytes, hex encoded. crypto/rand.Read cannot fail
// since Go 1.24.
func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// baseURL is the scheme and host the client used to reach us, so links the
// sandbox hands out work whether it runs under Start or httptest.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
