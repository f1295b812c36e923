package probe

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/cozeauth/cozeauth/auth"
)

// cozeBody is the envelope of Coze's open API answers:
// {"code":0,"msg":"","data":…,"detail":{"logid":…}}.
type cozeBody struct {
	Code   *int            `json:"code"`
	Msg    string          `json:"msg"`
	Data   json.RawMessage `json:"data"`
	Detail struct {
		LogID string `json:"logid"`
	} `json:"detail"`
}

// parseCoze reads body as Coze JSON; ok is false for anything else (HTML,
// other JSON, a truncated body).
func parseCoze(body []byte) (b cozeBody, ok bool) {
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return b, false
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Code == nil {
		return cozeBody{}, false
	}
	return b, true
}

// userName is the friendliest name in users_me's data, as [auth.User.Display]
// gives it: "nick (@user)", the nick, the user name, or the id.
func userName(data json.RawMessage) string {
	var u struct {
		UserID   json.RawMessage `json:"user_id"` // a string in the docs; tolerate a number
		UserName string          `json:"user_name"`
		NickName string          `json:"nick_name"`
	}
	if json.Unmarshal(data, &u) != nil {
		return ""
	}
	id := ""
	if string(u.UserID) != "null" {
		id = strings.Trim(string(u.UserID), `"`)
	}
	return (&auth.User{UserID: id, UserName: u.UserName, NickName: u.NickName}).Display()
}
