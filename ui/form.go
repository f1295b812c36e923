package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/cozeauth/cozeauth/auth"
)

// field is one row of the setup form.
type field int

const (
	fieldRegion field = iota
	fieldClientID
	fieldSecret
	fieldRedirect
	fieldCount
)

var fieldLabels = [fieldCount]string{"Region", "Client ID", "Client secret", "Redirect URI"}

// labelWidth is the width of the form's label column.
const labelWidth = 15

// formModel is the setup form: region, client ID, client secret and
// redirect URI, prefilled from the caller's config.
type formModel struct {
	base      auth.Config // profile, bases and margin pass through untouched
	region    auth.Region
	inputs    [fieldCount]textinput.Model // fieldRegion's is unused
	focus     field
	touched   [fieldCount]bool
	submitted bool
	// notice is shown above the fields: why the form opened (a login that is
	// needed, a store that could not be read).
	notice string
}

func newForm(cfg auth.Config) formModel {
	f := formModel{base: cfg, region: cfg.Region}
	if f.region == "" {
		f.region = auth.RegionCOM
	}
	values := [fieldCount]string{fieldClientID: cfg.ClientID, fieldSecret: cfg.ClientSecret, fieldRedirect: cfg.Redirect()}
	placeholders := [fieldCount]string{
		fieldClientID: "<digits>.app.coze",
		fieldSecret:   "empty for a PKCE app",
		fieldRedirect: auth.DefaultRedirectURI,
	}
	for i := fieldClientID; i < fieldCount; i++ {
		ti := textinput.New()
		ti.Prompt = ""
		ti.Placeholder = placeholders[i]
		ti.SetValue(values[i])
		ti.CharLimit = 512
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
		f.setFocus(fieldRegion)
	}
	return f
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

// typing reports whether keys go into a text field.
func (f formModel) typing() bool { return f.focus != fieldRegion }

// config is the form's content as a config.
func (f formModel) config() auth.Config {
	cfg := f.base
	cfg.Region = f.region
	cfg.ClientID = strings.TrimSpace(f.inputs[fieldClientID].Value())
	cfg.ClientSecret = strings.TrimSpace(f.inputs[fieldSecret].Value())
	cfg.RedirectURI = strings.TrimSpace(f.inputs[fieldRedirect].Value())
	if cfg.RedirectURI == "" {
		cfg.RedirectURI = auth.DefaultRedirectURI
	}
	return cfg
}

// problems validates the form with auth's own rules: errors block Enter,
// warnings only inform.
func (f formModel) problems() (errs [fieldCount]string, warns [fieldCount]string) {
	cfg := f.config()
	warn, err := auth.ValidateClientID(cfg.ClientID)
	if err != nil {
		errs[fieldClientID] = err.Error()
	}
	warns[fieldClientID] = warn
	if err := auth.ValidateRedirectURI(cfg.RedirectURI); err != nil {
		errs[fieldRedirect] = err.Error()
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

// update handles moving between fields, the region switch and typing.
func (f formModel) update(msg tea.Msg, k keyMap) (formModel, tea.Cmd) {
	km, isKey := msg.(tea.KeyPressMsg)
	switch {
	case isKey && key.Matches(km, k.Next):
		f.touched[f.focus] = true // leaving a field shows what is wrong with it
		f.setFocus(f.focus + 1)
		return f, nil
	case isKey && key.Matches(km, k.Prev):
		f.touched[f.focus] = true
		f.setFocus(f.focus - 1)
		return f, nil
	case isKey && f.focus == fieldRegion && key.Matches(km, k.Region):
		if f.region == auth.RegionCN {
			f.region = auth.RegionCOM
		} else {
			f.region = auth.RegionCN
		}
		return f, nil
	case f.focus == fieldRegion:
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

func (f formModel) view(st Styles, width int, sandbox string) string {
	var b strings.Builder
	cfg := f.config()
	b.WriteString(st.Title.Render("cozeauth") + st.Subtitle.Render(" · set up your Coze OAuth app") + "\n\n")
	if f.notice != "" {
		b.WriteString(paint(st.Warn, wrap(f.notice, width)) + "\n\n")
	}
	var note string
	if sandbox != "" {
		note = fmt.Sprintf("Sandbox mode: a fake Coze runs at %s. The form holds its PKCE app; press Enter.", sandbox)
	} else {
		note = fmt.Sprintf("Create an OAuth app at %s/open/oauth/apps: a PKCE app (mobile/PC/single-page) has no secret, a web app has one. Register this redirect URI on it exactly: %s",
			f.region.WWWBase(), cfg.RedirectURI)
	}
	b.WriteString(paint(st.Muted, wrap(note, width)) + "\n\n")

	errs, warns := f.problems()
	for i := fieldRegion; i < fieldCount; i++ {
		marker, label := "  ", st.Label
		if i == f.focus {
			marker, label = st.Focused.Render("> "), st.Focused
		}
		b.WriteString(marker + label.Render(pad(fieldLabels[i], labelWidth)))
		if i == fieldRegion {
			b.WriteString(f.regionView(st))
		} else {
			b.WriteString(f.inputs[i].View())
		}
		b.WriteString("\n")
		indent := strings.Repeat(" ", labelWidth+2)
		show := f.submitted || f.touched[i]
		switch {
		case errs[i] != "" && show:
			b.WriteString(indentLines(paint(st.Bad, wrap("✗ "+errs[i], width-len(indent))), indent) + "\n")
		case warns[i] != "" && show:
			b.WriteString(indentLines(paint(st.Warn, wrap("! "+warns[i], width-len(indent))), indent) + "\n")
		case i == fieldSecret && i == f.focus:
			b.WriteString(indentLines(paint(st.Faint, wrap("empty means a PKCE app; a web app's secret is kept in the token store", width-len(indent))), indent) + "\n")
		case i == fieldRegion && i == f.focus && cfg.APIBase != "":
			b.WriteString(indentLines(paint(st.Faint, wrap("API "+cfg.API()+" (overrides the region)", width-len(indent))), indent) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func (f formModel) regionView(st Styles) string {
	opt := func(r auth.Region, name string) string {
		if f.region == r {
			return st.Focused.Render("● " + name)
		}
		return st.Muted.Render("○ " + name)
	}
	return opt(auth.RegionCOM, "com (coze.com)") + "  " + opt(auth.RegionCN, "cn (coze.cn)")
}

// updateForm handles the form: Enter continues to the consent screen when
// the form is valid, anything else edits it.
func (m Model) updateForm(msg tea.Msg) (Model, tea.Cmd) {
	if km, ok := msg.(tea.KeyPressMsg); ok && key.Matches(km, m.keys.Submit) {
		var ok bool
		if m.form, ok = m.form.submit(); ok {
			m.form.notice = ""
			cfg := m.form.config()
			if cfg.AppType() == auth.AppDevice {
				return m.startDevice(cfg) // a device app has no browser login
			}
			return m.startLogin(cfg)
		}
		return m, nil
	}
	var cmd tea.Cmd
	m.form, cmd = m.form.update(msg, m.keys)
	return m, cmd
}
