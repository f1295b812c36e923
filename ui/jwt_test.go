package ui

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/auth"
)

// writeTestKey writes a fresh RSA private key as the console's PKCS#8 PEM.
func writeTestKey(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	p := filepath.Join(t.TempDir(), "private_key.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFormFieldsFollowTheAppType(t *testing.T) {
	m := newFixture(t).form(t)
	want := map[auth.AppType][]field{
		auth.AppPKCE:   {fieldAppType, fieldRegion, fieldClientID, fieldRedirect, fieldConfig},
		auth.AppWeb:    {fieldAppType, fieldRegion, fieldClientID, fieldSecret, fieldRedirect, fieldConfig},
		auth.AppDevice: {fieldAppType, fieldRegion, fieldClientID, fieldConfig},
		auth.AppJWT:    {fieldAppType, fieldRegion, fieldClientID, fieldKeyID, fieldKeyFile, fieldConfig},
	}
	for range auth.AppTypes {
		var got []field
		for i := fieldAppType; i < fieldCount; i++ {
			if m.form.visible(i) {
				got = append(got, i)
			}
		}
		if !slices.Equal(got, want[m.form.appType]) {
			t.Errorf("%s: fields %v, want %v", m.form.appType, got, want[m.form.appType])
		}
		m, _ = step(m, press("right"))
	}
	// Back to pkce after a full turn; left goes the other way.
	if m.form.appType != auth.AppPKCE {
		t.Fatalf("after four → the type is %s", m.form.appType)
	}
	m, _ = step(m, press("left"))
	if m.form.appType != auth.AppJWT {
		t.Fatalf("← from pkce gave %s, want jwt", m.form.appType)
	}
	m, _ = step(m, press("enter"))
	v := strings.Join(strings.Fields(viewText(m)), " ")
	for _, w := range []string{"the public key id is empty", "give the path of private_key.pem"} {
		if !strings.Contains(v, w) {
			t.Errorf("a jwt form without key id and file lacks %q:\n%s", w, viewText(m))
		}
	}
	if m.screen != screenForm {
		t.Errorf("an incomplete jwt form went on to %v", m.screen)
	}
}

// A JWT app needs no consent: Enter mints its first token and the wizard
// goes straight to the probe, with the dashboard behind it.
func TestJWTFormGoesStraightToProbe(t *testing.T) {
	f := newFixture(t)
	f.deps.Initial.Settings.AppType = auth.AppJWT
	f.deps.Initial.JWT = &auth.JWTSettings{PublicKeyID: "kid-1", PrivateKeyFile: writeTestKey(t)}
	m, cmd := step(f.form(t), press("enter"))
	if m.screen != screenForm || !m.form.minting || !strings.Contains(viewText(m), "Signing a JWT") {
		t.Fatalf("enter on a jwt form: screen %v minting %v\n%s", m.screen, m.form.minting, viewText(m))
	}
	m, _ = step(m, await[loginFinishedMsg](t, cmd))
	if m.screen != screenProbe {
		t.Fatalf("after the mint: screen %v, want the probe", m.screen)
	}
	f.coze.mu.Lock()
	grants := slices.Clone(f.coze.grants)
	f.coze.mu.Unlock()
	if !slices.Equal(grants, []string{auth.JWTGrantType}) {
		t.Errorf("grants sent %v, want one JWT grant", grants)
	}
	if m.dash.status == nil || m.dash.status.AppType != auth.AppJWT || m.dash.status.RefreshExpiresAt != nil {
		t.Errorf("dashboard status %+v, want a jwt app without a refresh token", m.dash.status)
	}
	m.screen = screenDashboard
	v := viewText(m)
	for _, w := range []string{"next token minted", "minted by JWT, no refresh token"} {
		if !strings.Contains(v, w) {
			t.Errorf("dashboard lacks %q:\n%s", w, v)
		}
	}
	if strings.Contains(v, "Refresh token") {
		t.Errorf("a jwt dashboard shows a refresh token:\n%s", v)
	}
}

func TestJWTFormShowsAMintFailure(t *testing.T) {
	f := newFixture(t)
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a key"), 0o600)
	f.deps.Initial.Settings.AppType = auth.AppJWT
	f.deps.Initial.JWT = &auth.JWTSettings{PublicKeyID: "kid-1", PrivateKeyFile: bad}
	m, cmd := step(f.form(t), press("enter"))
	m, _ = step(m, await[jwtLoginFailedMsg](t, cmd))
	if v := strings.Join(strings.Fields(viewText(m)), " "); m.screen != screenForm || m.form.minting || !strings.Contains(v, "is not PEM") {
		t.Errorf("screen %v minting %v:\n%s", m.screen, m.form.minting, viewText(m))
	}
}

func TestFormImportsTheConsoleConfigFile(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "coze_oauth_config.json")
	os.WriteFile(path, []byte(`{"client_type":"web","client_id":"7000000000000000009.app.coze","client_secret":"s3cret","coze_www_base":"https://www.coze.cn","extra":1}`), 0o600)
	m := f.form(t)
	m, _ = step(m, press("shift+tab")) // from the app type back to the config file
	if m.form.focus != fieldConfig {
		t.Fatalf("focus %v, want the config file", m.form.focus)
	}
	m = typeText(m, path)
	m, cmd := step(m, press("enter"))
	m, _ = step(m, await[configImportedMsg](t, cmd))
	cfg := m.form.config()
	if cfg.AppType() != auth.AppWeb || cfg.ClientID != "7000000000000000009.app.coze" || cfg.ClientSecret != "s3cret" || cfg.WWWBase != "https://www.coze.cn" {
		t.Errorf("imported config %+v", cfg)
	}
	v := strings.Join(strings.Fields(viewText(m)), " ")
	if !strings.Contains(v, "Imported") || !strings.Contains(v, `unknown field "extra"`) || strings.Contains(v, "s3cret") {
		t.Errorf("after the import:\n%s", viewText(m))
	}

	os.WriteFile(path, []byte(`{"client_type":"jwt","client_id":"1"}`), 0o600)
	m, _ = step(m, press("shift+tab"))
	m = typeText(m, path)
	m, cmd = step(m, press("enter"))
	m, _ = step(m, await[configImportFailedMsg](t, cmd))
	if v := viewText(m); !strings.Contains(v, `"private_key"`) {
		t.Errorf("a config file missing a field:\n%s", v)
	}
}

func TestSandboxFormSwitchesApps(t *testing.T) {
	f := newFixture(t)
	f.deps.SandboxBase = "http://127.0.0.1:1"
	f.deps.SandboxApps = map[auth.AppType]auth.Config{
		auth.AppWeb:    {Settings: auth.Settings{ClientID: "2.app.coze"}, ClientSecret: "web-secret"},
		auth.AppDevice: {Settings: auth.Settings{ClientID: "3.app.coze"}},
		auth.AppJWT:    {Settings: auth.Settings{ClientID: "4", JWT: &auth.JWTSettings{PublicKeyID: "kid"}}, PrivateKeyPEM: "PEM"},
	}
	m := f.form(t)
	for _, want := range []auth.Config{f.deps.SandboxApps[auth.AppWeb], f.deps.SandboxApps[auth.AppDevice], f.deps.SandboxApps[auth.AppJWT]} {
		m, _ = step(m, press("right"))
		cfg := m.form.config()
		if cfg.ClientID != want.ClientID || cfg.ClientSecret != want.ClientSecret || cfg.PrivateKeyPEM != want.PrivateKeyPEM {
			t.Errorf("%s: config %+v, want the sandbox app %+v", m.form.appType, cfg, want)
		}
	}
	if v := viewText(m); !strings.Contains(v, "The form holds its jwt app") {
		t.Errorf("sandbox note:\n%s", v)
	}
}
