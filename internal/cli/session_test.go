package cli

import (
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// --device-id and --custom-consumer (or $COZE_JWT_DEVICE_ID and
// $COZE_JWT_CUSTOM_CONSUMER) reach Coze as the JWT's
// session_context.device_info, and are saved in the profile.
func TestJWTSessionContextReachesCoze(t *testing.T) {
	t.Parallel()
	sb, base := startSandbox(t)
	dir := t.TempDir()
	key := writeJWTKey(t, t.TempDir(), "private_key.pem")
	env := map[string]string{"COZE_API_BASE": base}
	last := func() sandbox.JWTSession {
		t.Helper()
		s := sb.JWTSessions()
		if len(s) == 0 {
			t.Fatal("the sandbox received no JWT")
		}
		return s[len(s)-1]
	}

	login := runCLIWith(t, dir, nil, "", env, "login", "--app-type", "jwt", "--client-id", sandbox.JWTClientID,
		"--public-key-id", sandbox.JWTPublicKeyID, "--private-key-file", key, "--device-id", "sensor-42")
	if login.code != 0 {
		t.Fatalf("login exit %d:\n%s", login.code, login.stderr)
	}
	if got := last(); got != (sandbox.JWTSession{DeviceID: "sensor-42"}) {
		t.Errorf("login's JWT session = %+v, want device_id sensor-42", got)
	}
	set, _, err := auth.NewStore(dir).LoadSettings("default")
	if err != nil || set.JWT == nil || set.JWT.DeviceID != "sensor-42" {
		t.Fatalf("device id not saved in the profile: %+v, %v", set.JWT, err)
	}

	// The same session: the stored token is handed out, nothing is minted.
	minted := len(sb.JWTSessions())
	if r := runCLIWith(t, dir, nil, "", env, "token"); r.code != 0 || len(sb.JWTSessions()) != minted {
		t.Fatalf("token exit %d, %d JWTs sent, want none:\n%s", r.code, len(sb.JWTSessions())-minted, r.stderr)
	}

	// Another session, from a flag and the environment: minted for it, and saved.
	env["COZE_JWT_DEVICE_ID"] = "sensor-43"
	r := runCLIWith(t, dir, nil, "", env, "token", "--custom-consumer", "kiosk-7")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "czs_") {
		t.Fatalf("token exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := last(); got != (sandbox.JWTSession{DeviceID: "sensor-43", CustomConsumer: "kiosk-7"}) {
		t.Errorf("token's JWT session = %+v, want device_id sensor-43, custom_consumer kiosk-7", got)
	}
	delete(env, "COZE_JWT_DEVICE_ID")
	minted = len(sb.JWTSessions())
	if r := runCLIWith(t, dir, nil, "", env, "token"); r.code != 0 || len(sb.JWTSessions()) != minted {
		t.Errorf("token after the change: exit %d, %d JWTs sent, want none (the session was saved):\n%s", r.code, len(sb.JWTSessions())-minted, r.stderr)
	}
}

func TestSessionContextFlagsAreForJWTApps(t *testing.T) {
	t.Parallel()
	r := runCLIWith(t, t.TempDir(), offline(t), "", map[string]string{"COZE_CLIENT_ID": sandbox.PKCEClientID}, "login", "--paste", "--device-id", "d")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--device-id is for a jwt") {
		t.Errorf("exit %d, want %d:\n%s", r.code, ExitUsage, r.stderr)
	}
}
