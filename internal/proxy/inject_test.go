package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
)

// fakeCoze refuses refusedToken with status and code, answers any other
// token 200, and records what it was sent.
type fakeCoze struct {
	mu           sync.Mutex
	refusedToken string
	status, code int
	seen         []seen
}

type seen struct{ Auth, Body string }

func (f *fakeCoze) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	f.seen = append(f.seen, seen{tok, string(body)})
	refuse := tok == f.refusedToken
	f.mu.Unlock()
	w.Header().Set("X-Tt-Logid", logIDFor(tok))
	w.Header().Set("Content-Type", "application/json")
	if refuse {
		w.WriteHeader(f.status)
		fmt.Fprintf(w, `{"code":%d,"msg":"refused by fake coze"}`, f.code)
		return
	}
	fmt.Fprintf(w, `{"code":0,"msg":"","data":{"len":%d}}`, len(body))
}

// logIDFor is the fake's log id for an answer to tok (which it does not show).
func logIDFor(tok string) string { return "logid-of-" + strings.TrimPrefix(tok, "czu_") }

func (f *fakeCoze) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.seen...)
}

// injectOver puts Inject, with tokens and the clock at now, in front of a
// reverse proxy to coze.
func injectOver(t *testing.T, coze http.Handler, tokens Tokens, now time.Time) *httptest.Server {
	t.Helper()
	up := httptest.NewServer(coze)
	t.Cleanup(up.Close)
	target, _ := url.Parse(up.URL)
	srv := httptest.NewServer(&Inject{Tokens: tokens, Next: reverseProxy(target, NewTransport(), &bufferPool{}), Now: func() time.Time { return now }})
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/v3/chat", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer the-local-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var issued = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestInjectReplacesTheKeyWithTheToken(t *testing.T) {
	coze := &fakeCoze{}
	srv := injectOver(t, coze, &fakeTokens{cur: Token{Value: "czu_current"}}, issued)
	resp, _ := post(t, srv.URL, `{"a":1}`)
	got := coze.requests()
	if resp.StatusCode != 200 || len(got) != 1 || got[0].Auth != "czu_current" || got[0].Body != `{"a":1}` {
		t.Errorf("= %d, coze saw %+v; want one request with the token and the body", resp.StatusCode, got)
	}
}

// Issue 18: a Coze 4100/401 triggers one renewal and one retry of the
// request, with the same body.
func TestInjectRenewsOnceAndRetriesAfter4100(t *testing.T) {
	coze := &fakeCoze{refusedToken: "czu_revoked", status: 401, code: 4100}
	tokens := &fakeTokens{cur: Token{Value: "czu_revoked", IssuedAt: issued}, next: Token{Value: "czu_renewed", IssuedAt: issued.Add(2 * time.Minute)}}
	srv := injectOver(t, coze, tokens, issued.Add(2*time.Minute))
	resp, body := post(t, srv.URL, `{"bot_id":"1"}`)
	if resp.StatusCode != 200 || resp.Header.Get("X-Tt-Logid") != logIDFor("czu_renewed") || !strings.Contains(body, `"code":0`) {
		t.Errorf("= %d %s (log id %s), want the retry's 200", resp.StatusCode, body, resp.Header.Get("X-Tt-Logid"))
	}
	if diff := cmp.Diff([]string{"czu_revoked"}, tokens.renewals()); diff != "" {
		t.Errorf("renewals (-want +got):\n%s", diff)
	}
	want := []seen{{"czu_revoked", `{"bot_id":"1"}`}, {"czu_renewed", `{"bot_id":"1"}`}}
	if diff := cmp.Diff(want, coze.requests()); diff != "" {
		t.Errorf("coze saw (-want +got):\n%s", diff)
	}
}

// Everything a renewal cannot fix passes as Coze answered it, sent once.
func TestInjectPassesOtherRefusalsAsTheyCame(t *testing.T) {
	old := issued
	tests := []struct {
		name         string
		status, code int
		tok          Token
		now          time.Time
		body         string
	}{
		{"no permission (4101)", 401, 4101, Token{Value: "czu_a", IssuedAt: old}, old.Add(time.Hour), "{}"},
		{"a 403 with 4100", 403, 4100, Token{Value: "czu_a", IssuedAt: old}, old.Add(time.Hour), "{}"},
		{"a token refused moments after it was minted", 401, 4100, Token{Value: "czu_a", IssuedAt: old}, old.Add(10 * time.Second), "{}"},
		{"a static token", 401, 4100, Token{Value: "pat_a", Static: true}, old, "{}"},
		{"a body over 1 MiB", 401, 4100, Token{Value: "czu_a", IssuedAt: old}, old.Add(time.Hour), strings.Repeat("x", MaxRetryBody+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			coze := &fakeCoze{refusedToken: tt.tok.Value, status: tt.status, code: tt.code}
			tokens := &fakeTokens{cur: tt.tok, next: Token{Value: "czu_never"}}
			srv := injectOver(t, coze, tokens, tt.now)
			resp, body := post(t, srv.URL, tt.body)
			if resp.StatusCode != tt.status || body != fmt.Sprintf(`{"code":%d,"msg":"refused by fake coze"}`, tt.code) ||
				resp.Header.Get("X-Tt-Logid") != logIDFor(tt.tok.Value) {
				t.Errorf("= %d %s (log id %q), want Coze's answer unchanged", resp.StatusCode, body, resp.Header.Get("X-Tt-Logid"))
			}
			if n := len(coze.requests()); n != 1 {
				t.Errorf("coze got %d requests, want 1", n)
			}
			if r := tokens.renewals(); len(r) != 0 {
				t.Errorf("renewed %v", r)
			}
			if got := coze.requests()[0].Body; len(got) != len(tt.body) {
				t.Errorf("coze got a body of %d bytes, want %d", len(got), len(tt.body))
			}
		})
	}
}

// The retry is the only one: a renewed token refused too is Coze's answer.
func TestInjectRetriesAtMostOnce(t *testing.T) {
	coze := &fakeCoze{refusedToken: "czu_same", status: 401, code: 4100}
	tokens := &fakeTokens{cur: Token{Value: "czu_same", IssuedAt: issued}, next: Token{Value: "czu_same", IssuedAt: issued}}
	srv := injectOver(t, coze, tokens, issued.Add(time.Hour))
	resp, _ := post(t, srv.URL, "{}")
	if resp.StatusCode != 401 || len(coze.requests()) != 2 || len(tokens.renewals()) != 1 {
		t.Errorf("= %d after %d requests and %d renewals, want 401 after 2 and 1", resp.StatusCode, len(coze.requests()), len(tokens.renewals()))
	}
}

func TestInjectAnswersItsOwnFailures(t *testing.T) {
	lr := &auth.LoginRequiredError{Profile: "default", Reason: "coze refused the refresh token"}
	tests := []struct {
		name       string
		tokenErr   error
		renewErr   error
		wantStatus int
		wantMsg    string
	}{
		{"login required", lr, nil, 503, "run `cozeauth login`"},
		{"refresh timed out", fmt.Errorf("coze did not answer within 10s: %w", context.DeadlineExceeded), nil, 504, "timed out"},
		{"refresh failed", errors.New("connection refused"), nil, 502, "could not renew"},
		{"renewal after 4100 refused", nil, lr, 503, "exits 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			coze := &fakeCoze{refusedToken: "czu_a", status: 401, code: 4100}
			tokens := &fakeTokens{cur: Token{Value: "czu_a", IssuedAt: issued}, tokenErr: tt.tokenErr, renewErr: tt.renewErr}
			srv := injectOver(t, coze, tokens, issued.Add(time.Hour))
			resp, body := post(t, srv.URL, "{}")
			if resp.StatusCode != tt.wantStatus || !strings.HasPrefix(body, `{"code":`) || !strings.Contains(body, `"msg":"cozeauth proxy: `) || !strings.Contains(body, tt.wantMsg) {
				t.Errorf("= %d %s, want %d with %q", resp.StatusCode, body, tt.wantStatus, tt.wantMsg)
			}
		})
	}
}

func TestInjectAnswersUnreachableCoze(t *testing.T) {
	target, _ := url.Parse("http://127.0.0.1:1") // nothing listens on port 1
	srv := httptest.NewServer(&Inject{Tokens: &fakeTokens{cur: Token{Value: "czu_a"}}, Next: reverseProxy(target, NewTransport(), &bufferPool{})})
	defer srv.Close()
	resp, body := post(t, srv.URL, "{}")
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "could not reach coze") {
		t.Errorf("= %d %s, want 502 saying coze could not be reached", resp.StatusCode, body)
	}
	if strings.Contains(body, "czu_a") {
		t.Error("the answer shows the token")
	}
}

// An upload over 1 MiB streams through: Coze sees its first megabyte
// before the client has sent the rest. The client holds back its last
// part until Coze has read more than a kept body could hold, so a proxy
// that buffered the body would never forward it.
func TestInjectStreamsLargeUploadsUnbuffered(t *testing.T) {
	for _, known := range []bool{true, false} {
		t.Run(fmt.Sprintf("Content-Length known %v", known), func(t *testing.T) {
			got := make(chan struct{})
			coze := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := io.CopyN(io.Discard, r.Body, MaxRetryBody+1)
				if n == MaxRetryBody+1 {
					close(got)
				}
				rest, _ := io.Copy(io.Discard, r.Body)
				fmt.Fprintf(w, `{"code":0,"len":%d}`, n+rest)
			})
			srv := injectOver(t, coze, &fakeTokens{cur: Token{Value: "czu_a"}}, issued)
			first, last := bytes.Repeat([]byte("a"), MaxRetryBody+64<<10), []byte("the end")
			pr, pw := io.Pipe()
			go func() {
				pw.Write(first)
				select {
				case <-got:
				case <-time.After(hangGuard):
					t.Error("coze got no more than a kept body's worth before the upload ended: the proxy buffered it")
				}
				pw.Write(last)
				pw.Close()
			}()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/files/upload", pr)
			if known {
				req.ContentLength = int64(len(first) + len(last))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if want := fmt.Sprintf(`{"code":0,"len":%d}`, len(first)+len(last)); string(body) != want {
				t.Errorf("= %s, want %s", body, want)
			}
		})
	}
}
