package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
)

// apiError is the open API's error body. Coze answers auth failures with 401
// and business errors (a missing field) with 200 and a non-zero code; the
// sandbox does the same.
type apiError struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}

// authInvalid is what Coze answers for a missing, unknown or expired token.
func authInvalid() apiError { return apiError{Code: 4100, Msg: "authentication is invalid"} }

// validAccessToken reports whether an Authorization header carries a live
// access token issued by this sandbox.
func (s *Server) validAccessToken(header string) bool {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return false
	}
	now := s.now()
	s.mu.Lock()
	exp, ok := s.access[tok]
	s.mu.Unlock()
	return ok && now.Before(exp)
}

// authorized says whether r carries a valid access token, and otherwise
// answers Coze's 4100 with status: 401 on the current APIs, 200 on the
// legacy ones, which report a bad token in the body.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, status int) bool {
	if s.validAccessToken(r.Header.Get("Authorization")) {
		return true
	}
	writeJSON(w, status, authInvalid())
	return false
}

func (s *Server) handleUsersMe(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, http.StatusUnauthorized) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"code": 0,
		"msg":  "",
		"data": map[string]string{
			"user_id":    UserID,
			"user_name":  UserName,
			"nick_name":  NickName,
			"avatar_url": "",
		},
	})
}

// chatRequest is the part of POST /v3/chat's body the sandbox looks at.
type chatRequest struct {
	BotID              string `json:"bot_id"`
	UserID             string `json:"user_id"`
	Stream             bool   `json:"stream"`
	AdditionalMessages []struct {
		Role        string `json:"role"`
		Content     string `json:"content"`
		ContentType string `json:"content_type"`
	} `json:"additional_messages"`
}

// handleChat starts a chat the way Coze's non-streaming /v3/chat does: it
// answers at once with the chat "in_progress". The sandbox never finishes
// it; nothing in cozeauth polls for the reply. With "stream": true it
// streams the chat as server-sent events instead (stream.go).
func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, http.StatusUnauthorized) {
		return
	}
	var req chatRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil {
		writeJSON(w, http.StatusOK, apiError{Code: 4000, Msg: "request body must be JSON"})
		return
	}
	switch {
	case req.BotID == "":
		writeJSON(w, http.StatusOK, apiError{Code: 4000, Msg: "bot_id is required"})
		return
	}
	conversationID := r.URL.Query().Get("conversation_id")
	if conversationID == "" {
		conversationID = randDigits()
	}
	if req.Stream {
		s.streamChat(w, r, req, conversationID) // stream.go
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"code": 0,
		"msg":  "",
		"data": map[string]any{
			"id":              randDigits(),
			"conversation_id": conversationID,
			"bot_id":          req.BotID,
			"created_at":      s.now().Unix(),
			"last_error":      map[string]any{"code": 0, "msg": ""},
			"status":          "in_progress",
		},
	})
}

// randDigits returns a 19-digit id shaped like Coze's snowflake ids.
func randDigits() string {
	b := []byte(randHex(10)[:19])
	for i, c := range b {
		b[i] = '0' + c%10
	}
	if b[0] == '0' {
		b[0] = '7'
	}
	return string(b)
}

// workflowRunRequest is the part of POST /v1/workflow/run's body the
// sandbox looks at.
type workflowRunRequest struct {
	WorkflowID string         `json:"workflow_id"`
	Parameters map[string]any `json:"parameters"`
}

// handleWorkflowRun runs a workflow the way Coze's non-streaming
// /v1/workflow/run answers: data is the workflow's output as a JSON string,
// with a debug URL and an execute id.
func (s *Server) handleWorkflowRun(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, http.StatusUnauthorized) {
		return
	}
	var req workflowRunRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil {
		writeJSON(w, http.StatusOK, apiError{Code: 4000, Msg: "request body must be JSON"})
		return
	}
	if req.WorkflowID == "" {
		writeJSON(w, http.StatusOK, apiError{Code: 4000, Msg: "workflow_id is required"})
		return
	}
	out, _ := json.Marshal(map[string]any{"output": "sandbox workflow " + req.WorkflowID + " ran", "parameters": req.Parameters})
	executeID := randDigits()
	writeJSON(w, http.StatusOK, map[string]any{
		"code":       0,
		"msg":        "",
		"data":       string(out),
		"debug_url":  baseURL(r) + "/work_flow?execute_id=" + executeID,
		"execute_id": executeID,
		"usage":      map[string]int{"input_count": 0, "output_count": 0, "token_count": 0},
		"detail":     map[string]string{"logid": w.Header().Get("X-Tt-Logid")},
	})
}

// handleWorkspaces lists the one personal workspace of the sandbox's user,
// shaped like Coze's GET /v1/workspaces.
func (s *Server) handleWorkspaces(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, http.StatusUnauthorized) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"code": 0,
		"msg":  "",
		"data": map[string]any{
			"total_count": 1,
			"workspaces": []map[string]any{{
				"id":             "7400000000000000100",
				"name":           "Personal",
				"description":    "",
				"icon_url":       "",
				"role_type":      "owner",
				"workspace_type": "personal",
				"joined_status":  "joined",
				"enterprise_id":  "",
				"owner_uid":      UserID,
				"admin_uids":     []string{},
			}},
		},
		"detail": map[string]string{"logid": w.Header().Get("X-Tt-Logid")},
	})
}
