package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readEvent reads one server-sent event: its event: and data: lines.
func readEvent(t *testing.T, r *bufio.Reader) (name, data string) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before a whole event (name %q): %v", name, err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			return name, data
		case strings.HasPrefix(line, "event:"):
			name = line[len("event:"):]
		case strings.HasPrefix(line, "data:"):
			data = line[len("data:"):]
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
}

// A streamed chat is Coze's events in Coze's order, each sent only when the
// one before it has been let go: the test holds every step until it has
// read the event before, so a sandbox that sent them all at once, or
// buffered them, would not pass.
func TestStreamedChatSendsEventByEvent(t *testing.T) {
	step := make(chan struct{})
	e := newEnv(t, Options{ChatStep: func(ctx context.Context) error {
		select {
		case <-step:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	access, _ := e.login()
	body := `{"bot_id":"7480000000000000001","user_id":"u1","stream":true,"additional_messages":[{"role":"user","content":"hi there","content_type":"text"}]}`
	req, _ := http.NewRequest(http.MethodPost, e.url+"/v3/chat", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+access)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q, want text/event-stream", ct)
	}
	r := bufio.NewReader(resp.Body)
	var names []string
	var reply strings.Builder
	for {
		name, data := readEvent(t, r)
		names = append(names, name)
		if name == "done" {
			if data != `"[DONE]"` {
				t.Errorf("done data = %s, want \"[DONE]\"", data)
			}
			break
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatalf("event %s: data %q is not JSON: %v", name, data, err)
		}
		if name == "conversation.message.delta" {
			reply.WriteString(v["content"].(string))
		}
		if name == "conversation.message.completed" && v["content"] != reply.String() {
			t.Errorf("completed content %q, want the deltas joined, %q", v["content"], reply.String())
		}
		step <- struct{}{} // only now may the next event go
	}
	want := []string{"conversation.chat.created", "conversation.chat.in_progress",
		"conversation.message.delta", "conversation.message.delta", "conversation.message.delta", "conversation.message.delta",
		"conversation.message.completed", "conversation.chat.completed", "done"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if reply.String() != "You said: hi there" {
		t.Errorf("reply = %q, want %q", reply.String(), "You said: hi there")
	}
}

func TestStreamedChatNeedsAToken(t *testing.T) {
	e := newEnv(t, Options{})
	status, body := e.postJSON("/v3/chat", "Bearer nope", map[string]any{"bot_id": "1", "stream": true})
	if status != http.StatusUnauthorized || body["code"] != float64(4100) {
		t.Errorf("= %d %v, want 401 with code 4100", status, body)
	}
}
