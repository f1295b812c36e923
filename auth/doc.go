// Package auth implements Coze's OAuth 2.0 flows for cozeauth: the authorize
// URL with PKCE, the loopback callback listener, the JSON token calls, the
// rotation-safe token [Store] and the refreshing [Manager] that every command,
// the wizard and other Go programs use to get a valid access token.
//
// It owns everything that speaks Coze's OAuth protocol or touches stored
// tokens: the token endpoint's errors ([OAuthError]), which profile settings
// apply ([Store.Resolve]), and the in-flight work a program must wait for
// before exiting ([Pending]). Coze's wire vocabulary (regions, the open API's
// reply envelope, refused-token codes) is package
// [github.com/cozeauth/cozeauth/coze]. It is the documented Go API. It must
// not print, read flags or the terminal, keep package-level mutable state, or
// reach any host but the API base that issued a token.
package auth
