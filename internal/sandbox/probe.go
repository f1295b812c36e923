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
	if !s.authorized(w, r, http.StatusOK) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"code":            0,
		"msg":             "success",
		"conversation_id": randDigits(),
		"messages":        []any{},
	})
}

// handleWorkflowsRun is /v1/workflows/run, which is not a Coze route (the
// real one is /v1/workflow/run): Coze's auth gateway answers first, so
// without a valid token it is a 401, and with one the 404 it really is.
func (s *Server) handleWorkflowsRun(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, http.StatusUnauthorized) {
		return
	}
	writeJSON(w, http.StatusNotFound, apiError{Code: 4004, Msg: "not found"})
}

// handleHome is the web host's front page.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "home", struct{ NickName, UserName string }{NickName, UserName})
}

// handleNoRESTChat answers /v1/chat: on Coze it is the WebSocket chat on
// the ws host, not a REST endpoint on the API host. The sandbox plays both
// hosts on one base, so a WebSocket handshake gets the ws host's answer
// (ws.go) and anything else the API host's 404.
func (s *Server) handleNoRESTChat(w http.ResponseWriter, r *http.Request) {
	if isWebSocketHandshake(r) {
		s.handleWSChat(w, r)
		return
	}
	writeJSON(w, http.StatusNotFound, apiError{Code: 4004, Msg: "not found"})
}
