package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/auth"
)

// Log writes one line per request to w: method, path without the query
// (queries can carry ids and codes), status, duration and Coze's log id —
// never a token, the key or a body. It also marks every answer with
// [Header]. A nil w logs nothing.
func Log(w io.Writer, next http.Handler) http.Handler {
	var mu sync.Mutex // w need not be safe for concurrent use
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set(Header, "1")
		if w == nil {
			next.ServeHTTP(rw, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: rw}
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = 499 // the client went away before an answer
		}
		logID := rw.Header().Get(auth.LogIDHeader)
		if logID == "" {
			logID = "-"
		}
		line := fmt.Sprintf("%s %s %d %s %s\n", auth.Sanitize(r.Method), auth.Sanitize(r.URL.EscapedPath()), status, time.Since(start).Round(100*time.Microsecond), auth.Sanitize(logID))
		mu.Lock()
		defer mu.Unlock()
		_, _ = io.WriteString(w, line)
	})
}

// statusWriter remembers the final status for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) FlushError() error {
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection to a WebSocket upgrade, which answers 101
// on it itself.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
