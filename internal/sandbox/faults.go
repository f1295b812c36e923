package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Faults make the token endpoint misbehave the ways a network and a real
// server can, so that tests can watch the client cope. The zero value is no
// fault. Set them with [Server.SetFaults], or from another process with
// POST /sandbox/faults and a JSON body; GET /sandbox/faults reports them
// with [FaultStats].
type Faults struct {
	// Hold carries out token requests as usual — a refresh rotates the
	// refresh token — but holds their answers until the faults change or
	// the client gives up: a slow or silent token endpoint, and the answer
	// a client that quits too early loses.
	Hold bool `json:"hold,omitempty"`
	// RedirectTo answers token and device-code requests with a 307 to it.
	RedirectTo string `json:"redirect_to,omitempty"`
	// Status answers token requests with this HTTP status and an OAuth
	// error whose error_message is Message (which may hold escape
	// sequences), with RetryAfter as its Retry-After when set.
	Status     int    `json:"status,omitempty"`
	Message    string `json:"message,omitempty"`
	RetryAfter string `json:"retry_after,omitempty"`
	// Times limits Status to that many answers, after which the endpoint
	// behaves again; 0 means every answer.
	Times int `json:"times,omitempty"`
	// RefuseRefresh refuses every refresh grant with 400, as Coze does a
	// refresh token it no longer knows.
	RefuseRefresh bool `json:"refuse_refresh,omitempty"`
}

// FaultStats says what the faults did.
type FaultStats struct {
	Faults        Faults `json:"faults"`
	TokenRequests int    `json:"token_requests"` // every request to the token endpoint, faulted or not
	Held          int    `json:"held"`           // requests being held right now
}

type faultState struct {
	mu     sync.Mutex
	f      Faults
	lifted chan struct{} // closed when f is replaced
	stats  FaultStats
}

// SetFaults replaces the faults; requests held by the old ones are then
// answered as usual.
func (s *Server) SetFaults(f Faults) {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.lifted != nil {
		close(fs.lifted)
	}
	fs.f, fs.lifted = f, make(chan struct{})
}

// FaultStats returns a snapshot of the faults and their counters.
func (s *Server) FaultStats() FaultStats {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	st := fs.stats
	st.Faults = fs.f
	return st
}

func (s *Server) faultRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.FaultStats())
	})
	mux.HandleFunc("POST /sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&f); err != nil && err != io.EOF {
			http.Error(w, "faults must be JSON: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.SetFaults(f)
		writeJSON(w, http.StatusOK, s.FaultStats())
	})
}

// intercept applies the faults to r and reports whether it answered (or
// dropped) it; false lets the request through to the real handler.
func (s *Server) intercept(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost || r.URL.Path != tokenPath && r.URL.Path != deviceCodePath {
		return false
	}
	fs := &s.faults
	fs.mu.Lock()
	f, lifted := fs.f, fs.lifted
	if r.URL.Path == tokenPath {
		fs.stats.TokenRequests++
	}
	fs.mu.Unlock()
	switch {
	case f.RedirectTo != "":
		http.Redirect(w, r, f.RedirectTo, http.StatusTemporaryRedirect)
		return true
	case r.URL.Path != tokenPath:
		return false
	case f.Hold:
		s.hold(w, r, lifted)
		return true
	case f.Status != 0 && fs.take():
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeOAuthError(w, newOAuthError(f.Status, "internal_error", f.Message))
		return true
	case f.RefuseRefresh && isRefreshGrant(r):
		s.mu.Lock()
		s.stats.RejectedRefreshes++
		s.mu.Unlock()
		writeOAuthError(w, invalidRequest("invalid request: refresh_token"))
		return true
	}
	return false
}

// hold carries out r and keeps its answer until the faults change, then
// sends it; a client that gave up meanwhile gets nothing.
func (s *Server) hold(w http.ResponseWriter, r *http.Request, lifted chan struct{}) {
	answer := &heldAnswer{header: http.Header{}}
	s.mux.ServeHTTP(answer, r) // reads the body: the server now notices a hang-up
	fs := &s.faults
	fs.mu.Lock()
	fs.stats.Held++
	fs.mu.Unlock()
	defer func() {
		fs.mu.Lock()
		fs.stats.Held--
		fs.mu.Unlock()
	}()
	select {
	case <-lifted:
		for k, v := range answer.header {
			w.Header()[k] = v
		}
		w.WriteHeader(answer.code)
		_, _ = w.Write(answer.body.Bytes())
	case <-r.Context().Done():
	}
}

// heldAnswer is an answer kept back by [Faults.Hold].
type heldAnswer struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (a *heldAnswer) Header() http.Header { return a.header }

func (a *heldAnswer) WriteHeader(code int) {
	if a.code == 0 {
		a.code = code
	}
}

func (a *heldAnswer) Write(b []byte) (int, error) {
	if a.code == 0 {
		a.code = http.StatusOK
	}
	return a.body.Write(b)
}

// take counts one faulted answer against Times.
func (fs *faultState) take() bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.f.Times > 0 {
		if fs.f.Times--; fs.f.Times == 0 {
			fs.f.Status = 0 // spent: behave from now on
		}
	}
	return true
}

// isRefreshGrant peeks at the body's grant_type and puts the body back.
func isRefreshGrant(r *http.Request) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		GrantType string `json:"grant_type"`
	}
	_ = json.Unmarshal(body, &req)
	return strings.TrimSpace(req.GrantType) == "refresh_token"
}
