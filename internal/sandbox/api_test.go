package sandbox

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func authInvalidBody() map[string]any {
	return map[string]any{"code": float64(4100), "msg": "authentication is invalid"}
}

func TestUsersMe(t *testing.T) {
	e := newEnv(t, Options{AccessTTL: time.Minute})
	access, _ := e.login()
	tests := []struct {
		name          string
		authorization string
		advance       time.Duration
		wantStatus    int
		want          map[string]any
	}{
		{"valid token", "Bearer " + access, 0, http.StatusOK, map[string]any{
			"code": float64(0),
			"msg":  "",
			"data": map[string]any{
				"user_id":    UserID,
				"user_name":  UserName,
				"nick_name":  NickName,
				"avatar_url": "",
			},
		}},
		{"lower-case scheme", "bearer " + access, 0, http.StatusOK, nil},
		{"no token", "", 0, http.StatusUnauthorized, authInvalidBody()},
		{"unknown token", "Bearer czu_sandbox_nope", 0, http.StatusUnauthorized, authInvalidBody()},
		{"client secret is not a token", "Bearer " + WebClientSecret, 0, http.StatusUnauthorized, authInvalidBody()},
		{"expired token", "Bearer " + access, time.Minute, http.StatusUnauthorized, authInvalidBody()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Add(tt.advance)
			resp, body := e.do(http.MethodGet, "/v1/users/me", "", tt.authorization, "")
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.want == nil {
				return
			}
			if diff := cmp.Diff(tt.want, decode(t, body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChat(t *testing.T) {
	e := newEnv(t, Options{})
	access, _ := e.login()
	message := []map[string]string{{"role": "user", "content": "hello", "content_type": "text"}}
	tests := []struct {
		name          string
		authorization string
		body          map[string]any
		wantStatus    int
		want          map[string]any // for errors; successes are checked field by field
	}{
		{"ok", "Bearer " + access, map[string]any{
			"bot_id": "7480000000000000001", "user_id": "u1", "stream": false, "additional_messages": message,
		}, http.StatusOK, nil},
		{"missing bot_id", "Bearer " + access, map[string]any{"user_id": "u1", "additional_messages": message},
			http.StatusOK, map[string]any{"code": float64(4000), "msg": "bot_id is required"}},
		{"no token", "", map[string]any{"bot_id": "1"}, http.StatusUnauthorized, authInvalidBody()},
		{"bad token", "Bearer nope", map[string]any{"bot_id": "1"}, http.StatusUnauthorized, authInvalidBody()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.postJSON("/v3/chat", tt.authorization, tt.body)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d", status, tt.wantStatus)
			}
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, body); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
				return
			}
			var got struct {
				Code int `json:"code"`
				Data struct {
					ID             string `json:"id"`
					ConversationID string `json:"conversation_id"`
					BotID          string `json:"bot_id"`
					CreatedAt      int64  `json:"created_at"`
					Status         string `json:"status"`
				} `json:"data"`
			}
			b, _ := json.Marshal(body)
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if got.Code != 0 || got.Data.ID == "" || got.Data.ConversationID == "" ||
				got.Data.BotID != "7480000000000000001" || got.Data.Status != "in_progress" ||
				got.Data.CreatedAt != e.clock.Now().Unix() {
				t.Errorf("chat = %+v, want a plausible in-progress chat", got)
			}
		})
	}
}

func TestRandDigits(t *testing.T) {
	for range 50 {
		d := randDigits()
		if len(d) != 19 || d[0] == '0' {
			t.Fatalf("randDigits() = %q, want 19 digits without a leading zero", d)
		}
		for _, c := range d {
			if c < '0' || c > '9' {
				t.Fatalf("randDigits() = %q, want digits only", d)
			}
		}
	}
}
