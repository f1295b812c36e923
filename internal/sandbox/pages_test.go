package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRenderPages(t *testing.T) {
	s := New(Options{})
	tests := []struct {
		name     string
		template string
		data     any
		contains []string
		absent   []string
	}{
		{"consent", "consent", consentPage{AppName: "App", NickName: NickName, UserName: UserName, RedirectURI: "http://x/cb?a=1&b=2", ReqID: "r1"},
			[]string{"<!DOCTYPE html>", "Authorize App", `value="r1"`, "http://x/cb?a=1&amp;b=2"}, nil},
		{"device asking for a code", "device", devicePage{}, []string{`type="text" name="user_code"`}, []string{`type="hidden"`}},
		{"message escapes", "message", messagePage{Title: "Oops", Message: `<script>alert(1)</script>`},
			[]string{"&lt;script&gt;"}, []string{"<script>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.render(rec, http.StatusTeapot, tt.template, tt.data)
			if rec.Code != http.StatusTeapot {
				t.Errorf("status = %d, want %d", rec.Code, http.StatusTeapot)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			body := rec.Body.String()
			for _, want := range tt.contains {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q:\n%s", want, body)
				}
			}
			for _, bad := range tt.absent {
				if strings.Contains(body, bad) {
					t.Errorf("page contains %q:\n%s", bad, body)
				}
			}
		})
	}
}

func TestRenderUnknownTemplate(t *testing.T) {
	rec := httptest.NewRecorder()
	New(Options{}).render(rec, http.StatusOK, "nope", nil)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}
}
