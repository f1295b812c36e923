package probe

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// judgeAnswer sorts an HTTP answer. Any status proves the path open, unless
// the answer is not one Coze gives for this target: then something on the
// path answered in Coze's place ([ClassIntercepted]) and detail says what.
func judgeAnswer(t Target, resp *http.Response, body []byte, wsKey string) (c Class, detail string) {
	c = classOfStatus(resp.StatusCode)
	switch t.Expect {
	case ExpectWebSocket:
		return judgeHandshake(c, resp, wsKey)
	case ExpectAPIJSON, ExpectOAuthJSON:
		// A 5xx may come from Coze's own edge as a page; it stays a server error.
		if c == ClassServerError || isJSONObject(body) {
			return c, ""
		}
		return ClassIntercepted, fmt.Sprintf("answered %d with %s where Coze sends JSON", resp.StatusCode, describeBody(resp, body))
	}
	return c, ""
}

// judgeHandshake sorts the answer to a WebSocket handshake: 101 with the
// right Sec-WebSocket-Accept, 401 or 403 (Coze wants a token) prove the
// path; a 2xx or 3xx means something answered without passing WebSocket on.
func judgeHandshake(c Class, resp *http.Response, key string) (Class, string) {
	switch {
	case resp.StatusCode == http.StatusSwitchingProtocols:
		if got := resp.Header.Get("Sec-WebSocket-Accept"); got != wsAccept(key) {
			return ClassIntercepted, "switched protocols without a valid Sec-WebSocket-Accept: not a WebSocket server"
		}
		return ClassOK, ""
	case resp.StatusCode < 400:
		return ClassIntercepted, fmt.Sprintf("answered the WebSocket handshake with %d %s instead of upgrading", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return c, ""
}

// isJSONObject reports whether body is a JSON object, as every answer of
// Coze's API and OAuth endpoints is.
func isJSONObject(body []byte) bool {
	b := bytes.TrimSpace(body)
	return bytes.HasPrefix(b, []byte("{")) && json.Valid(b)
}

// describeBody names what came instead of JSON: its media type, or "an
// empty body".
func describeBody(resp *http.Response, body []byte) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return "an empty body"
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt == "" {
		if bytes.HasPrefix(bytes.TrimSpace(bytes.ToLower(body)), []byte("<")) {
			return "HTML"
		}
		return "a non-JSON body"
	}
	if strings.Contains(mt, "html") {
		return "HTML (" + mt + ")"
	}
	return mt
}

// wsKey is a fresh Sec-WebSocket-Key.
func wsKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// wsAccept is the Sec-WebSocket-Accept a server must answer key with (RFC 6455).
func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// httpURL is a ws:// or wss:// URL as the http:// or https:// one the
// handshake is sent to.
func httpURL(u string) string {
	switch {
	case strings.HasPrefix(u, "ws://"):
		return "http://" + u[len("ws://"):]
	case strings.HasPrefix(u, "wss://"):
		return "https://" + u[len("wss://"):]
	}
	return u
}
