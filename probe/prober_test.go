package probe

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// outcome is the part of a Result a test pins down; timings vary.
type outcome struct {
	Status   int
	Class    Class
	CozeCode *int
	CozeMsg  string
	LogID    string
	User     string
	Hint     bool // a hint is given
	Error    bool // an error is given
}

func outcomeOf(r Result) outcome {
	return outcome{Status: r.Status, Class: r.Class, CozeCode: r.CozeCode, CozeMsg: r.CozeMsg,
		LogID: r.LogID, User: r.User, Hint: r.Hint != "", Error: r.Error != ""}
}

func intp(i int) *int { return &i }

// runOne probes a single target and returns its result.
func runOne(t *testing.T, p *Prober, tg Target) Result {
	t.Helper()
	rep := p.Run(t.Context(), []Target{tg})
	if len(rep.Targets) != 1 {
		t.Fatalf("got %d results, want 1", len(rep.Targets))
	}
	return rep.Targets[0]
}

// TestClasses drives each class through real sockets on loopback.
func TestClasses(t *testing.T) {
	coze := func(status int, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Tt-Logid", "20250101logid")
			w.WriteHeader(status)
			io.WriteString(w, body)
		})
	}
	tests := []struct {
		name string
		// setup returns the target and the prober to run it with.
		setup func(t *testing.T) (Target, *Prober)
		want  outcome
		// errHas is a piece of the error text, when it matters.
		errHas string
	}{
		{
			name: "ok with Coze JSON",
			setup: func(t *testing.T) (Target, *Prober) {
				s := newServer(t, coze(200, `{"code":4000,"msg":"bot_id is required"}`))
				return Target{Name: "x", Method: "POST", URL: s.URL, Body: []byte("{}")}, &Prober{Transport: &http.Transport{}}
			},
			want: outcome{Status: 200, Class: ClassOK, CozeCode: intp(4000), CozeMsg: "bot_id is required", LogID: "20250101logid"},
		},
		{
			name: "redirect is an answer, not followed",
			setup: func(t *testing.T) (Target, *Prober) {
				s := newServer(t, http.RedirectHandler("http://unreachable.invalid/", http.StatusFound))
				return Target{Name: "x", Method: "GET", URL: s.URL}, &Prober{Transport: &http.Transport{}}
			},
			want: outcome{Status: 302, Class: ClassOK},
		},
		{
			name: "401 with the log id in detail",
			setup: func(t *testing.T) (Target, *Prober) {
				s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(401)
					io.WriteString(w, `{"code":4100,"msg":"authentication is invalid","detail":{"logid":"fromdetail"}}`)
				}))
				return Target{Name: "x", Method: "POST", URL: s.URL}, &Prober{Transport: &http.Transport{}}
			},
			want: outcome{Status: 401, Class: ClassAuthRequired, CozeCode: intp(4100), CozeMsg: "authentication is invalid", LogID: "fromdetail"},
		},
		{
			name: "404 with an HTML body",
			setup: func(t *testing.T) (Target, *Prober) {
				s := newServer(t, http.NotFoundHandler())
				return Target{Name: "x", Method: "GET", URL: s.URL}, &Prober{Transport: &http.Transport{}}
			},
			want: outcome{Status: 404, Class: ClassNotFound},
		},
		{
			name: "429 is another HTTP error",
			setup: func(t *testing.T) (Target, *Prober) {
				s := newServer(t, coze(429, `{"code":4013,"msg":"rate limited"}`))
				return Target{Name: "x", Method: "GET", URL: s.URL}, &Prober{Transport: &http.Transport{}}
			},
			want: outcome{Status: 429, Class: ClassHTTPError, CozeCode: intp(4013), CozeMsg: "rate limited", LogID: "20250101logid"},
		},
		{
			name: "5xx with Coze JSON",
			setup: func(t *testing.T) (Target, *Prober) {
				s := newServer(t, coze(503, `{"code":5000,"msg":"internal error"}`))
				return Target{Name: "x", Method: "GET", URL: s.URL}, &Prober{Transport: &http.Transport{}}
			},
			want: outcome{Status: 503, Class: ClassServerError, CozeCode: intp(5000), CozeMsg: "internal error", LogID: "20250101logid", Hint: true},
		},
		{
			name: "users_me accepted says for whom",
			setup: func(t *testing.T) (Target, *Prober) {
				s := newServer(t, coze(200, `{"code":0,"msg":"","data":{"user_id":"7","user_name":"ada","nick_name":"Ada"}}`))
				return Target{Name: "users_me", Method: "GET", URL: s.URL, Token: "pat_x"}, &Prober{Transport: &http.Transport{}}
			},
			want: outcome{Status: 200, Class: ClassOK, CozeCode: intp(0), LogID: "20250101logid", User: "Ada (@ada)"},
		},
		{
			name: "users_me refused with 4101 hints at the region",
			setup: func(t *testing.T) (Target, *Prober) {
				s := newServer(t, coze(200, `{"code":4101,"msg":"The token you entered is incorrect"}`))
				return Target{Name: "users_me", Method: "GET", URL: s.URL, Token: "czu_cn"}, &Prober{Transport: &http.Transport{}}
			},
			want: outcome{Status: 200, Class: ClassOK, CozeCode: intp(4101), CozeMsg: "The token you entered is incorrect", LogID: "20250101logid", Hint: true},
		},
		{
			name: "unknown host",
			setup: func(t *testing.T) (Target, *Prober) {
				return Target{Name: "x", Method: "GET", URL: "http://api.coze.invalid/"}, &Prober{Transport: &http.Transport{}, Timeout: 5 * time.Second}
			},
			want:   outcome{Class: ClassDNS, Hint: true, Error: true},
			errHas: "api.coze.invalid",
		},
		{
			name: "connection refused",
			setup: func(t *testing.T) (Target, *Prober) {
				return Target{Name: "x", Method: "GET", URL: "http://" + refusedAddr(t) + "/"}, &Prober{Transport: &http.Transport{}}
			},
			want:   outcome{Class: ClassConnectRefused, Hint: true, Error: true},
			errHas: "refused",
		},
		{
			name: "SYN dropped",
			setup: func(t *testing.T) (Target, *Prober) {
				return Target{Name: "x", Method: "GET", URL: "http://" + blackholeAddr(t) + "/"}, &Prober{Transport: &http.Transport{}, Timeout: 300 * time.Millisecond}
			},
			want:   outcome{Class: ClassConnectTimeout, Hint: true, Error: true},
			errHas: "no answer within 300ms connecting",
		},
		{
			name: "reset after the request",
			setup: func(t *testing.T) (Target, *Prober) {
				return Target{Name: "x", Method: "GET", URL: "http://" + resetServer(t) + "/"}, &Prober{Transport: &http.Transport{}}
			},
			want:   outcome{Class: ClassReset, Hint: true, Error: true},
			errHas: "reset",
		},
		{
			name: "reset after the ClientHello",
			setup: func(t *testing.T) (Target, *Prober) {
				return Target{Name: "x", Method: "GET", URL: "https://" + resetServer(t) + "/"}, &Prober{Transport: &http.Transport{}}
			},
			want:   outcome{Class: ClassReset, Hint: true, Error: true},
			errHas: "reset",
		},
		{
			name: "closed without an answer",
			setup: func(t *testing.T) (Target, *Prober) {
				return Target{Name: "x", Method: "GET", URL: "http://" + closeServer(t) + "/"}, &Prober{Transport: &http.Transport{}}
			},
			want:   outcome{Class: ClassReset, Hint: true, Error: true},
			errHas: "EOF",
		},
		{
			name: "certificate for another name",
			setup: func(t *testing.T) (Target, *Prober) {
				s, pool := newTLSServer(t, http.NotFoundHandler())
				u := strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
				return Target{Name: "x", Method: "GET", URL: u}, &Prober{Transport: trusting(pool)}
			},
			want:   outcome{Class: ClassTLS, Hint: true, Error: true},
			errHas: "localhost",
		},
		{
			name: "certificate from an unknown authority",
			setup: func(t *testing.T) (Target, *Prober) {
				s, _ := newTLSServer(t, http.NotFoundHandler())
				return Target{Name: "x", Method: "GET", URL: s.URL}, &Prober{Transport: trusting(x509.NewCertPool())}
			},
			want:   outcome{Class: ClassTLS, Hint: true, Error: true},
			errHas: "unknown authority",
		},
		{
			name: "plain HTTP where TLS was expected",
			setup: func(t *testing.T) (Target, *Prober) {
				s := newServer(t, http.NotFoundHandler())
				return Target{Name: "x", Method: "GET", URL: strings.Replace(s.URL, "http:", "https:", 1)}, &Prober{Transport: &http.Transport{}}
			},
			want:   outcome{Class: ClassTLS, Hint: true, Error: true},
			errHas: "HTTP response to HTTPS client",
		},
		{
			name: "never answers",
			setup: func(t *testing.T) (Target, *Prober) {
				addr, _ := silentServer(t, 1)
				return Target{Name: "x", Method: "GET", URL: "http://" + addr + "/"}, &Prober{Transport: &http.Transport{}, Timeout: 200 * time.Millisecond}
			},
			want:   outcome{Class: ClassTimeout, Hint: true, Error: true},
			errHas: "no answer within 200ms waiting for the response",
		},
		{
			name: "TLS handshake never answered",
			setup: func(t *testing.T) (Target, *Prober) {
				addr, _ := silentServer(t, 1)
				return Target{Name: "x", Method: "GET", URL: "https://" + addr + "/"}, &Prober{Transport: &http.Transport{}, Timeout: 200 * time.Millisecond}
			},
			want:   outcome{Class: ClassTimeout, Hint: true, Error: true},
			errHas: "in the TLS handshake",
		},
		{
			name: "invalid URL",
			setup: func(t *testing.T) (Target, *Prober) {
				return Target{Name: "x", Method: "GET", URL: "http://[::1"}, &Prober{Transport: &http.Transport{}}
			},
			want: outcome{Class: ClassError, Hint: true, Error: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, p := tt.setup(t)
			got := runOne(t, p, tg)
			if diff := cmp.Diff(tt.want, outcomeOf(got)); diff != "" {
				t.Errorf("outcome mismatch (-want +got):\n%s\nerror: %s", diff, got.Error)
			}
			if !strings.Contains(got.Error, tt.errHas) {
				t.Errorf("error %q does not mention %q", got.Error, tt.errHas)
			}
			if got.Class != ClassError && got.Class != ClassDNS && got.RemoteAddr == "" {
				t.Errorf("no remote address")
			}
			if got.Timings.Total <= 0 && got.Class != ClassError {
				t.Errorf("total time %v, want > 0", got.Timings.Total)
			}
		})
	}
}

// TestRequests checks what each request carries.
func TestRequests(t *testing.T) {
	type seen struct{ Method, Path, UA, ContentType, Body, Auth, Upgrade string }
	got := make(chan seen, 20)
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.Path, r.UserAgent(), r.Header.Get("Content-Type"), string(b), r.Header.Get("Authorization"), r.Header.Get("Upgrade")}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"code":0,"msg":""}`)
	}))
	p := &Prober{Transport: &http.Transport{}, UserAgent: "cozeauth/1.2.3"}
	rep := p.Run(t.Context(), Targets(s.URL+"/", s.URL, "tok"))
	close(got)
	var all []seen
	for r := range got {
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b seen) int { return strings.Compare(a.Path+a.Upgrade, b.Path+b.Upgrade) })
	ua := "cozeauth/1.2.3"
	want := []seen{
		{"GET", "/", ua, "", "", "", ""},
		{"GET", "/api/permission/oauth2/authorize", ua, "", "", "", ""},
		{"POST", "/api/permission/oauth2/token", ua, "application/json", "{}", "", ""},
		{"POST", "/open_api/v2/chat", ua, "application/json", "{}", "", ""},
		{"GET", "/v1/chat", ua, "", "", "", ""},
		{"GET", "/v1/chat", ua, "", "", "", "websocket"},
		{"GET", "/v1/users/me", ua, "", "", "Bearer tok", ""},
		{"POST", "/v1/workflow/run", ua, "application/json", "{}", "", ""},
		{"POST", "/v1/workflows/run", ua, "application/json", "{}", "", ""},
		{"POST", "/v3/chat", ua, "application/json", "{}", "", ""},
	}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	// A plain 200 to the WebSocket handshake is not Coze's answer.
	if rep.Verdict != VerdictPartial {
		t.Errorf("verdict %q, want partial (ws_chat intercepted)", rep.Verdict)
	}
	for _, r := range rep.Targets {
		if want := ClassOK; r.Name == "ws_chat" {
			want = ClassIntercepted
			if r.Class != want {
				t.Errorf("%s: class %q, want %q", r.Name, r.Class, want)
			}
		} else if r.Class != want {
			t.Errorf("%s: class %q, want %q", r.Name, r.Class, want)
		}
	}
}

// TestRunSeedReport reproduces the answers users report from coze.com and
// checks that they make the path reachable.
func TestRunSeedReport(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open_api/v2/chat", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"code":4000,"msg":"bot_id is required"}`)
	})
	mux.HandleFunc("POST /v1/workflows/run", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, `{"code":4100,"msg":"authentication is invalid"}`)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html></html>") })
	api := newServer(t, mux)
	www := newServer(t, mux)
	p := &Prober{Transport: &http.Transport{}}
	rep := p.Run(t.Context(), TargetsFor(Bases{API: api.URL, WWW: www.URL}, "", SetLegacy))
	type row struct {
		Index  int
		Name   string
		Status int
		Class  Class
	}
	var got []row
	for _, r := range rep.Targets {
		got = append(got, row{r.Index, r.Name, r.Status, r.Class})
	}
	want := []row{
		{0, "open_api_v2_chat", 200, ClassOK},
		{1, "workflows_run", 401, ClassAuthRequired},
		{2, "www", 200, ClassOK},
		{3, "v1_chat", 404, ClassNotFound},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if rep.Verdict != VerdictReachable || rep.Proxy != "" || rep.Duration <= 0 {
		t.Errorf("report = %q proxy %q in %v, want reachable, direct, > 0", rep.Verdict, rep.Proxy, rep.Duration)
	}
}

// TestStartStreams checks that a fast result arrives while a slow one is
// still running, and that the channel closes after the last.
func TestStartStreams(t *testing.T) {
	release := make(chan struct{})
	slow := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	fast := newServer(t, http.NotFoundHandler())
	p := &Prober{Transport: &http.Transport{}, Timeout: time.Minute}
	ch := p.Start(t.Context(), []Target{
		{Name: "slow", Method: "GET", URL: slow.URL},
		{Name: "fast", Method: "GET", URL: fast.URL},
	})
	first := <-ch
	if first.Name != "fast" || first.Index != 1 || first.Class != ClassNotFound {
		t.Fatalf("first result = %+v, want fast (index 1) not_found", first)
	}
	close(release)
	second := <-ch
	if second.Name != "slow" || second.Index != 0 || second.Class != ClassOK {
		t.Fatalf("second result = %+v, want slow (index 0) ok", second)
	}
	if r, open := <-ch; open {
		t.Fatalf("channel still open, got %+v", r)
	}
}

// TestCancel checks that canceling the context ends every unfinished target
// at once as canceled — not as a timeout — and keeps what finished.
func TestCancel(t *testing.T) {
	addr, accepted := silentServer(t, 4)
	fast := newServer(t, http.NotFoundHandler())
	targets := []Target{{Name: "fast", Method: "GET", URL: fast.URL}}
	for i := range 4 {
		targets = append(targets, Target{Name: fmt.Sprint("silent", i), Method: "GET", URL: "http://" + addr + "/"})
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	p := &Prober{Transport: &http.Transport{}, Timeout: time.Hour}
	ch := p.Start(ctx, targets)
	if r := <-ch; r.Name != "fast" {
		t.Fatalf("first result %q, want fast", r.Name)
	}
	for range 4 {
		<-accepted
	}
	canceledAt := time.Now()
	cancel()
	var classes []Class
	for r := range ch {
		classes = append(classes, r.Class)
		// Where it stood ("connecting", "waiting for the response") depends
		// on how far the client got once the server had accepted.
		if !strings.HasPrefix(r.Error, "canceled ") || r.Hint == "" {
			t.Errorf("%s: error %q hint %q, want a canceled error and a hint", r.Name, r.Error, r.Hint)
		}
	}
	if d := time.Since(canceledAt); d > 2*time.Second {
		t.Errorf("results took %v after cancel, want promptly", d)
	}
	want := []Class{ClassCanceled, ClassCanceled, ClassCanceled, ClassCanceled}
	if diff := cmp.Diff(want, classes); diff != "" {
		t.Errorf("classes after cancel (-want +got):\n%s", diff)
	}
	rep := NewReport(nil, 0, "")
	if rep.Verdict != VerdictUnreachable {
		t.Errorf("empty report verdict %q", rep.Verdict)
	}
}

// TestCanceledBeforeStart checks that a dead context yields canceled
// results, not network errors.
func TestCanceledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s := newServer(t, http.NotFoundHandler())
	rep := (&Prober{Transport: &http.Transport{}}).Run(ctx, Targets(s.URL, s.URL, ""))
	for _, r := range rep.Targets {
		if r.Class != ClassCanceled || r.Hint == "" {
			t.Errorf("%s: class %q hint %q, want canceled with a hint", r.Name, r.Class, r.Hint)
		}
	}
	if rep.Verdict != VerdictUnreachable {
		t.Errorf("verdict %q, want unreachable", rep.Verdict)
	}
}

// TestTimings checks that a TLS request reports every phase in order.
func TestTimings(t *testing.T) {
	s, pool := newTLSServer(t, http.NotFoundHandler())
	got := runOne(t, &Prober{Transport: trusting(pool)}, Target{Name: "x", Method: "GET", URL: s.URL})
	tm := got.Timings
	if tm.Connect <= 0 || tm.TLS <= 0 || tm.FirstByte <= 0 || tm.Total < tm.FirstByte {
		t.Errorf("timings %+v: want connect, tls, first byte > 0 and total >= first byte", tm)
	}
	if tm.DNS != 0 {
		t.Errorf("dns %v for an IP address, want 0", tm.DNS)
	}
	if want := strings.TrimPrefix(s.URL, "https://"); got.RemoteAddr != want {
		t.Errorf("remote address %q, want %q", got.RemoteAddr, want)
	}
}
