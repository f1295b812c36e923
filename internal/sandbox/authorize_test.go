package sandbox

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// authorizeQuery is a valid PKCE request; tests change one thing at a time.
func authorizeQuery() url.Values {
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {PKCEClientID},
		"redirect_uri":          {testRedirect},
		"state":                 {"st"},
		"code_challenge":        {rfcChallenge},
		"code_challenge_method": {"S256"},
	}
}

func TestAuthorizeValidation(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		name     string
		change   func(q url.Values)
		want     int
		wantText string // on the error page
	}{
		{"valid PKCE", func(url.Values) {}, http.StatusFound, ""},
		{"plain is the default method", func(q url.Values) { q.Del("code_challenge_method") }, http.StatusFound, ""},
		{"web app without PKCE", func(q url.Values) {
			q.Set("client_id", WebClientID)
			q.Del("code_challenge")
			q.Del("code_challenge_method")
		}, http.StatusFound, ""},
		{"any loopback port", func(q url.Values) { q.Set("redirect_uri", "http://localhost:51234/cb?x=1") }, http.StatusFound, ""},
		{"wrong response_type", func(q url.Values) { q.Set("response_type", "token") }, http.StatusBadRequest, "response_type"},
		{"unknown client", func(q url.Values) { q.Set("client_id", "1.app.coze") }, http.StatusBadRequest, "client_id"},
		{"no redirect_uri", func(q url.Values) { q.Del("redirect_uri") }, http.StatusBadRequest, "redirect_uri"},
		{"relative redirect_uri", func(q url.Values) { q.Set("redirect_uri", "/callback") }, http.StatusBadRequest, "redirect_uri"},
		{"custom scheme redirect_uri", func(q url.Values) { q.Set("redirect_uri", "myapp://cb") }, http.StatusBadRequest, "redirect_uri"},
		{"no state", func(q url.Values) { q.Del("state") }, http.StatusBadRequest, "state"},
		{"PKCE app without challenge", func(q url.Values) {
			q.Del("code_challenge")
			q.Del("code_challenge_method")
		}, http.StatusBadRequest, "code_challenge"},
		{"unknown method", func(q url.Values) { q.Set("code_challenge_method", "S512") }, http.StatusBadRequest, "code_challenge_method"},
		{"method without challenge", func(q url.Values) {
			q.Set("client_id", WebClientID)
			q.Del("code_challenge")
		}, http.StatusBadRequest, "code_challenge_method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := authorizeQuery()
			tt.change(q)
			resp, body := e.do(http.MethodGet, authorizePath+"?"+q.Encode(), "", "", "")
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.want, body)
			}
			if tt.want == http.StatusFound {
				if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, consentPath+"?req=") {
					t.Errorf("Location = %q, want the consent page", loc)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want an HTML page", ct)
			}
			if !strings.Contains(body, tt.wantText) {
				t.Errorf("error page does not mention %q:\n%s", tt.wantText, body)
			}
		})
	}
}

func TestIsAuthorizePath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{authorizePath, true},
		{"/api/permission/oauth2/workspace_id/7480000000000000001/authorize", true},
		{"/api/permission/oauth2/workspace_id//authorize", false},
		{"/api/permission/oauth2/workspace_id/a/b/authorize", false},
		{"/api/permission/oauth2/token", false},
		{"/", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := isAuthorizePath(tt.path); got != tt.want {
				t.Errorf("isAuthorizePath(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

// consent opens the authorize URL and returns the consent page's request id.
func (e *env) consent(q url.Values, path string) string {
	e.t.Helper()
	resp, body := e.do(http.MethodGet, path+"?"+q.Encode(), "", "", "")
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("authorize = %d: %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return loc.Query().Get("req")
}

func TestConsentPage(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.consent(authorizeQuery(), "/api/permission/oauth2/workspace_id/7480000000000000001/authorize")
	resp, body := e.do(http.MethodGet, consentPath+"?req="+id, "", "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("consent page = %d: %s", resp.StatusCode, body)
	}
	for _, want := range []string{
		"Sandbox PKCE App",
		"Sandbox User",
		`<form method="post" action="/sandbox/consent">`,
		`<input type="hidden" name="req" value="` + id + `">`,
		`name="action" value="approve"`,
		`name="action" value="deny"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("consent page lacks %q:\n%s", want, body)
		}
	}

	resp, _ = e.do(http.MethodGet, consentPath+"?req=nope", "", "", "")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown consent request = %d, want 400", resp.StatusCode)
	}
}

func TestConsentAnswer(t *testing.T) {
	tests := []struct {
		name   string
		action string
		want   url.Values // the callback's query, with any code replaced by "CODE"
	}{
		{"approve", "approve", url.Values{"code": {"CODE"}, "state": {"s t&=ü"}, "keep": {"1"}}},
		{"deny", "deny", url.Values{
			"error":             {"access_denied"},
			"error_description": {"the user denied the authorization request"},
			"state":             {"s t&=ü"},
			"keep":              {"1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			q := authorizeQuery()
			q.Set("state", "s t&=ü") // must come back escaped and intact
			q.Set("redirect_uri", "http://127.0.0.1:38080/callback?keep=1")
			id := e.consent(q, authorizePath)
			form := url.Values{"req": {id}, "action": {tt.action}}.Encode()
			resp, body := e.do(http.MethodPost, consentPath, "application/x-www-form-urlencoded", "", form)
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("consent POST = %d: %s", resp.StatusCode, body)
			}
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != "http://127.0.0.1:38080/callback" {
				t.Errorf("redirected to %s, want the redirect_uri", got)
			}
			got := loc.Query()
			if got.Get("code") != "" {
				got.Set("code", "CODE")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("callback query (-want +got):\n%s", diff)
			}

			// A consent page is answered once.
			resp, _ = e.do(http.MethodPost, consentPath, "application/x-www-form-urlencoded", "", form)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("second answer = %d, want 400", resp.StatusCode)
			}
		})
	}
}

func TestConsentBadForm(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.consent(authorizeQuery(), authorizePath)
	resp, _ := e.do(http.MethodPost, consentPath, "application/x-www-form-urlencoded", "", "action=maybe&req="+id)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown action = %d, want 400", resp.StatusCode)
	}
	// A bad action must not use up the request.
	resp, _ = e.do(http.MethodPost, consentPath, "application/x-www-form-urlencoded", "", "action=approve&req="+id)
	if resp.StatusCode != http.StatusFound {
		t.Errorf("approve after a bad action = %d, want 302", resp.StatusCode)
	}
}

func TestConsentExpires(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.consent(authorizeQuery(), authorizePath)
	e.clock.Add(codeTTL)
	resp, _ := e.do(http.MethodPost, consentPath, "application/x-www-form-urlencoded", "", "action=approve&req="+id)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("approve after expiry = %d, want 400", resp.StatusCode)
	}
}

func TestApprove(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		name    string
		url     string
		wantErr string
	}{
		{"authorize URL", e.url + authorizePath + "?" + authorizeQuery().Encode(), ""},
		{"workspace URL", e.url + "/api/permission/oauth2/workspace_id/1/authorize?" + authorizeQuery().Encode(), ""},
		{"not an authorize path", e.url + "/v1/users/me?" + authorizeQuery().Encode(), "not a coze authorize url"},
		{"invalid request", e.url + authorizePath + "?state=x", "response_type"},
		{"unparsable", "http://[::1", "could not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.s.Approve(tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Approve() error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			if u.Query().Get("code") == "" || u.Query().Get("state") != "st" {
				t.Errorf("Approve() = %q, want code and state=st", got)
			}
			if !strings.HasPrefix(got, testRedirect+"?") {
				t.Errorf("Approve() = %q, want it to start with %s?", got, testRedirect)
			}
		})
	}
}
