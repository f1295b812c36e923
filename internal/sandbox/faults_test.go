package sandbox

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

func postToken(t *testing.T, c *http.Client, base, body string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Post(base+tokenPath, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestFaults(t *testing.T) {
	s := New(Options{})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	s.SetFaults(Faults{RedirectTo: "http://elsewhere.test/token"})
	if resp, _ := postToken(t, noFollow, srv.URL, `{}`); resp.StatusCode != 307 || resp.Header.Get("Location") != "http://elsewhere.test/token" {
		t.Errorf("redirect fault: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	s.SetFaults(Faults{Status: 503, Message: "busy \x1b[2J", RetryAfter: "2", Times: 1})
	resp, body := postToken(t, noFollow, srv.URL, `{}`)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" || !strings.Contains(body, `\u001b[2J`) {
		t.Errorf("status fault: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if resp, _ := postToken(t, noFollow, srv.URL, `{}`); resp.StatusCode != 400 { // spent: the real endpoint's answer to {}
		t.Errorf("after Times the endpoint answered %d, want its own 400", resp.StatusCode)
	}

	s.SetFaults(Faults{RefuseRefresh: true})
	if resp, body := postToken(t, noFollow, srv.URL, `{"grant_type":"refresh_token","refresh_token":"x","client_id":"`+PKCEClientID+`"}`); resp.StatusCode != 400 || !strings.Contains(body, "refresh_token") {
		t.Errorf("refuse fault: %d %s", resp.StatusCode, body)
	}

	s.SetFaults(Faults{Hold: true})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+tokenPath, strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	done := make(chan int)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for s.FaultStats().Held == 0 { // the request is in
		select {
		case code := <-done:
			t.Fatalf("a held request was answered %d", code)
		default:
		}
		runtime.Gosched()
	}
	s.SetFaults(Faults{}) // lifting the fault answers it as usual
	if code := <-done; code != 400 {
		t.Errorf("released request answered %d, want the endpoint's own 400", code)
	}
	cancel()
	if st := s.FaultStats(); st.TokenRequests != 5 || st.Held != 0 {
		t.Errorf("stats %+v, want 5 token requests and none held", st)
	}
}
