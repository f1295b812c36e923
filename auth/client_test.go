package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/coze"
)

var fixedNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// tokenServer answers the token endpoint with status and body, recording the
// request it got.
func tokenServer(t *testing.T, status int, body string, got *recorded) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got != nil {
			got.path = r.URL.Path
			got.contentType = r.Header.Get("Content-Type")
			got.authorization = r.Header.Get("Authorization")
			data, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(data, &got.body)
		}
		w.Header().Set("X-Tt-Logid", "20261126LOGID")
		w.Header().Set("Date", fixedNow.Format(http.TimeFormat))
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type recorded struct {
	path, contentType, authorization string
	body                             map[string]string
}

func TestClientExchange(t *testing.T) {
	tests := []struct {
		name      string
		secret    string
		verifier  string
		wantBody  map[string]string
		wantAuthz string
	}{
		{
			name:     "pkce sends the verifier and no secret",
			verifier: "v3rifier",
			wantBody: map[string]string{"grant_type": "authorization_code", "code": "c0de", "client_id": "1.app.coze", "redirect_uri": "http://localhost:8080/callback", "code_verifier": "v3rifier"},
		},
		{
			name:      "web app sends the secret as a bearer header and no verifier",
			secret:    "s3cret",
			wantBody:  map[string]string{"grant_type": "authorization_code", "code": "c0de", "client_id": "1.app.coze", "redirect_uri": "http://localhost:8080/callback"},
			wantAuthz: "Bearer s3cret",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got recorded
			exp := fixedNow.Add(15 * time.Minute).Unix()
			srv := tokenServer(t, 200, `{"access_token":"czu_a","expires_in":`+jsonInt(exp)+`,"refresh_token":"r1"}`, &got)
			c := &Client{HTTP: srv.Client(), APIBase: srv.URL, ClientID: "1.app.coze", ClientSecret: tt.secret, Now: func() time.Time { return fixedNow }}
			tok, err := c.Exchange(context.Background(), "c0de", "http://localhost:8080/callback", tt.verifier)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantBody, got.body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if got.path != TokenPath || got.contentType != "application/json" || got.authorization != tt.wantAuthz {
				t.Errorf("request = %s %q %q, want %s application/json %q", got.path, got.contentType, got.authorization, TokenPath, tt.wantAuthz)
			}
			want := &Token{AccessToken: "czu_a", RefreshToken: "r1", Expiry: time.Unix(exp, 0), RefreshExpiry: fixedNow.Add(RefreshTokenLifetime), IssuedAt: fixedNow}
			if diff := cmp.Diff(want, tok); diff != "" {
				t.Errorf("token (-want +got):\n%s", diff)
			}
		})
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestClientExpiresIn(t *testing.T) {
	in15 := fixedNow.Add(15 * time.Minute)
	tests := []struct {
		name      string
		expiresIn string // raw JSON; empty means absent
		want      time.Time
	}{
		{"unix timestamp", jsonInt(in15.Unix()), in15},
		{"a timestamp as a string", `"` + jsonInt(in15.Unix()) + `"`, in15},
		{"a small number is read as a duration", "900", fixedNow.Add(900 * time.Second)},
		{"absent means 15 minutes", "", in15},
		{"NaN means 15 minutes", `"NaN"`, in15},
		{"Infinity means 15 minutes", `"Infinity"`, in15},
		{"beyond year 9999 means 15 minutes", "1e13", in15},
		{"months ahead means 15 minutes", jsonInt(fixedNow.Add(90 * 24 * time.Hour).Unix()), in15},
		{"in the past means 15 minutes", jsonInt(fixedNow.Add(-time.Hour).Unix()), in15},
		{"not a number means 15 minutes", `{"x":1}`, in15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"access_token":"czu_a","refresh_token":"r","expires_in":` + tt.expiresIn + `}`
			if tt.expiresIn == "" {
				body = `{"access_token":"czu_a","refresh_token":"r"}`
			}
			srv := tokenServer(t, 200, body, nil)
			c := &Client{HTTP: srv.Client(), APIBase: srv.URL, ClientID: "1.app.coze", Now: func() time.Time { return fixedNow }}
			tok, err := c.Refresh(context.Background(), "r0")
			if err != nil {
				t.Fatal(err)
			}
			if !tok.Expiry.Equal(tt.want) || tok.RefreshToken != "r" {
				t.Errorf("expiry = %v, refresh %q; want %v and the refresh token kept", tok.Expiry, tok.RefreshToken, tt.want)
			}
		})
	}
}

func TestClientRefreshRotates(t *testing.T) {
	var got recorded
	srv := tokenServer(t, 200, `{"access_token":"czu_b","expires_in":1795000000,"refresh_token":"r2"}`, &got)
	c := &Client{HTTP: srv.Client(), APIBase: srv.URL, ClientID: "1.app.coze", ClientSecret: "s", Now: func() time.Time { return fixedNow }}
	tok, err := c.Refresh(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"grant_type": "refresh_token", "refresh_token": "r1", "client_id": "1.app.coze"}, got.body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if tok.RefreshToken != "r2" || got.authorization != "Bearer s" {
		t.Errorf("refresh token %q, authorization %q; want r2 and the secret", tok.RefreshToken, got.authorization)
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   *OAuthError
	}{
		{"error_code first", 400, `{"error":"invalid_request","error_code":"invalid_request","error_message":"invalid request: redirect_uri"}`,
			&OAuthError{StatusCode: 400, Code: "invalid_request", Message: "invalid request: redirect_uri", LogID: "20261126LOGID"}},
		{"error and description (device polling)", 400, `{"error":"authorization_pending","error_description":"waiting"}`,
			&OAuthError{StatusCode: 400, Code: "authorization_pending", Message: "waiting", LogID: "20261126LOGID"}},
		{"invalid client", 401, `{"error":"invalid_client","error_code":"invalid_client","error_message":"bad secret"}`,
			&OAuthError{StatusCode: 401, Code: "invalid_client", Message: "bad secret", LogID: "20261126LOGID"}},
		{"server error with an html body", 502, `<html>bad gateway</html>`,
			&OAuthError{StatusCode: 502, LogID: "20261126LOGID"}},
		{"200 with an error body", 200, `{"error_code":"access_deny","error_message":"denied"}`,
			&OAuthError{StatusCode: 200, Code: "access_deny", Message: "denied", LogID: "20261126LOGID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tokenServer(t, tt.status, tt.body, nil)
			c := &Client{HTTP: srv.Client(), APIBase: srv.URL, ClientID: "1.app.coze"}
			_, err := c.Refresh(context.Background(), "r")
			var oe *OAuthError
			if !errors.As(err, &oe) {
				t.Fatalf("error %v is not an *OAuthError", err)
			}
			if diff := cmp.Diff(tt.want, oe); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestClientMe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer good" {
			w.Header().Set("X-Tt-Logid", "L1")
			w.WriteHeader(401)
			io.WriteString(w, `{"code":4100,"msg":"authentication is invalid"}`)
			return
		}
		io.WriteString(w, `{"code":0,"msg":"","data":{"user_id":"7","user_name":"ada","nick_name":"Ada"}}`)
	}))
	t.Cleanup(srv.Close)
	c := &Client{HTTP: srv.Client(), APIBase: srv.URL}
	u, err := c.Me(context.Background(), "good")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&coze.User{UserID: "7", UserName: "ada", NickName: "Ada"}, u); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err = c.Me(context.Background(), "bad")
	var ae *coze.APIError
	if !errors.As(err, &ae) || ae.Code != 4100 || ae.LogID != "L1" {
		t.Fatalf("error = %v, want coze.APIError 4100 with log id", err)
	}
	if ae.Hint() == "" {
		t.Error("4100 should carry a hint about the region")
	}
}

func TestClientCorrectsClockSkew(t *testing.T) {
	cozeNow := fixedNow.Add(20 * time.Minute) // this machine's clock is 20 minutes slow
	tests := []struct {
		name      string
		date      string
		expiresIn int64
		want      time.Time
	}{
		{"expiry moved onto our clock", cozeNow.Format(http.TimeFormat), cozeNow.Add(15 * time.Minute).Unix(), fixedNow.Add(15 * time.Minute)},
		{"a second or two is not corrected", fixedNow.Add(2 * time.Second).Format(http.TimeFormat), fixedNow.Add(15 * time.Minute).Unix(), fixedNow.Add(15 * time.Minute)},
		{"a duration is already on our clock", cozeNow.Format(http.TimeFormat), 900, fixedNow.Add(15 * time.Minute)},
		{"an absurd Date is ignored", "Mon, 01 Jan 1990 00:00:00 GMT", fixedNow.Add(10 * time.Minute).Unix(), fixedNow.Add(10 * time.Minute)},
		{"no Date header", "", fixedNow.Add(10 * time.Minute).Unix(), fixedNow.Add(10 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Date"] = []string{tt.date} // set even when empty: it keeps Go's own Date out
				fmt.Fprintf(w, `{"access_token":"czu_a","refresh_token":"r","expires_in":%d}`, tt.expiresIn)
			}))
			t.Cleanup(srv.Close)
			c := &Client{HTTP: srv.Client(), APIBase: srv.URL, ClientID: "1.app.coze", Now: func() time.Time { return fixedNow }}
			tok, err := c.Refresh(context.Background(), "r0")
			if err != nil {
				t.Fatal(err)
			}
			if !tok.Expiry.Equal(tt.want) {
				t.Errorf("expiry = %v, want %v", tok.Expiry, tt.want)
			}
		})
	}
}
