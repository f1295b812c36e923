package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// logFlushDelay is how long a log line may wait to be written with the
// ones after it: one write for many lines, not one per request, under
// load.
const logFlushDelay = 20 * time.Millisecond

// Log writes one line per request to w: method, path without the query
// (queries can carry ids and codes), status, duration and Coze's log id —
// never a token, the key or a body. It also marks every answer with
// [Header]. A nil w logs nothing. Lines are written in batches, within
// logFlushDelay; [Serve] flushes what is left when it stops.
func Log(w io.Writer, next http.Handler) http.Handler {
	l := &logHandler{next: next}
	if w != nil {
		l.out = bufio.NewWriterSize(w, 16<<10)
	}
	return l
}

type logHandler struct {
	next http.Handler
	mu   sync.Mutex // guards out and flushing; w need not be safe for concurrent use
	out  *bufio.Writer
	// flushing says a flush is scheduled.
	flushing bool
}

func (l *logHandler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set(Header, "1")
	if l.out == nil {
		l.next.ServeHTTP(rw, r)
		return
	}
	start := time.Now()
	sw := &statusWriter{ResponseWriter: rw}
	l.next.ServeHTTP(sw, r)
	status := sw.status
	if status == 0 {
		status = 499 // the client went away before an answer
	}
	logID := rw.Header().Get(coze.LogIDHeader)
	if logID == "" {
		logID = "-"
	}
	line := make([]byte, 0, 128)
	line = append(line, coze.Sanitize(r.Method)...)
	line = append(line, ' ')
	line = append(line, coze.Sanitize(r.URL.EscapedPath())...)
	line = append(line, ' ')
	line = strconv.AppendInt(line, int64(status), 10)
	line = append(line, ' ')
	line = append(line, time.Since(start).Round(100*time.Microsecond).String()...)
	line = append(line, ' ')
	line = append(line, coze.Sanitize(logID)...)
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.out.Write(line)
	if !l.flushing {
		l.flushing = true
		time.AfterFunc(logFlushDelay, l.Flush)
	}
}

// Flush writes the lines not yet written.
func (l *logHandler) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushing = false
	if l.out != nil {
		_ = l.out.Flush()
	}
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
