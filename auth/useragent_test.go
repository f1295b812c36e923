package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClientUserAgent(t *testing.T) {
	var got map[string]string
	if err := json.Unmarshal([]byte(ClientUserAgent("cozeauth/1.2.0")), &got); err != nil {
		t.Fatal(err)
	}
	osVersion := got["os_version"]
	delete(got, "os_version")
	want := map[string]string{"version": "1.2.0", "lang": "go", "lang_version": strings.TrimPrefix(runtime.Version(), "go"), "os_name": runtime.GOOS}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("X-Coze-Client-User-Agent (-want +got):\n%s", diff)
	}
	if runtime.GOOS == "linux" && osVersion == "" {
		t.Error("os_version is empty on Linux, where uname knows it")
	}
}

// Every call of the Client, token calls and the user check alike, names
// cozeauth in both headers.
func TestClientSendsBothUserAgents(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.UserAgent()+" "+r.Header.Get(ClientUserAgentHeader))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid_request","error_code":"invalid_request","error_message":"x"}`))
	}))
	t.Cleanup(srv.Close)
	c := &Client{HTTP: srv.Client(), APIBase: srv.URL, ClientID: "1.app.coze", UserAgent: "cozeauth/9.9"}
	c.Refresh(context.Background(), "r")
	c.Me(context.Background(), "czu_x")
	want := "cozeauth/9.9 " + ClientUserAgent("cozeauth/9.9")
	if len(seen) != 2 || seen[0] != want || seen[1] != want {
		t.Errorf("headers seen %q, want %q on both calls", seen, want)
	}
	// A header the caller set (a -H of `cozeauth api`) is kept.
	h := http.Header{}
	h.Set(ClientUserAgentHeader, "mine")
	SetUserAgent(h, "cozeauth/1")
	if h.Get(ClientUserAgentHeader) != "mine" || h.Get("User-Agent") != "cozeauth/1" {
		t.Errorf("SetUserAgent overrode a header already set: %v", h)
	}
}
