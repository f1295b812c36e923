package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestConsentHostFollowsAPIBase(t *testing.T) {
	tests := []struct {
		name  string
		saved Settings
		o     Overrides
		want  string
	}{
		{"no base: the region's", Settings{}, Overrides{Region: "cn"}, "https://www.coze.cn"},
		{"cn api base given, no region", Settings{}, Overrides{APIBase: "https://api.coze.cn"}, "https://www.coze.cn"},
		{"cn api base saved", Settings{APIBase: "https://api.coze.cn"}, Overrides{}, "https://www.coze.cn"},
		{"--www-base wins", Settings{}, Overrides{APIBase: "https://api.coze.cn", WWWBase: "https://web.example"}, "https://web.example"},
		{"saved www base of the same api base", Settings{APIBase: "https://api.coze.cn", WWWBase: "https://web.example"}, Overrides{}, "https://web.example"},
		{"saved www base of another api base", Settings{APIBase: "https://api.coze.com", WWWBase: "https://www.coze.com"}, Overrides{APIBase: "https://api.coze.cn"}, "https://www.coze.cn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStore(t.TempDir())
			tt.saved.ClientID = "1.app.coze"
			if err := s.SaveSettings("default", tt.saved); err != nil {
				t.Fatal(err)
			}
			cfg, _, err := s.Resolve(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.WWW(); got != tt.want {
				t.Errorf("consent host = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckPasteRedirect(t *testing.T) {
	for _, ok := range []string{"https://bots.example.com/oauth/callback", "http://example.com:8080/cb", DefaultRedirectURI, "https://bots.example.com/cb?x=1"} {
		if err := CheckPasteRedirect(ok); err != nil {
			t.Errorf("CheckPasteRedirect(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "bots.example.com/cb", "ftp://example.com/cb", "https://u:p@example.com/cb", "https://example.com/cb#x", "http://localhost:0/cb", "https:///cb"} {
		var re *UsageError
		if err := CheckPasteRedirect(bad); !errors.As(err, &re) {
			t.Errorf("CheckPasteRedirect(%q) = %v, want a *UsageError", bad, err)
		}
	}
	// A listener's URI still must be loopback http, and says how to do without one.
	if err := CheckRegistrable("https://bots.example.com/oauth/callback"); err == nil || !strings.Contains(err.Error(), "or use --paste") {
		t.Errorf("CheckRegistrable(https) = %v, want a refusal pointing at --paste", err)
	}
}
