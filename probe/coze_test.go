package probe

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCoze(t *testing.T) {
	type got struct {
		OK    bool
		Code  *int
		Msg   string
		LogID string
	}
	tests := []struct {
		name, body string
		want       got
	}{
		{"success", `{"code":0,"msg":"","data":{}}`, got{true, intp(0), "", ""}},
		{"error with detail", ` {"code":4100,"msg":"authentication is invalid","detail":{"logid":"L1"}}`, got{true, intp(4100), "authentication is invalid", "L1"}},
		{"OAuth error shape", `{"error":"invalid_request","error_code":"invalid_request"}`, got{}},
		{"code not a number", `{"code":"x"}`, got{}},
		{"HTML", `<!doctype html><html></html>`, got{}},
		{"truncated", `{"code":0,"msg":"`, got{}},
		{"empty", ``, got{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ok := parseCoze([]byte(tt.body))
			if diff := cmp.Diff(tt.want, got{ok, b.Code, b.Msg, b.Detail.LogID}); diff != "" {
				t.Errorf("parseCoze (-want +got):\n%s", diff)
			}
		})
	}
}

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
