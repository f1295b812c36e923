package coze

// User is who a token belongs to, from GET /v1/users/me.
type User struct {
	UserID    string `json:"user_id"`
	UserName  string `json:"user_name"`
	NickName  string `json:"nick_name"`
	AvatarURL string `json:"avatar_url,omitempty"`
}

// Display is the friendliest name the user has.
func (u *User) Display() string {
	switch {
	case u == nil:
		return ""
	case u.NickName != "" && u.UserName != "":
		return Sanitize(u.NickName + " (@" + u.UserName + ")")
	case u.NickName != "":
		return Sanitize(u.NickName)
	case u.UserName != "":
		return Sanitize(u.UserName)
	}
	return Sanitize(u.UserID)
}
