package sandbox

import (
	"net/http"
	"time"
)

// delayed wraps the handlers the probe and the "who am I" check hit, so tests
// can see how cozeauth behaves on a slow network.
func (s *Server) delayed(h http.HandlerFunc) http.HandlerFunc {
	if s.opts.ProbeDelay <= 0 {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(s.opts.ProbeDelay)
		defer t.Stop()
		select {
		case <-t.C:
			h(w, r)
		case <-r.Context().Done():
			// The client gave up; there is nobody to answer.
		}
	}
}

// handleLegacyChat is the old chat API: reachable, 200, and like Coze's
// legacy endpoints it reports a bad token in the body, not the status.
func (s *Server) handleLegacyChat(w http.ResponseWriter, r *http.Request) {
	if !s.validAccessToken(r.Header.Get("Authorization")) {
		writeJSON(w, http.StatusOK, authInvalid())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"code":            0,
		"msg":             "success",
		"conversation_id": randDigits(),
		"messages":        []any{},
	})
}

// handleWorkflowsRun is a management path that always wants a token the
// probe does not send: 401, which still proves the path is open.
func (s *Server) handleWorkflowsRun(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusUnauthorized, authInvalid())
}

// handleHome is the web host's front page.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "home", struct{ NickName, UserName string }{NickName, UserName})
}

// handleNoRESTChat answers /v1/chat with 404: on Coze it is a WebSocket path
// on another host, not a REST endpoint.
func (s *Server) handleNoRESTChat(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, apiError{Code: 4004, Msg: "not found"})
}
