package sandbox

import (
	"bytes"
	"html/template"
	"net/http"
)

// The pages are plain HTML with no script: a person can click through them,
// and fakebrowser can read the forms with a simple scan. Keep every form's
// inputs as <input type="hidden" name=".." value=".."> and its choices as
// <button type="submit" name="action" value="approve|deny"> for that reason.
const pagesHTML = `
{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.}} · Coze Sandbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;line-height:1.5}button{margin-right:.5rem;padding:.4rem 1rem}code{background:#eee;padding:0 .2rem}</style>
</head>
<body>
{{end}}

{{define "foot"}}<p><small>This is the cozeauth sandbox, a fake Coze server. Nothing here reaches coze.com.</small></p>
</body>
</html>
{{end}}

{{define "consent"}}{{template "head" "Authorize"}}<h1>Authorize {{.AppName}}</h1>
<p><strong>{{.AppName}}</strong> wants to access your Coze account <strong>{{.NickName}}</strong> (@{{.UserName}}).</p>
<p>Whatever you choose, you will be sent back to <code>{{.RedirectURI}}</code>.</p>
<form method="post" action="/sandbox/consent">
<input type="hidden" name="req" value="{{.ReqID}}">
<button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>
{{template "foot"}}{{end}}

{{define "device"}}{{template "head" "Connect a device"}}<h1>Connect a device</h1>
{{if .UserCode}}<p><strong>{{.AppName}}</strong> wants to access your Coze account <strong>{{.NickName}}</strong> (@{{.UserName}}) from another device.</p>
<p>Check that the device shows this code: <code>{{.UserCode}}</code></p>
<form method="post" action="/sandbox/device">
<input type="hidden" name="user_code" value="{{.UserCode}}">
<button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>
{{else}}<form method="post" action="/sandbox/device">
<p><label>Code shown on your device: <input type="text" name="user_code" value="" autocomplete="off"></label></p>
<button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>
{{end}}{{template "foot"}}{{end}}

{{define "message"}}{{template "head" .Title}}<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{template "foot"}}{{end}}

{{define "home"}}{{template "head" "Coze"}}<h1>Coze Sandbox</h1>
<p>Signed in as <strong>{{.NickName}}</strong> (@{{.UserName}}).</p>
{{template "foot"}}{{end}}
`

func parsePages() *template.Template {
	return template.Must(template.New("pages").Parse(pagesHTML))
}

// consentPage fills the "consent" template.
type consentPage struct {
	AppName, NickName, UserName, RedirectURI, ReqID string
}

// devicePage fills the "device" template; an empty UserCode asks for one.
type devicePage struct {
	AppName, NickName, UserName, UserCode string
}

// messagePage fills the "message" template: errors and confirmations.
type messagePage struct {
	Title, Message string
}

// render executes into a buffer first so a template error becomes a clean 500
// instead of half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "sandbox page failed to render: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) renderMessage(w http.ResponseWriter, status int, title, message string) {
	s.render(w, status, "message", messagePage{Title: title, Message: message})
}
