package ui

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/oauthconfig"
)

// field is one row of the setup form.
type field int

const (
	fieldAppType field = iota
	fieldRegion
	fieldClientID
	fieldSecret
	fieldRedirect
	fieldKeyID
	fieldKeyFile
	fieldConfig
	fieldCount
)

var fieldLabels = [fieldCount]string{"App type", "Region", "Client ID", "Client secret", "Redirect URI", "Public key ID", "Private key", "Config file"}

// labelWidth is the width of the form's label column.
const labelWidth = 15

// consolePath is where the Coze console keeps OAuth apps, named as the
// README names it (the header links the same page).
const consolePath = "API & SDK → Authorization → OAuth apps"

// maxValue is the longest value a field takes, in bytes: far more than any
// client id, secret or key id Coze issues. A longer one (a paste of the
// wrong thing) is refused with its length, never cut silently; a path may
// be as long as the system allows.
func maxValue(i field) int {
	if i == fieldKeyFile || i == fieldConfig {
		return 4096
	}
	return 512
}

// formModel is the setup form: the app type first, then only the fields
// that type needs, prefilled from the caller's config; or the console's
// config file by path.
type formModel struct {
	base      auth.Config // profile, bases and margin pass through untouched
	appType   auth.AppType
	region    coze.Region
	inputs    [fieldCount]textinput.Model // fieldAppType's and fieldRegion's are unused
	focus     field
	touched   [fieldCount]bool
	submitted bool
	// notice is shown above the fields: why the form opened (a login that is
	// needed, a store that could not be read), or what an import did.
	notice string
	// sandboxApps, in sandbox mode, are the sandbox's app of each type: a
	// change of type fills in that app.
	sandboxApps map[auth.AppType]auth.Config
	// anyPort allows a redirect URI with port 0 (the in-process sandbox).
	anyPort bool
	// minting is set while a JWT app's first token is being minted.
	minting bool
	// home is the user's home directory, for a path field's ~/ ("": none).
	home string
}

func newForm(cfg auth.Config) formModel {
	f := formModel{base: cfg, region: cfg.Region, appType: cfg.AppType()}
	if f.region == "" {
		f.region = coze.RegionCOM
	}
	js := cfg.JWT
	if js == nil {
		js = &auth.JWTSettings{}
	}
	values := [fieldCount]string{fieldClientID: cfg.ClientID, fieldSecret: cfg.ClientSecret, fieldRedirect: cfg.Redirect(),
		fieldKeyID: js.PublicKeyID, fieldKeyFile: js.PrivateKeyFile}
	placeholders := [fieldCount]string{
		fieldClientID: clientIDPlaceholder(f.appType),
		fieldSecret:   "the web app's client secret",
		fieldRedirect: auth.DefaultRedirectURI,
		fieldKeyID:    "the public key's fingerprint",
		fieldKeyFile:  "path of private_key.pem",
		fieldConfig:   "optional: coze_oauth_config.json",
	}
	if cfg.PrivateKeyPEM != "" {
		placeholders[fieldKeyFile] = "the key from the environment"
	}
	for i := fieldClientID; i < fieldCount; i++ {
		ti := textinput.New()
		ti.Prompt = ""
		ti.Placeholder = placeholders[i]
		ti.SetValue(values[i])
		ti.CharLimit = 0 // a value too long is refused with its length, never cut: see maxValue
		if i == fieldSecret {
			ti.EchoMode = textinput.EchoPassword
			ti.EchoCharacter = '•'
		}
		f.inputs[i] = ti
	}
	// Start where the user most likely has to type.
	if cfg.ClientID == "" {
		f.setFocus(fieldClientID)
	} else {
		f.setFocus(fieldAppType)
	}
	return f
}

// clientIDPlaceholder is what a client id of type t looks like: a JWT
// (service) app's is plain digits.
func clientIDPlaceholder(t auth.AppType) string {
	if t == auth.AppJWT {
		return "<digits>"
	}
	return "<digits>.app.coze"
}

// visible reports whether the app type needs field i.
func (f formModel) visible(i field) bool {
	switch i {
	case fieldSecret:
		return f.appType == auth.AppWeb
	case fieldRedirect:
		return f.appType == auth.AppPKCE || f.appType == auth.AppWeb
	case fieldKeyID, fieldKeyFile:
		return f.appType == auth.AppJWT
	}
	return true
}

func (f *formModel) setFocus(to field) {
	f.focus = (to + fieldCount) % fieldCount
	for i := fieldClientID; i < fieldCount; i++ {
		if i == f.focus {
			f.inputs[i].Focus()
		} else {
			f.inputs[i].Blur()
		}
	}
}

// move goes step fields on, skipping those the app type does not need.
func (f *formModel) move(step field) {
	to := f.focus
	for range fieldCount {
		to = (to + step + fieldCount) % fieldCount
		if f.visible(to) {
			break
		}
	}
	f.setFocus(to)
}

// typing reports whether keys go into a text field.
func (f formModel) typing() bool { return f.focus != fieldRegion && f.focus != fieldAppType }

// setAppType switches the app type; in sandbox mode it fills in the
// sandbox's app of that type.
func (f *formModel) setAppType(t auth.AppType) {
	f.appType = t
	f.inputs[fieldClientID].Placeholder = clientIDPlaceholder(t)
	if app, ok := f.sandboxApps[t]; ok {
		f.inputs[fieldClientID].SetValue(app.ClientID)
		f.inputs[fieldSecret].SetValue(app.ClientSecret)
		f.base.PrivateKeyPEM = app.PrivateKeyPEM
		if app.JWT != nil {
			f.inputs[fieldKeyID].SetValue(app.JWT.PublicKeyID)
		}
	}
}

// config is the form's content as a config.
func (f formModel) config() auth.Config {
	cfg := f.base
	cfg.Region = f.region
	cfg.Settings.AppType = f.appType
	cfg.ClientID = strings.TrimSpace(f.inputs[fieldClientID].Value())
	cfg.ClientSecret = ""
	if f.appType == auth.AppWeb {
		cfg.ClientSecret = strings.TrimSpace(f.inputs[fieldSecret].Value())
	}
	cfg.RedirectURI = strings.TrimSpace(f.inputs[fieldRedirect].Value())
	if cfg.RedirectURI == "" {
		cfg.RedirectURI = auth.DefaultRedirectURI
	}
	cfg.JWT = nil
	if f.appType == auth.AppJWT {
		js := auth.JWTSettings{}
		if f.base.JWT != nil {
			js = *f.base.JWT
		}
		js.PublicKeyID = strings.TrimSpace(f.inputs[fieldKeyID].Value())
		js.PrivateKeyFile = expandHome(strings.TrimSpace(f.inputs[fieldKeyFile].Value()), f.home)
		cfg.JWT = &js
	} else {
		cfg.PrivateKeyPEM = ""
	}
	return cfg
}

// configPath is the config file to import, if one was typed.
func (f formModel) configPath() string {
	return expandHome(strings.TrimSpace(f.inputs[fieldConfig].Value()), f.home)
}

// expandHome expands a path's leading ~/ (or a lone ~) to home, as a shell
// would; ~user and paths without ~ are left as typed.
func expandHome(path, home string) string {
	if home == "" {
		return path
	}
	if path == "~" {
		return home
	}
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		return filepath.Join(home, rest)
	}
	return path
}

// problems validates the form with auth's own rules: errors block Enter,
// warnings only inform.
func (f formModel) problems() (errs [fieldCount]string, warns [fieldCount]string) {
	cfg := f.config()
	warn, err := auth.ValidateClientID(cfg.ClientID)
	switch {
	case cfg.ClientID == "": // said with the console path the wizard names everywhere
		errs[fieldClientID] = "client id is empty: copy it from your app in the Coze console (" + consolePath + ")"
	case err != nil:
		errs[fieldClientID] = err.Error()
	}
	warns[fieldClientID] = warn
	check := auth.CheckRegistrable
	if f.anyPort {
		check = auth.ValidateRedirectURI
	}
	if f.visible(fieldRedirect) {
		if err := check(cfg.RedirectURI); err != nil {
			errs[fieldRedirect] = err.Error()
		}
	}
	if f.appType == auth.AppJWT {
		if cfg.JWT.PublicKeyID == "" {
			errs[fieldKeyID] = "the public key id is empty: copy the key's fingerprint from the app's page in the Coze console"
		}
		if cfg.JWT.PrivateKeyFile == "" && cfg.PrivateKeyPEM == "" {
			errs[fieldKeyFile] = "give the path of private_key.pem, downloaded when the key pair was created"
		}
	}
	for i := fieldClientID; i < fieldCount; i++ {
		if n := len(f.inputs[i].Value()); f.visible(i) && n > maxValue(i) {
			errs[i] = fmt.Sprintf("%d characters is too long for a %s (at most %d): paste only the %s", n, strings.ToLower(fieldLabels[i]), maxValue(i), strings.ToLower(fieldLabels[i]))
		}
	}
	return errs, warns
}

// valid reports whether Enter may continue.
func (f formModel) valid() bool {
	errs, _ := f.problems()
	for _, e := range errs {
		if e != "" {
			return false
		}
	}
	return true
}

// submit marks the form as submitted, so that every error shows, and
// reports whether it may continue.
func (f formModel) submit() (formModel, bool) {
	f.submitted = true
	if !f.valid() {
		errs, _ := f.problems()
		for i, e := range errs { // put the cursor where the first error is
			if e != "" {
				f.setFocus(field(i))
				break
			}
		}
		return f, false
	}
	return f, true
}

// update handles moving between fields, the app type and region switches
// and typing.
func (f formModel) update(msg tea.Msg, k keyMap) (formModel, tea.Cmd) {
	km, isKey := msg.(tea.KeyPressMsg)
	switch {
	case isKey && key.Matches(km, k.Next):
		// Moving on shows nothing new: a field's error shows once its value
		// was changed, or the form submitted.
		f.move(1)
		return f, nil
	case isKey && key.Matches(km, k.Prev):
		f.move(-1)
		return f, nil
	case isKey && f.focus == fieldAppType && key.Matches(km, k.Region):
		step := 1
		if km.String() == "left" {
			step = len(auth.AppTypes) - 1
		}
		f.setAppType(auth.AppTypes[(slices.Index(auth.AppTypes, f.appType)+step)%len(auth.AppTypes)])
		return f, nil
	case isKey && f.focus == fieldRegion && key.Matches(km, k.Region):
		if f.region == coze.RegionCN {
			f.region = coze.RegionCOM
		} else {
			f.region = coze.RegionCN
		}
		return f, nil
	case !f.typing():
		return f, nil
	}
	before := f.inputs[f.focus].Value()
	var cmd tea.Cmd
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	if f.inputs[f.focus].Value() != before {
		f.touched[f.focus] = true
	}
	return f, cmd
}

// imported fills the form from the console's config file.
func (f *formModel) imported(path string, c *oauthconfig.Config, warnings []string) {
	if t, err := auth.ParseAppType(c.ClientType); err == nil {
		f.appType = t
	}
	f.inputs[fieldClientID].SetValue(c.ClientID)
	f.inputs[fieldSecret].SetValue(c.ClientSecret)
	f.inputs[fieldKeyID].SetValue(c.PublicKeyID)
	f.base.PrivateKeyPEM = c.PrivateKey
	if c.CozeAPIBase != "" {
		f.base.APIBase = c.CozeAPIBase
	}
	if c.CozeWWWBase != "" {
		f.base.WWWBase = c.CozeWWWBase
	}
	f.inputs[fieldConfig].SetValue("")
	f.notice = "Imported " + path + ": check the fields and press Enter."
	if len(warnings) > 0 {
		f.notice += " " + strings.Join(warnings, "; ") + "."
	}
	f.setFocus(fieldAppType)
}

// setWidth fits the text fields to the window.
func (f *formModel) setWidth(w int) {
	for i := fieldClientID; i < fieldCount; i++ {
		f.inputs[i].SetWidth(max(10, w-labelWidth-4))
	}
}

// setStyles draws the text fields with st.
func (f *formModel) setStyles(st Styles) {
	for i := fieldClientID; i < fieldCount; i++ {
		f.inputs[i].SetStyles(st.input())
	}
}

func (f formModel) statusLine(frame) string { return "" }

func (f formModel) view(fr frame) string {
	st, width, sandbox := fr.st, fr.width, fr.d.SandboxBase
	var b strings.Builder
	cfg := f.config()
	errs, warns := f.problems()
	b.WriteString(st.Title.Render("cozeauth") + st.Subtitle.Render(" · set up your Coze OAuth app") + "\n\n")
	if f.notice != "" {
		b.WriteString(paint(st.Warn, wrap(f.notice, width)) + "\n\n")
	}
	var note string
	if sandbox != "" {
		note = fmt.Sprintf("Sandbox mode: a fake Coze runs at %s. The form holds its %s app (←/→ on App type picks another); press Enter.", sandbox, f.appType)
	} else {
		redirect := cfg.RedirectURI
		if errs[fieldRedirect] != "" {
			redirect = "" // refused: its error below says what to use instead
		}
		note = fmt.Sprintf("Create an OAuth app at %s/open/oauth/apps. %s", cfg.WWW(), appTypeNote(f.appType, redirect))
		if f.appType == auth.AppPKCE || f.appType == auth.AppWeb {
			note += " Consent page: " + cfg.WWW() + "." // follows the API base: api.X → www.X
		}
	}
	b.WriteString(paint(st.Muted, wrap(note, width)) + "\n\n")

	for i := fieldAppType; i < fieldCount; i++ {
		if !f.visible(i) {
			continue
		}
		marker, label := "  ", st.Label
		if i == f.focus {
			marker, label = st.Focused.Render("> "), st.Focused
		}
		b.WriteString(marker + label.Render(pad(fieldLabels[i], labelWidth)))
		switch i {
		case fieldAppType:
			b.WriteString(f.appTypeView(st))
		case fieldRegion:
			b.WriteString(f.regionView(st))
		default:
			b.WriteString(f.inputs[i].View())
		}
		b.WriteString("\n")
		if note := f.fieldNote(i, errs[i], warns[i], st, width, cfg); note != "" {
			b.WriteString(note + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// fieldNote is the line under field i: its error or warning once shown,
// else a hint while it has the focus.
func (f formModel) fieldNote(i field, err, warn string, st Styles, width int, cfg auth.Config) string {
	indent := strings.Repeat(" ", labelWidth+2)
	line := func(style lipgloss.Style, text string) string {
		return indentLines(paint(style, wrap(text, width-len(indent))), indent)
	}
	show := f.submitted || f.touched[i]
	switch {
	case err != "" && show:
		return line(st.Bad, "✗ "+err)
	case warn != "" && show:
		return line(st.Warn, "! "+warn)
	case i != f.focus:
		return ""
	case i == fieldSecret:
		return line(st.Faint, "kept in the token store, never in config.json")
	case i == fieldAppType:
		return line(st.Faint, f.appType.ConsoleName()+" in the Coze console")
	case i == fieldRegion && cfg.APIBase != "":
		return line(st.Faint, "API "+cfg.API()+" (overrides the region)")
	}
	return ""
}

// appTypeNote says what the chosen app type needs from the console.
// redirect is the redirect URI to register, "" while the form refuses it.
func appTypeNote(t auth.AppType, redirect string) string {
	register := "Register this redirect URI on it exactly: " + redirect
	if redirect == "" {
		register = "Register the redirect URI on it exactly, once the field below accepts it."
	}
	switch t {
	case auth.AppWeb:
		return "A web back-end app has a client secret. " + register
	case auth.AppDevice:
		return "A TV/device/command-line app logs in with a code entered on any device: nothing to register."
	case auth.AppJWT:
		return "A service app signs a JWT with its private key: no browser. Create a key on the app's page and give its id and file."
	}
	return "A PKCE app (mobile/PC/single-page) has no secret. " + register
}

func (f formModel) appTypeView(st Styles) string {
	var parts []string
	for _, t := range auth.AppTypes {
		if f.appType == t {
			parts = append(parts, st.Focused.Render("● "+string(t)))
		} else {
			parts = append(parts, st.Muted.Render("○ "+string(t)))
		}
	}
	return strings.Join(parts, "  ")
}

func (f formModel) regionView(st Styles) string {
	opt := func(r coze.Region, name string) string {
		if f.region == r {
			return st.Focused.Render("● " + name)
		}
		return st.Muted.Render("○ " + name)
	}
	return opt(coze.RegionCOM, "com (coze.com)") + "  " + opt(coze.RegionCN, "cn (coze.cn)")
}

// updateForm handles the form: Enter imports a config file when one is
// given, else continues the way the app type logs in when the form is
// valid; anything else edits it.
func (m Model) updateForm(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case configImportedMsg:
		m.form.imported(msg.path, msg.config, msg.warnings)
		return m, nil
	case configImportFailedMsg:
		m.form.notice = "Could not import the config file: " + msg.err.Error()
		return m, nil
	case jwtLoginFailedMsg:
		if msg.gen == m.gen {
			m.form.minting = false
			m.form.notice = "Could not get a token with the JWT: " + msg.err.Error()
			if msg.keyFile {
				m.form.setFocus(fieldKeyFile)
			}
		}
		return m, nil
	case loginFinishedMsg:
		if msg.gen == m.gen && m.form.minting {
			m.form.minting = false
			return m.loginFinished(msg)
		}
		return m, nil
	}
	if km, ok := msg.(tea.KeyPressMsg); ok && key.Matches(km, m.keys.Submit) {
		if m.form.minting {
			return m, nil
		}
		if path := m.form.configPath(); path != "" {
			return m, importConfigCmd(path)
		}
		var ok bool
		if m.form, ok = m.form.submit(); ok {
			m.form.notice = ""
			cfg := m.form.config()
			switch cfg.AppType() {
			case auth.AppJWT:
				return m.startJWT(cfg)
			case auth.AppDevice:
				return m.startDevice(cfg)
			}
			return m.startLogin(cfg)
		}
		return m, nil
	}
	var cmd tea.Cmd
	m.form, cmd = m.form.update(msg, m.keys)
	return m, cmd
}
