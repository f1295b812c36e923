package probe

import (
	"encoding/json"
	"testing"
)

func TestUserName(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"nick and user", `{"user_id":"1","user_name":"ada","nick_name":"Ada"}`, "Ada (@ada)"},
		{"nick only", `{"user_id":"1","nick_name":"Ada"}`, "Ada"},
		{"user only", `{"user_id":"1","user_name":"ada"}`, "ada"},
		{"id only", `{"user_id":"7412"}`, "7412"},
		{"numeric id", `{"user_id":7412}`, "7412"},
		{"null id", `{"user_id":null}`, ""},
		{"no data", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := userName(json.RawMessage(tt.data)); got != tt.want {
				t.Errorf("userName(%s) = %q, want %q", tt.data, got, tt.want)
			}
		})
	}
}
