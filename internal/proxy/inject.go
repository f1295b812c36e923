package proxy

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// MaxRetryBody is the largest request body kept to send again after a
// renewal; a larger one streams through once, unbuffered.
const MaxRetryBody = 1 << 20

// Inject sets each request's Authorization to a valid access token and
// passes it to Next. When Coze answers 401 with a code that says the token
// is invalid and a renewal may fix it ([coze.APIError.RefreshMayFix], the
// rule `cozeauth api` follows), the token is renewed once and the request
// sent once more — only when its body was kept (at most [MaxRetryBody]).
// Nothing else is ever retried; every other answer passes as it came.
type Inject struct {
	Tokens Tokens
	Next   http.Handler
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (h *Inject) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Inject) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok, err := h.Tokens.Token(r.Context())
	if err != nil {
		tokenFailure(w, r, err)
		return
	}
	body, kept, err := keepBody(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, 4000, "could not read the request body: "+err.Error())
		return
	}
	setToken(r, tok)
	if !kept || tok.Static || isUpgrade(r) {
		h.Next.ServeHTTP(w, r)
		return
	}
	hw := &holdWriter{w: w, header: http.Header{}}
	h.Next.ServeHTTP(hw, r)
	if !hw.holding {
		return
	}
	ae := coze.NewAPIError(&http.Response{StatusCode: hw.status, Header: hw.header}, hw.buf.Bytes())
	if !ae.RefreshMayFix(tok.IssuedAt, h.now()) {
		hw.release()
		return
	}
	renewed, err := h.Tokens.Renew(r.Context(), tok)
	if err != nil {
		tokenFailure(w, r, err)
		return
	}
	setBody(r, body)
	setToken(r, renewed)
	h.Next.ServeHTTP(w, r)
}

func setToken(r *http.Request, tok Token) { r.Header.Set("Authorization", "Bearer "+tok.Value) }

func isUpgrade(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }

// keepBody reads a body of at most MaxRetryBody into memory, so it can be
// sent twice, and reports whether it did. A larger body (by its
// Content-Length, or found larger while reading) is left to stream: what
// was read goes out ahead of the rest.
func keepBody(r *http.Request) ([]byte, bool, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true, nil
	}
	if r.ContentLength > MaxRetryBody {
		return nil, false, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxRetryBody+1))
	if err != nil {
		return nil, false, err
	}
	if len(b) > MaxRetryBody {
		r.Body = readCloser{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
		return nil, false, nil
	}
	setBody(r, b)
	return b, true, nil
}

func setBody(r *http.Request, b []byte) {
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	if len(b) == 0 {
		r.Body = http.NoBody
	}
}

// readCloser reads from one reader and closes another.
type readCloser struct {
	io.Reader
	io.Closer
}

// holdWriter passes an answer on as it comes, except a 401, which it holds
// back (headers and up to MaxRetryBody of body) so that Inject can decide
// to renew the token and send the request again instead. A 401 body too
// large to hold is passed on after all. Each attempt gets a holdWriter of
// its own, so the headers of a held answer never mix with the next one's.
type holdWriter struct {
	w       http.ResponseWriter
	header  http.Header
	status  int
	wrote   bool // a final status went to w
	holding bool
	buf     bytes.Buffer
}

func (h *holdWriter) Header() http.Header { return h.header }

func (h *holdWriter) WriteHeader(code int) {
	switch {
	case h.wrote || h.holding:
		return
	case code == http.StatusUnauthorized:
		h.status, h.holding = code, true
		return
	case code < 200: // 1xx: passed on, a final status is still to come
		maps.Copy(h.w.Header(), h.header)
		h.w.WriteHeader(code)
		return
	}
	h.status, h.wrote = code, true
	maps.Copy(h.w.Header(), h.header)
	h.w.WriteHeader(code)
}

func (h *holdWriter) Write(b []byte) (int, error) {
	if !h.wrote && !h.holding {
		h.WriteHeader(http.StatusOK)
	}
	if h.holding {
		if h.buf.Len()+len(b) <= MaxRetryBody {
			return h.buf.Write(b)
		}
		h.release()
	}
	return h.w.Write(b)
}

// release passes on the held answer as it came.
func (h *holdWriter) release() {
	if !h.holding {
		return
	}
	h.holding, h.wrote = false, true
	maps.Copy(h.w.Header(), h.header)
	h.w.WriteHeader(h.status)
	_, _ = h.w.Write(h.buf.Bytes())
	h.buf.Reset()
}

// FlushError flushes what was passed on; a held answer stays held.
func (h *holdWriter) FlushError() error {
	if h.holding {
		return nil
	}
	return http.NewResponseController(h.w).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (h *holdWriter) Unwrap() http.ResponseWriter { return h.w }
