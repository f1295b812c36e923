package auth

import (
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckFlow(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		flow   Flow
		wantOK bool
	}{
		{"pkce browser", Config{Settings: Settings{AppType: AppPKCE}}, FlowBrowser, true},
		{"pkce device", Config{Settings: Settings{AppType: AppPKCE}}, FlowDevice, false},
		{"pkce jwt", Config{Settings: Settings{AppType: AppPKCE}}, FlowJWT, false},
		{"web browser", Config{Settings: Settings{AppType: AppWeb}}, FlowBrowser, true},
		{"web device", Config{Settings: Settings{AppType: AppWeb}}, FlowDevice, false},
		{"device device", Config{Settings: Settings{AppType: AppDevice}}, FlowDevice, true},
		{"device browser", Config{Settings: Settings{AppType: AppDevice}}, FlowBrowser, false},
		{"jwt jwt", Config{Settings: Settings{AppType: AppJWT}}, FlowJWT, true},
		{"jwt browser", Config{Settings: Settings{AppType: AppJWT}}, FlowBrowser, false},
		{"inferred web (secret) has no device flow", Config{ClientSecret: "s"}, FlowDevice, false},
		{"inferred jwt (key)", Config{PrivateKeyPEM: "pem"}, FlowJWT, true},
		{"unknown type may try the browser", Config{}, FlowBrowser, true},
		{"unknown type may try a device code", Config{}, FlowDevice, true},
		{"unknown type is no jwt app", Config{}, FlowJWT, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.CheckFlow(tt.flow)
			if (err == nil) != tt.wantOK {
				t.Fatalf("CheckFlow(%s) = %v, want ok=%v", tt.flow, err, tt.wantOK)
			}
			var ate *UsageError
			if err != nil && (!errors.As(err, &ate) || !strings.Contains(err.Error(), "--app-type") || !strings.Contains(err.Error(), "Coze console")) {
				t.Errorf("error does not say which app type to create and how: %v", err)
			}
		})
	}
}

func TestAppTypeInference(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want AppType
	}{
		{"nothing", Config{}, AppPKCE},
		{"a secret", Config{ClientSecret: "s"}, AppWeb},
		{"a key in the environment", Config{PrivateKeyPEM: "k"}, AppJWT},
		{"a key file", Config{Settings: Settings{JWT: &JWTSettings{PrivateKeyFile: "/k.pem"}}}, AppJWT},
		{"explicit beats a secret", Config{Settings: Settings{AppType: AppDevice}, ClientSecret: "s"}, AppDevice},
	}
	for _, tt := range tests {
		if got := tt.cfg.AppType(); got != tt.want {
			t.Errorf("%s: AppType() = %s, want %s", tt.name, got, tt.want)
		}
	}
	if _, err := ParseAppType("service"); err == nil || !strings.Contains(err.Error(), "pkce, web, device or jwt") {
		t.Errorf("ParseAppType(service) = %v", err)
	}
}

// Loopback means loopback (issue 10, item 8): only localhost, 127.0.0.0/8
// literals and [::1]; a name that merely starts with "127." is refused.
func TestRedirectURIRules(t *testing.T) {
	tests := []struct {
		uri         string
		listenable  bool // ValidateRedirectURI
		registrable bool // CheckRegistrable
	}{
		{"http://localhost:8080/callback", true, true},
		{"http://LOCALHOST:8080/callback", true, true},
		{"http://127.0.0.1:8080/callback", true, true},
		{"http://127.4.5.6:8080/callback", true, true},
		{"http://[::1]:8080/callback", true, true},
		{"http://localhost/callback", true, true}, // port 80, sent as it is
		{"http://127.0.0.1:0/callback", true, false},
		{"http://127.attacker.example:18776/callback", false, false},
		{"http://127.0.0.1.nip.io:8080/cb", false, false},
		{"http://0.0.0.0:8080/cb", false, false},
		{"http://[::ffff:127.0.0.1]:8080/cb", false, false},
		{"http://[::]:8080/cb", false, false},
		{"http://10.0.0.1:8080/cb", false, false},
		{"http://example.com:8080/cb", false, false},
		{"https://localhost:8443/cb", false, false},
		{"myapp://callback", false, false},
		{"http://user@localhost:8080/cb", false, false},
		{"http://localhost:99999/cb", false, false},
		{"http://localhost:/cb", false, false},
		{"/callback", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			got := []bool{ValidateRedirectURI(tt.uri) == nil, CheckRegistrable(tt.uri) == nil}
			if diff := cmp.Diff([]bool{tt.listenable, tt.registrable}, got); diff != "" {
				t.Errorf("[listenable registrable] (-want +got):\n%s", diff)
			}
			var re *UsageError
			if err := CheckRegistrable(tt.uri); err != nil && !errors.As(err, &re) {
				t.Errorf("error is not a *UsageError: %v", err)
			}
		})
	}
}

func TestListenCallbackBindsOnlyItsLoopbackHost(t *testing.T) {
	cs, err := ListenCallback("http://127.0.0.2:0/cb")
	if err != nil {
		t.Skipf("127.0.0.2 is not usable here: %v", err)
	}
	defer cs.Close()
	if !strings.HasPrefix(cs.RedirectURI(), "http://127.0.0.2:") {
		t.Errorf("RedirectURI() = %s, want the host kept", cs.RedirectURI())
	}
	if _, err := ListenCallback("http://127.attacker.example:18776/callback"); err == nil {
		t.Error("listened for a non-loopback name")
	}
}

func TestOAuthErrorHints(t *testing.T) {
	tests := []struct {
		name string
		err  *OAuthError
		want []string
	}{
		{"access_deny", &OAuthError{StatusCode: 403, Code: "access_deny", Message: "invalid app type", LogID: "L1"},
			[]string{"invalid app type", "log id L1", "refused the app itself", "--app-type"}},
		{"redirect_uri", &OAuthError{StatusCode: 400, Code: "invalid_request", Message: "invalid request: redirect_uri", RedirectURI: "http://localhost:9999/cb"},
			[]string{"http://localhost:9999/cb", "exactly match one registered"}},
		{"client_secret", &OAuthError{StatusCode: 400, Code: "invalid_request", Message: "invalid request: client_secret"},
			[]string{"web app", "--client-secret"}},
		{"kid", &OAuthError{StatusCode: 401, Code: "invalid_client", Message: "invalid jwt: kid not been registered"},
			[]string{"--public-key-id", "region"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestConsentErrorTellsRefusalsApart(t *testing.T) {
	denied := (&ConsentError{Code: "access_denied", Description: "the user said no"}).Error()
	deny := (&ConsentError{Code: "access_deny", Description: "invalid app type", LogID: "L2"}).Error()
	if !strings.Contains(denied, "denied in the browser") || strings.Contains(denied, "console") {
		t.Errorf("access_denied: %s", denied)
	}
	for _, w := range []string{"invalid app type", "log id L2", "Coze console", "will not help"} {
		if !strings.Contains(deny, w) {
			t.Errorf("access_deny: %q lacks %q", deny, w)
		}
	}
}

func TestWorkspacePaths(t *testing.T) {
	cfg := Config{Settings: Settings{ClientID: "1.app.coze", WWWBase: "https://www.coze.cn", WorkspaceID: "7480000000000000001"}}
	req, err := NewAuthRequest(cfg, DefaultRedirectURI)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://www.coze.cn/api/permission/oauth2/workspace_id/7480000000000000001/authorize?"; !strings.HasPrefix(req.URL, want) {
		t.Errorf("authorize URL %s, want the workspace path %s", req.URL, want)
	}
	if got, want := devicePathFor("7480000000000000001"), "/api/permission/oauth2/workspace_id/7480000000000000001/device/code"; got != want {
		t.Errorf("device path %s, want %s", got, want)
	}
	if devicePathFor("") != DevicePath || authorizePathFor("") != AuthorizePath {
		t.Error("no workspace must mean the plain paths")
	}
}

func TestListenErrorSaysWhatToDo(t *testing.T) {
	denied := listenError("127.0.0.1", "80", &net.OpError{Op: "listen", Err: os.NewSyscallError("bind", syscall.EACCES)})
	if msg := denied.Error(); !strings.Contains(msg, "needs root") || !strings.Contains(msg, "register a redirect URI with another port") {
		t.Errorf("port 80 without root: %v", msg)
	}
	var busy *BusyPortError
	if err := listenError("127.0.0.1", "8080", &net.OpError{Op: "listen", Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}); !errors.As(err, &busy) {
		t.Errorf("a busy port: %v", err)
	}
}
