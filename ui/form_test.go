package ui

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

func TestFormPrefill(t *testing.T) {
	f := newFixture(t)
	f.deps.Initial.ClientSecret = "s3cret-value"
	m := f.form(t)
	got := m.form.config()
	want := f.deps.Initial
	want.Settings.AppType = auth.AppWeb // a secret means a web app, now said explicitly
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if m.form.focus != fieldAppType {
		t.Errorf("focus = %v, want the app type (the client ID is filled in)", m.form.focus)
	}
	if v := viewText(m); strings.Contains(v, "s3cret-value") {
		t.Errorf("the secret shows in the form:\n%s", v)
	}
}

func TestFormStartsOnEmptyClientID(t *testing.T) {
	f := newFixture(t)
	f.deps.Initial.ClientID = ""
	m := f.form(t)
	if m.form.focus != fieldClientID {
		t.Errorf("focus = %v, want the client ID", m.form.focus)
	}
}

func TestFormDefaultRedirect(t *testing.T) {
	f := newFixture(t)
	f.deps.Initial.RedirectURI = ""
	m := f.form(t)
	if got := m.form.config().RedirectURI; got != auth.DefaultRedirectURI {
		t.Errorf("redirect = %q, want %q", got, auth.DefaultRedirectURI)
	}
}

func TestFormTabMovesAndWraps(t *testing.T) {
	m := newFixture(t).form(t)
	var got []field
	for range 5 {
		m, _ = step(m, press("tab"))
		got = append(got, m.form.focus)
	}
	// A PKCE app has no secret and no key: those fields are skipped.
	want := []field{fieldRegion, fieldClientID, fieldRedirect, fieldConfig, fieldAppType}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tab order (-want +got):\n%s", diff)
	}
	m, _ = step(m, press("shift+tab"))
	m, _ = step(m, press("shift+tab"))
	if m.form.focus != fieldRedirect {
		t.Errorf("after two shift+tab: focus = %v, want the redirect URI", m.form.focus)
	}
}

func TestFormRegionSwitch(t *testing.T) {
	m := newFixture(t).form(t)
	m, _ = step(m, press("tab")) // from the app type to the region
	m, _ = step(m, press("left"))
	if m.form.region != coze.RegionCN {
		t.Fatalf("region = %v, want cn", m.form.region)
	}
	m, _ = step(m, press(" "))
	if m.form.region != coze.RegionCOM {
		t.Fatalf("region = %v, want com", m.form.region)
	}
	// On a text field the same keys edit text instead.
	m, _ = step(m, press("tab"))
	m, _ = step(m, press(" "))
	if m.form.region != coze.RegionCOM || m.form.inputs[fieldClientID].Value() != testClientID+" " {
		t.Errorf("space on the client ID: region %v, value %q", m.form.region, m.form.inputs[fieldClientID].Value())
	}
}

func TestFormQOnlyQuitsOffTextFields(t *testing.T) {
	m := newFixture(t).form(t)
	_, cmd := step(m, press("q"))
	if !isQuit(cmd) {
		t.Error("q on the app type did not quit")
	}
	m, _ = step(m, press("tab"))
	m, _ = step(m, press("tab"))
	m, cmd = step(m, press("q"))
	if isQuit(cmd) {
		t.Error("q in the client ID quit")
	}
	if got := m.form.inputs[fieldClientID].Value(); got != testClientID+"q" {
		t.Errorf("client ID = %q, want the q typed", got)
	}
	if _, cmd = step(m, press("ctrl+c")); !isQuit(cmd) {
		t.Error("ctrl+c did not quit")
	}
}

func TestFormValidation(t *testing.T) {
	tests := []struct {
		name     string
		clientID string
		redirect string
		wantErr  string // in the view, after Enter
		focus    field
		realApp  bool // not the sandbox: port 0 is refused
	}{
		{"empty client id", "", "http://localhost:8080/callback", "client id is empty", fieldClientID, false},
		{"not loopback", testClientID, "http://example.com:8080/callback", "is not loopback: use localhost", fieldRedirect, false},
		{"not http", testClientID, "ftp://localhost/callback", "must start with http://", fieldRedirect, false},
		{"malformed port", testClientID, "http://localhost:99999/callback", "is not a number from", fieldRedirect, false},
		{"port not a number", testClientID, "http://localhost:80a/callback", "is not a URL: use", fieldRedirect, false},
		{"https", testClientID, "https://localhost:8080/callback", "uses https, but cozeauth", fieldRedirect, false},
		{"port 0 for a real app", testClientID, "http://127.0.0.1:0/callback", "has port 0", fieldRedirect, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.deps.Initial.ClientID, f.deps.Initial.RedirectURI = tt.clientID, tt.redirect
			if tt.realApp {
				f.deps.AnyRedirectPort = false
			}
			m := f.form(t)
			if strings.Contains(viewText(m), tt.wantErr) {
				t.Errorf("error shown before anything was touched:\n%s", viewText(m))
			}
			m, cmd := step(m, press("enter"))
			if m.screen != screenForm || cmd != nil {
				t.Fatalf("enter on an invalid form: screen %v, cmd %v", m.screen, cmd != nil)
			}
			if v := viewText(m); !strings.Contains(strings.Join(strings.Fields(v), " "), tt.wantErr) {
				t.Errorf("view lacks %q:\n%s", tt.wantErr, v)
			}
			if m.form.focus != tt.focus {
				t.Errorf("focus = %v, want %v (the first error)", m.form.focus, tt.focus)
			}
		})
	}
}

func TestFormErrorShowsOnceTouched(t *testing.T) {
	f := newFixture(t)
	f.deps.Initial.ClientID = ""
	m := f.form(t) // focus on the client ID
	m = typeText(m, "x")
	m, _ = step(m, press("backspace"))
	if !strings.Contains(viewText(m), "client id is empty") {
		t.Errorf("emptying the client ID shows no error:\n%s", viewText(m))
	}
}

func TestFormWarnsOnOddClientID(t *testing.T) {
	f := newFixture(t)
	f.deps.Initial.ClientID = ""
	m := f.form(t)
	m = typeText(m, "my-app")
	v := viewText(m)
	if !strings.Contains(v, "does not look like <digits>.app.coze") {
		t.Errorf("no warning for an odd client ID:\n%s", v)
	}
	// A warning does not block.
	m, _ = step(m, press("enter"))
	if m.screen != screenConsent {
		t.Errorf("screen = %v, want consent", m.screen)
	}
	m.Close()
}

func TestFormSecretMakesWebApp(t *testing.T) {
	m := newFixture(t).form(t)
	if m.form.visible(fieldSecret) {
		t.Error("a PKCE app's form asks for a secret")
	}
	m, _ = step(m, press("right")) // app type web
	m, _ = step(m, press("tab"))
	m, _ = step(m, press("tab"))
	m, _ = step(m, press("tab"))
	if m.form.focus != fieldSecret {
		t.Fatalf("focus = %v, want the secret", m.form.focus)
	}
	m = typeText(m, "topsecret")
	cfg := m.form.config()
	if cfg.ClientSecret != "topsecret" || cfg.AppType() != auth.AppWeb {
		t.Errorf("config = %+v, want a web app with the secret", cfg)
	}
	if v := viewText(m); strings.Contains(v, "topsecret") || !strings.Contains(v, "•••••••••") {
		t.Errorf("the secret is not masked:\n%s", v)
	}
}

func TestFormEnterStartsLogin(t *testing.T) {
	f := newFixture(t)
	m := f.form(t)
	m, cmd := step(m, press("enter"))
	if m.screen != screenConsent || m.consent.phase != consentStarting {
		t.Fatalf("screen %v phase %v, want consent starting", m.screen, m.consent.phase)
	}
	started := await[loginStartedMsg](t, cmd)
	defer started.flow.Close()
	if started.mgr.Config.ClientID != testClientID {
		t.Errorf("manager's client ID = %q", started.mgr.Config.ClientID)
	}
	if !strings.Contains(started.flow.URL(), "client_id="+testClientID) {
		t.Errorf("URL = %q", started.flow.URL())
	}
}

func TestFormNoteNamesRedirect(t *testing.T) {
	f := newFixture(t)
	f.deps.Initial.APIBase, f.deps.Initial.WWWBase = "", ""
	f.deps.Initial.RedirectURI = "http://localhost:9999/cb"
	m := f.form(t)
	v := strings.Join(strings.Fields(viewText(m)), " ")
	for _, want := range []string{"https://www.coze.com/open/oauth/apps", "http://localhost:9999/cb", "PKCE"} {
		if !strings.Contains(v, want) {
			t.Errorf("note lacks %q:\n%s", want, viewText(m))
		}
	}
	m, _ = step(m, press("tab"))
	m, _ = step(m, press("left")) // cn
	if v := viewText(m); !strings.Contains(v, "https://www.coze.cn/open/oauth/apps") {
		t.Errorf("the note does not follow the region:\n%s", v)
	}
}

func TestFormSandboxNote(t *testing.T) {
	f := newFixture(t)
	f.deps.SandboxBase = "http://127.0.0.1:1234"
	m := f.form(t)
	if v := viewText(m); !strings.Contains(v, "Sandbox mode") || !strings.Contains(v, "press Enter") {
		t.Errorf("no sandbox note:\n%s", v)
	}
}
