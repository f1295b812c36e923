package sandbox

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strings"
)

// The ws host's chat, wss://ws.coze.com/v1/chat (coze-go's websocket
// client, Coze's "streaming chat" docs): an HTTP/1.1 WebSocket handshake
// with the token in the Authorization header (browsers, which cannot set
// headers, put it in an "authorization" query parameter) and the bot in
// "bot_id". The sandbox checks the token, completes the handshake, sends
// one event — chat.created, or an error event without bot_id — and closes
// the connection normally. It carries no conversation: enough for a client
// or the probe to see the path and the handshake work.

// wsGUID is RFC 6455's magic string for Sec-WebSocket-Accept.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// isWebSocketHandshake reports whether r asks to upgrade to WebSocket.
func isWebSocketHandshake(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		headerHasToken(r.Header, "Connection", "upgrade")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// handleWSChat answers a WebSocket handshake on /v1/chat.
func (s *Server) handleWSChat(w http.ResponseWriter, r *http.Request) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		authz = r.URL.Query().Get("authorization")
	}
	if !s.validAccessToken(authz) {
		writeJSON(w, http.StatusUnauthorized, authInvalid())
		return
	}
	key := r.Header.Get("Sec-WebSocket-Key")
	if r.Header.Get("Sec-WebSocket-Version") != "13" || !validWSKey(key) {
		w.Header().Set("Sec-WebSocket-Version", "13")
		writeJSON(w, http.StatusBadRequest, apiError{Code: 4000, Msg: "invalid WebSocket handshake: Sec-WebSocket-Version 13 and a Sec-WebSocket-Key are required"})
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, apiError{Code: 5000, Msg: "the sandbox could not take over the connection"})
		return
	}
	defer conn.Close()
	logID := w.Header().Get("X-Tt-Logid")
	_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + wsAcceptFor(key) + "\r\nX-Tt-Logid: " + logID + "\r\n\r\n")
	event := map[string]any{"id": randDigits(), "event_type": "chat.created", "detail": map[string]string{"logid": logID}}
	if r.URL.Query().Get("bot_id") == "" {
		event["event_type"] = "error"
		event["data"] = apiError{Code: 4000, Msg: "bot_id is required"}
	}
	payload, _ := json.Marshal(event)
	_, _ = rw.Write(wsFrame(0x1, payload))
	// A normal close (1000).
	_, _ = rw.Write(wsFrame(0x8, []byte{0x03, 0xe8}))
	_ = rw.Flush()
}

// validWSKey reports whether key is 16 bytes in base64, as RFC 6455 asks.
func validWSKey(key string) bool {
	b, err := base64.StdEncoding.DecodeString(key)
	return err == nil && len(b) == 16
}

// wsAcceptFor is the Sec-WebSocket-Accept for a client's key.
func wsAcceptFor(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// wsFrame is one final, unmasked frame (servers do not mask) of opcode.
func wsFrame(opcode byte, payload []byte) []byte {
	f := []byte{0x80 | opcode}
	switch n := len(payload); {
	case n < 126:
		f = append(f, byte(n))
	case n <= 0xffff:
		f = append(f, 126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, 127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	return append(f, payload...)
}
