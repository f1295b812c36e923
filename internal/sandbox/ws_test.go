package sandbox

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/probe"
)

// wsHandshake sends a WebSocket handshake for path with extra headers over
// a raw connection and returns the answer and a reader for what follows.
func (e *env) wsHandshake(path string, header map[string]string) (*http.Response, *bufio.Reader) {
	e.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	req := "GET " + path + " HTTP/1.1\r\nHost: ws.sandbox\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
	for k, v := range header {
		req += k + ": " + v + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		e.t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, br
}

// readFrame reads one unmasked frame: its opcode and payload.
func readFrame(t *testing.T, r *bufio.Reader) (byte, []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatal(err)
	}
	if h[1]&0x80 != 0 {
		t.Fatal("the server masked a frame")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		io.ReadFull(r, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		io.ReadFull(r, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		t.Fatal(err)
	}
	return h[0] & 0x0f, p
}

func TestWSChat(t *testing.T) {
	e := newEnv(t, Options{})
	access, _ := e.login()
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	good := map[string]string{"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": key, "Authorization": "Bearer " + access}

	t.Run("without a token: 401 and code 4100", func(t *testing.T) {
		resp, _ := e.wsHandshake("/v1/chat?bot_id=1", map[string]string{"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": key})
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `"code":4100`) {
			t.Errorf("got %d %s, want 401 with code 4100", resp.StatusCode, body)
		}
	})
	t.Run("bad key: 400", func(t *testing.T) {
		resp, _ := e.wsHandshake("/v1/chat?bot_id=1", map[string]string{"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "short", "Authorization": "Bearer " + access})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
	for _, tt := range []struct {
		name, path, event string
		header            map[string]string
	}{
		{"with a token: upgrades and says chat.created", "/v1/chat?bot_id=7340000000000000000", "chat.created", good},
		{"token in the query, as browsers send it", "/v1/chat?bot_id=1&authorization=Bearer+" + access, "chat.created",
			map[string]string{"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": key}},
		{"without bot_id: an error event", "/v1/chat", "error", good},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, br := e.wsHandshake(tt.path, tt.header)
			// RFC 6455's own example key and accept.
			if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
				t.Fatalf("status %d accept %q", resp.StatusCode, resp.Header.Get("Sec-WebSocket-Accept"))
			}
			op, payload := readFrame(t, br)
			var ev struct {
				EventType string `json:"event_type"`
				Detail    struct {
					LogID string `json:"logid"`
				} `json:"detail"`
			}
			if err := json.Unmarshal(payload, &ev); op != 0x1 || err != nil || ev.EventType != tt.event || ev.Detail.LogID == "" {
				t.Errorf("first frame op %x %s, want a text %s event with a log id", op, payload, tt.event)
			}
			if op, payload := readFrame(t, br); op != 0x8 || string(payload) != "\x03\xe8" {
				t.Errorf("second frame op %x %q, want a normal close", op, payload)
			}
		})
	}
}

func TestCurrentPaths(t *testing.T) {
	e := newEnv(t, Options{})
	access, _ := e.login()
	bearer := "Bearer " + access
	tests := []struct {
		name, method, path, auth, body string
		want                           int
		has                            string
	}{
		{"workflow run without a token", "POST", "/v1/workflow/run", "", `{"workflow_id":"1"}`, 401, `"code":4100`},
		{"workflow run", "POST", "/v1/workflow/run", bearer, `{"workflow_id":"7350000000000000000","parameters":{"x":1}}`, 200, `"execute_id":"`},
		{"workflow run without an id", "POST", "/v1/workflow/run", bearer, `{}`, 200, `"msg":"workflow_id is required"`},
		{"workspaces without a token", "GET", "/v1/workspaces?page_num=1&page_size=1", "", "", 401, `"code":4100`},
		{"workspaces", "GET", "/v1/workspaces?page_num=1&page_size=1", bearer, "", 200, `"workspace_type":"personal"`},
		{"the seed's workflows/run without a token", "POST", "/v1/workflows/run", "", "{}", 401, `"code":4100`},
		{"the seed's workflows/run is no route", "POST", "/v1/workflows/run", bearer, "{}", 404, `"code":4004`},
		{"v1/chat without a handshake", "GET", "/v1/chat", bearer, "", 404, `"code":4004`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(tt.method, tt.path, "application/json", tt.auth, tt.body)
			if resp.StatusCode != tt.want || !strings.Contains(body, tt.has) {
				t.Errorf("got %d %s, want %d with %s", resp.StatusCode, body, tt.want, tt.has)
			}
		})
	}
}

// TestProbeAgrees runs the real probe against the sandbox: every target of
// every group answers as it would from Coze.
func TestProbeAgrees(t *testing.T) {
	e := newEnv(t, Options{})
	access, _ := e.login()
	p := &probe.Prober{Now: e.clock.Now}
	rep := p.Run(t.Context(), probe.Targets(e.url, e.url, access))
	var got []string
	for _, r := range rep.Targets {
		got = append(got, r.Name+" "+http.StatusText(r.Status)+" "+string(r.Class))
	}
	want := []string{
		"v3_chat Unauthorized auth_required",
		"workflow_run Unauthorized auth_required",
		"oauth_token Bad Request answered",
		"oauth_authorize Bad Request answered",
		"ws_chat Unauthorized auth_required",
		"users_me OK ok",
		"open_api_v2_chat OK ok",
		"workflows_run Unauthorized auth_required",
		"www OK ok",
		"v1_chat Not Found not_found",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("probe of the sandbox (-want +got):\n%s", diff)
	}
	if rep.Verdict != probe.VerdictReachable || !rep.HasSkew || rep.Skew != 0 {
		t.Errorf("verdict %q skew %v (%v), want reachable with no skew", rep.Verdict, rep.Skew, rep.HasSkew)
	}
}
