package probe

import (
	"encoding/json"
	"strings"

	"github.com/cozeauth/cozeauth/coze"
)

// userName is the friendliest name in users_me's data, as [coze.User.Display]
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
	return (&coze.User{UserID: id, UserName: u.UserName, NickName: u.NickName}).Display()
}
