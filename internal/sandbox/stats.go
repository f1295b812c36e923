package sandbox

import "net/http"

// Stats counts what the sandbox has done, so a test running it as a separate
// process can check, for example, that no refresh was ever rejected.
type Stats struct {
	Exchanges         int `json:"exchanges"`          // authorization codes traded for tokens
	Refreshes         int `json:"refreshes"`          // successful refresh_token grants
	RejectedRefreshes int `json:"rejected_refreshes"` // refresh_token grants refused for any reason
	DeviceTokens      int `json:"device_tokens"`      // token pairs issued to the device flow
	JWTTokens         int `json:"jwt_tokens"`         // access tokens minted for JWTs
	WorkspaceRequests int `json:"workspace_requests"` // authorize and device-code requests on a workspace path
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}
