package oauthconfig

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name         string
		json         string
		wantMissing  string // the field a usage error names
		wantWarnings []string
	}{
		{"pkce", `{"client_type":"pkce","client_id":"1.app.coze","coze_api_base":"https://api.coze.cn"}`, "", nil},
		{"web", `{"client_type":"web","client_id":"2.app.coze","client_secret":"s"}`, "", nil},
		{"jwt", `{"client_type":"jwt","client_id":"3","private_key":"PEM","public_key_id":"kid"}`, "", nil},
		{"no client_id", `{"client_type":"pkce"}`, "client_id", nil},
		{"no client_type", `{"client_id":"1.app.coze"}`, "client_type", nil},
		{"web without secret", `{"client_type":"web","client_id":"2.app.coze"}`, "client_secret", nil},
		{"jwt without key", `{"client_type":"jwt","client_id":"3","public_key_id":"kid"}`, "private_key", nil},
		{"jwt without kid", `{"client_type":"jwt","client_id":"3","private_key":"PEM"}`, "public_key_id", nil},
		{"unknown fields warn", `{"client_type":"device","client_id":"4.app.coze","redirect_uri":"x","zeta":1}`, "",
			[]string{`f.json: ignoring the unknown field "redirect_uri"`, `f.json: ignoring the unknown field "zeta"`}},
		// A field named like a value of a known one is still unknown.
		{"unknown field x", `{"client_type":"pkce","client_id":"1.app.coze","x":1}`, "",
			[]string{`f.json: ignoring the unknown field "x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, warnings, err := Parse("f.json", []byte(tt.json))
			if diff := cmp.Diff(tt.wantWarnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			var ue *auth.UsageError
			if tt.wantMissing == "" {
				if err != nil || c == nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), `"`+tt.wantMissing+`"`) {
				t.Errorf("err = %v, want the missing field %s named", err, tt.wantMissing)
			}
		})
	}
	if _, _, err := Parse("f.json", []byte(`{"client_type":"service","client_id":"1"}`)); err == nil {
		t.Error("an unknown client_type was accepted")
	}
}
