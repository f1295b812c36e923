package coze

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// LogIDHeader is the response header that carries the log id Coze support
// asks for when something fails.
const LogIDHeader = "X-Tt-Logid"

// Reply is the envelope of Coze's open API answers,
// {"code":0,"msg":"","data":…,"detail":{"logid":…}}. Gateways and the OAuth
// layer sometimes answer an API path in the token endpoint's shape
// {"error_code","error_message"}; those fields are kept too.
type Reply struct {
	// Code is nil when the body had no "code" field.
	Code   *int            `json:"code"`
	Msg    string          `json:"msg"`
	Data   json.RawMessage `json:"data"`
	Detail struct {
		LogID string `json:"logid"`
	} `json:"detail"`
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

// ParseReply reads body as Coze's JSON envelope. ok is false for anything
// else: HTML, an event stream, other JSON without a "code", a truncated body.
func ParseReply(body []byte) (r Reply, ok bool) {
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return Reply{}, false
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Code == nil {
		return Reply{}, false
	}
	return r, true
}

// ReplyError is nil for a 2xx answer whose code is 0 or absent, and the
// [APIError] that describes the answer otherwise. body may be a prefix of
// the answer, or nil when it was not kept.
func ReplyError(resp *http.Response, body []byte) *APIError {
	e := NewAPIError(resp, body)
	if resp.StatusCode/100 == 2 && e.Code == 0 {
		return nil
	}
	return e
}

// NewAPIError reads the HTTP status, Coze's code and message and the log id
// (header first, then the body's detail.logid) from an answer.
func NewAPIError(resp *http.Response, body []byte) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, LogID: resp.Header.Get(LogIDHeader)}
	var r Reply
	_ = json.Unmarshal(body, &r) // not JSON means no code, no message
	if r.Code != nil {
		e.Code = *r.Code
	}
	e.Msg = r.Msg
	if e.Msg == "" {
		e.Msg = strings.Join(nonEmpty(r.ErrorCode, r.ErrorMessage), ": ")
	}
	if e.LogID == "" {
		e.LogID = r.Detail.LogID
	}
	return e
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
