package auth

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newTestAuthRequest(t *testing.T, redirect string) *AuthRequest {
	t.Helper()
	req, err := NewAuthRequest(Config{Settings: Settings{ClientID: "1.app.coze", APIBase: "http://api.test", WWWBase: "http://www.test"}}, redirect)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func listen(t *testing.T) *CallbackServer {
	t.Helper()
	cs, err := ListenCallback("http://127.0.0.1:0/callback")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// visit is the browser coming back to the redirect URI.
func visit(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Errorf("GET %s: %v", u, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCallbackIgnoresWrongStateThenAcceptsRightOne(t *testing.T) {
	cs := listen(t)
	req := newTestAuthRequest(t, cs.RedirectURI())
	type result struct {
		code string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := cs.Wait(context.Background(), req)
		done <- result{code, err}
	}()

	for _, q := range []string{"code=x&state=wrong", "code=x", ""} {
		status, body := visit(t, cs.RedirectURI()+"?"+q)
		if status != http.StatusBadRequest || !strings.Contains(body, "state") {
			t.Errorf("callback %q: status %d, want 400 naming the state", q, status)
		}
	}
	select {
	case r := <-done:
		t.Fatalf("Wait returned %v after a wrong state; it should keep waiting", r)
	default:
	}
	page := make(chan string, 1)
	go func() {
		_, body := visit(t, cs.RedirectURI()+"?code=good&state="+url.QueryEscape(req.State))
		page <- body
	}()
	if r := <-done; r.err != nil || r.code != "good" {
		t.Errorf("Wait = %q, %v; want good", r.code, r.err)
	}
	cs.Answer(nil, " for Sandbox coze.User")
	if body := <-page; !strings.Contains(body, "Logged in") || !strings.Contains(body, "saved the login for Sandbox coze.User") {
		t.Errorf("good callback after a login that worked: %q", body)
	}
}

// The page the code came back to says "Logged in" only once the terminal
// says the login worked; a failed exchange shows the failure, and a login
// stopped in the terminal says so.
func TestCallbackPageWaitsForTheOutcome(t *testing.T) {
	for _, tt := range []struct {
		name   string
		answer func(*CallbackServer)
		want   []string
	}{
		{"exchange refused", func(cs *CallbackServer) {
			cs.Answer(errors.New("invalid request: redirect_uri <must> match"), "")
		}, []string{"Login failed", "did not finish", "invalid request: redirect_uri &lt;must&gt; match", "Return to the terminal"}},
		{"stopped", func(cs *CallbackServer) { cs.Close() }, []string{"Login failed", "stopped in the terminal"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cs := listen(t)
			req := newTestAuthRequest(t, cs.RedirectURI())
			page := make(chan string, 1)
			go func() {
				_, body := visit(t, cs.RedirectURI()+"?code=c&state="+url.QueryEscape(req.State))
				page <- body
			}()
			if _, err := cs.Wait(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			select {
			case body := <-page:
				t.Fatalf("the page answered before the login ended: %q", body)
			case <-time.After(50 * time.Millisecond):
			}
			tt.answer(cs)
			body := <-page
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q: %q", w, body)
				}
			}
			if strings.Contains(body, "Logged in") {
				t.Errorf("the page says Logged in: %q", body)
			}
		})
	}
}

func TestCallbackErrorEndsLogin(t *testing.T) {
	cs := listen(t)
	req := newTestAuthRequest(t, cs.RedirectURI())
	go visit(t, cs.RedirectURI()+"?error=access_denied&error_description=user+said+no&state="+url.QueryEscape(req.State))
	_, err := cs.Wait(context.Background(), req)
	var ce *ConsentError
	if !errors.As(err, &ce) || ce.Code != "access_denied" || ce.Description != "user said no" {
		t.Fatalf("Wait error = %v, want ConsentError access_denied: user said no", err)
	}
}

func TestCallbackTimeout(t *testing.T) {
	cs := listen(t)
	req := newTestAuthRequest(t, cs.RedirectURI())
	ctx, cancel := context.WithDeadline(context.Background(), time.Now()) // already past: no real waiting
	defer cancel()
	_, err := cs.Wait(ctx, req)
	if err == nil || !strings.Contains(err.Error(), "timed out") || !strings.Contains(err.Error(), "--paste") {
		t.Fatalf("error = %v, want a timeout that says what to do", err)
	}
}

func TestCallbackBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = ListenCallback("http://127.0.0.1:" + strconv.Itoa(port) + "/callback")
	var busy *BusyPortError
	if !errors.As(err, &busy) || busy.Port != strconv.Itoa(port) {
		t.Fatalf("error = %v, want BusyPortError naming port %d", err, port)
	}
	if !strings.Contains(err.Error(), "--redirect-uri") {
		t.Errorf("error %q should say how to use another port", err)
	}
}

func TestCallbackListensOnLoopbackOnly(t *testing.T) {
	for _, uri := range []string{"http://example.com:8080/cb", "http://0.0.0.0:8080/cb", "ftp://localhost/cb", "http://localhost:99999/cb"} {
		if _, err := ListenCallback(uri); err == nil {
			t.Errorf("ListenCallback(%q) succeeded; want a clear error", uri)
		}
	}
}

func TestCallbackLocalhostPortZeroGetsARealPort(t *testing.T) {
	cs, err := ListenCallback("http://localhost:0/callback")
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	u, _ := url.Parse(cs.RedirectURI())
	if u.Port() == "0" || u.Port() == "" || u.Hostname() != "localhost" || u.Path != "/callback" {
		t.Fatalf("RedirectURI = %s, want localhost with a real port", cs.RedirectURI())
	}
}

// A page that rebinds its own name to 127.0.0.1 reaches the listener with
// its own Host: the listener answers nothing but its redirect URI's
// host:port, and such a request never reaches the login.
func TestCallbackRefusesOtherHosts(t *testing.T) {
	cs, err := ListenCallback("http://localhost:0/callback")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	u, _ := url.Parse(cs.RedirectURI())
	req := newTestAuthRequest(t, cs.RedirectURI())
	query := "/callback?code=c&state=" + url.QueryEscape(req.State)
	for _, host := range []string{"evil.example:" + u.Port(), "127.0.0.1:" + u.Port(), "localhost", "localhost:1" + u.Port()} {
		r, _ := http.NewRequest("GET", "http://127.0.0.1:"+u.Port()+query, nil)
		r.Host = host
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("Host %q: status %d, want %d", host, resp.StatusCode, http.StatusMisdirectedRequest)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if code, err := cs.Wait(ctx, req); err == nil {
		t.Fatalf("a request with another Host reached the login (code %q)", code)
	}
	// The redirect URI's own host:port, as the browser sends it, is answered.
	r, _ := http.NewRequest("GET", "http://127.0.0.1:"+u.Port()+query, nil)
	r.Host = "LocalHost:" + u.Port()
	done := make(chan string, 1)
	go func() { code, _ := cs.Wait(context.Background(), req); cs.Answer(nil, ""); done <- code }()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code := <-done; resp.StatusCode != http.StatusOK || code != "c" {
		t.Errorf("own host: status %d, code %q; want 200 and the code", resp.StatusCode, code)
	}
}
