package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

// Every call of the Client, token calls and the user check alike, names
// cozeauth in both headers.
func TestClientSendsBothUserAgents(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.UserAgent()+" "+r.Header.Get(coze.ClientUserAgentHeader))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid_request","error_code":"invalid_request","error_message":"x"}`))
	}))
	t.Cleanup(srv.Close)
	c := &Client{HTTP: srv.Client(), APIBase: srv.URL, ClientID: "1.app.coze", UserAgent: "cozeauth/9.9"}
	c.Refresh(context.Background(), "r")
	c.Me(context.Background(), "czu_x")
	want := "cozeauth/9.9 " + coze.ClientUserAgent("cozeauth/9.9")
	if len(seen) != 2 || seen[0] != want || seen[1] != want {
		t.Errorf("headers seen %q, want %q on both calls", seen, want)
	}
	// A header the caller set (a -H of `cozeauth api`) is kept.
	h := http.Header{}
	h.Set(coze.ClientUserAgentHeader, "mine")
	coze.SetUserAgent(h, "cozeauth/1")
	if h.Get(coze.ClientUserAgentHeader) != "mine" || h.Get("User-Agent") != "cozeauth/1" {
		t.Errorf("SetUserAgent overrode a header already set: %v", h)
	}
}
