package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/internal/wait"
)

// POST /v3/chat with "stream": true answers with server-sent events the way
// Coze does (its chat API docs; coze-go's chat stream reader, coze-py's
// ChatEvent, coze-js's chat.stream, which all read "event:" then "data:"
// lines): conversation.chat.created, conversation.chat.in_progress, one
// conversation.message.delta per word of the reply, conversation.message
// .completed with the whole reply, conversation.chat.completed with the
// usage, then done with data "[DONE]". The events are paced apart, so a
// client (or a proxy in between) that buffers the stream shows it.

// defaultChatPace is the wait between two streamed events.
const defaultChatPace = 20 * time.Millisecond

// streamEvent is one server-sent event.
type streamEvent struct {
	name string
	data any
}

// chatStream is the events of one streamed chat, replying to the last user
// message with "You said: …".
func (s *Server) chatStream(req chatRequest, conversationID string) []streamEvent {
	chatID, messageID := randDigits(), randDigits()
	said := "hello"
	for _, m := range req.AdditionalMessages {
		if m.Role == "user" && m.Content != "" {
			said = m.Content
		}
	}
	reply := "You said: " + said
	chat := func(status string) map[string]any {
		c := map[string]any{
			"id": chatID, "conversation_id": conversationID, "bot_id": req.BotID,
			"created_at": s.now().Unix(), "last_error": map[string]any{"code": 0, "msg": ""},
			"status": status, "usage": map[string]int{"token_count": 0, "output_count": 0, "input_count": 0},
		}
		if status == "completed" {
			c["completed_at"] = s.now().Unix()
			n := len(strings.Fields(reply))
			c["usage"] = map[string]int{"token_count": n + len(strings.Fields(said)), "output_count": n, "input_count": len(strings.Fields(said))}
		}
		return c
	}
	message := func(content string) map[string]any {
		return map[string]any{
			"id": messageID, "conversation_id": conversationID, "bot_id": req.BotID, "chat_id": chatID,
			"role": "assistant", "type": "answer", "content": content, "content_type": "text",
		}
	}
	events := []streamEvent{
		{"conversation.chat.created", chat("created")},
		{"conversation.chat.in_progress", chat("in_progress")},
	}
	words := strings.SplitAfter(reply, " ")
	for _, w := range words {
		events = append(events, streamEvent{"conversation.message.delta", message(w)})
	}
	return append(events,
		streamEvent{"conversation.message.completed", message(reply)},
		streamEvent{"conversation.chat.completed", chat("completed")},
		streamEvent{"done", "[DONE]"},
	)
}

// streamChat sends the events of a streamed chat, flushing each and waiting
// between them; it stops when the client goes away.
func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, req chatRequest, conversationID string) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	for i, ev := range s.chatStream(req, conversationID) {
		if i > 0 {
			if err := s.chatStep(r.Context()); err != nil {
				return
			}
		}
		data, _ := json.Marshal(ev.data)
		if _, err := fmt.Fprintf(w, "event:%s\ndata:%s\n\n", ev.name, data); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// chatStep waits before the next event: Options.ChatStep when set, else
// Options.ChatPace.
func (s *Server) chatStep(ctx context.Context) error {
	if s.opts.ChatStep != nil {
		return s.opts.ChatStep(ctx)
	}
	pace := s.opts.ChatPace
	if pace <= 0 {
		pace = defaultChatPace
	}
	return wait.Sleep(ctx, pace)
}
