package coze

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseReply(t *testing.T) {
	type got struct {
		OK    bool
		Code  *int
		Msg   string
		LogID string
	}
	four100, zero := 4100, 0
	tests := []struct {
		name, body string
		want       got
	}{
		{"success", `{"code":0,"msg":"","data":{}}`, got{true, &zero, "", ""}},
		{"error with detail", ` {"code":4100,"msg":"authentication is invalid","detail":{"logid":"L1"}}`, got{true, &four100, "authentication is invalid", "L1"}},
		{"OAuth error shape", `{"error":"invalid_request","error_code":"invalid_request"}`, got{}},
		{"code not a number", `{"code":"x"}`, got{}},
		{"HTML", `<!doctype html><html></html>`, got{}},
		{"truncated", `{"code":0,"msg":"`, got{}},
		{"empty", ``, got{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := ParseReply([]byte(tt.body))
			if diff := cmp.Diff(tt.want, got{ok, r.Code, r.Msg, r.Detail.LogID}); diff != "" {
				t.Errorf("ParseReply (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReplyError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header string
		body   string
		want   *APIError
	}{
		{"success", 200, "", `{"code":0,"msg":"","data":{}}`, nil},
		{"2xx without a code (an event stream)", 200, "", "data: {}\n\n", nil},
		{"2xx with a code", 200, "H1", `{"code":4000,"msg":"bot_id is required"}`, &APIError{StatusCode: 200, Code: 4000, Msg: "bot_id is required", LogID: "H1"}},
		{"401, log id in the body only", 401, "", `{"code":4100,"msg":"authentication is invalid","detail":{"logid":"B1"}}`, &APIError{StatusCode: 401, Code: 4100, Msg: "authentication is invalid", LogID: "B1"}},
		{"header wins over the body", 401, "H2", `{"code":4100,"msg":"x","detail":{"logid":"B2"}}`, &APIError{StatusCode: 401, Code: 4100, Msg: "x", LogID: "H2"}},
		{"OAuth shape from a gateway", 400, "", `{"error_code":"invalid_request","error_message":"invalid request: x"}`, &APIError{StatusCode: 400, Msg: "invalid_request: invalid request: x"}},
		{"HTML error page", 502, "", `<html>bad gateway</html>`, &APIError{StatusCode: 502}},
		{"body not kept", 500, "", "", &APIError{StatusCode: 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}}
			if tt.header != "" {
				resp.Header.Set(LogIDHeader, tt.header)
			}
			got := ReplyError(resp, []byte(tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReplyError (-want +got):\n%s", diff)
			}
		})
	}
}
