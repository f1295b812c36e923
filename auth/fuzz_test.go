package auth

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

// Fuzz tests for every parser that reads what crosses a trust boundary: a
// pasted address or callback query, a redirect URI, the token and device
// endpoints' answers, the store's files. Their seed corpora are in
// testdata/fuzz; .ci/run runs each for a few seconds.

// noControl reports whether s is already safe for a terminal.
func noControl(s string) bool { return coze.Sanitize(s) == s }

func FuzzCodeFromURL(f *testing.F) {
	f.Add("http://localhost:8080/callback?code=abc&state=STATE")
	f.Add("code=abc&state=STATE")
	f.Add("http://localhost:8080/callback?error=access_denied&error_description=%1B%5D52%3Bc%3BZXZpbA%3D%3D%07&state=STATE")
	req := &AuthRequest{State: "STATE"}
	f.Fuzz(func(t *testing.T, pasted string) {
		code, err := req.CodeFromURL(pasted)
		if err != nil {
			if !noControl(err.Error()) {
				t.Errorf("error carries control characters: %q", err.Error())
			}
			if len(pasted) > 8 && strings.Contains(err.Error(), pasted) {
				t.Errorf("error echoes the pasted text, which may hold a code: %q", err.Error())
			}
			return
		}
		if code == "" {
			t.Error("no error and no code")
		}
	})
}

func FuzzValidateRedirectURI(f *testing.F) {
	for _, s := range []string{DefaultRedirectURI, "http://127.0.0.1:0/cb", "http://[::1]:8080/cb", "http://127.attacker.example:18776/callback", "https://localhost/cb", "http://localhost:99999/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if ValidateRedirectURI(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted %q, which does not parse: %v", raw, err)
		}
		if h := u.Hostname(); h != "localhost" && !strings.EqualFold(h, "localhost") {
			if ip := net.ParseIP(h); ip == nil || !ip.IsLoopback() {
				t.Errorf("accepted %q whose host %q is not loopback", raw, h)
			}
		}
	})
}

func FuzzParseTokenAnswer(f *testing.F) {
	f.Add(200, `{"access_token":"czu_a","expires_in":1764417600,"refresh_token":"r1"}`)
	f.Add(200, `{"access_token":"czu_a","expires_in":"900"}`)
	f.Add(400, `{"error":"invalid_request","error_code":"invalid_request","error_message":"invalid request: \u001b[2J"}`)
	f.Add(200, `{"code":4100,"msg":"auth"}`)
	f.Add(200, `{"access_token":"czu_\u0000","refresh_token":"r\r\n"}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		resp := &http.Response{StatusCode: status, Header: http.Header{"Date": {"Wed, 26 Nov 2026 12:00:00 GMT"}}}
		tok, err := parseTokenAnswer(resp, []byte(body), fixedNow)
		if err != nil {
			if !noControl(err.Error()) {
				t.Errorf("error carries control characters: %q", err.Error())
			}
			return
		}
		for _, s := range []string{tok.AccessToken, tok.RefreshToken} {
			if coze.CheckToken("token", s) != nil {
				t.Errorf("kept a token that is not printable ASCII or too long: %q", s)
			}
		}
		if tok.AccessToken == "" || !tok.Expiry.After(fixedNow) || tok.Expiry.Sub(fixedNow) > longestAccessLife {
			t.Errorf("implausible token kept: %+v", tok)
		}
	})
}

func FuzzParseDeviceAnswer(f *testing.F) {
	f.Add(`{"device_code":"dc","user_code":"WDJB-MJHT","verification_uri":"https://www.coze.com/device","expires_in":300,"interval":5}`)
	f.Add(`{"device_code":"dc","user_code":12345678,"verification_uri":"https://www.coze.com/device"}`)
	f.Add(`{"device_code":"dc","user_code":"\u001b]52;c;x\u0007","verification_uri":"https://x/\u001b[2J"}`)
	f.Fuzz(func(t *testing.T, body string) {
		resp := &http.Response{StatusCode: 200, Header: http.Header{}}
		da, err := parseDeviceAnswer(resp, []byte(body), fixedNow)
		if err != nil {
			return
		}
		if !noControl(da.UserCode) || !noControl(da.VerificationURI) || !noControl(da.VerificationURL()) {
			t.Errorf("device answer printed raw: %q %q", da.UserCode, da.VerificationURI)
		}
		if da.Interval <= 0 || !da.ExpiresAt.After(fixedNow) {
			t.Errorf("device answer with no interval or expiry: %+v", da)
		}
	})
}

func FuzzDecodeTokens(f *testing.F) {
	f.Add(`{"profiles":{"default":{"access_token":"czu_a","refresh_token":"r","expiry":"2026-11-26T12:15:00Z","issued_at":"2026-11-26T12:00:00Z","api_base":"https://api.coze.com","client_id":"1.app.coze"}}}`)
	f.Add(`{"profiles":{"a":null,"b":{"failure":{"at":"2026-11-26T12:00:00Z","refused":true,"reason":"x"}}}}`)
	f.Add(`{"profiles":[]}`)
	f.Fuzz(func(t *testing.T, data string) {
		tf, err := decodeTokens([]byte(data))
		if err != nil {
			return
		}
		for name, r := range tf.Profiles {
			if r == nil {
				t.Fatalf("profile %q decoded to nil", name)
			}
			_ = r.LoggedIn(fixedNow) // must not panic on any record
		}
		again, err := json.Marshal(tf)
		if err != nil {
			t.Fatalf("could not encode what was decoded: %v", err)
		}
		tf2, err := decodeTokens(again)
		if err != nil || !reflect.DeepEqual(tf, tf2) {
			t.Errorf("round trip changed the store: %v", err)
		}
	})
}
