package probe

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// upgrader answers a WebSocket handshake with 101 and accept, the value
// of Sec-WebSocket-Accept it sends for a key.
func upgrader(accept func(key string) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" {
			http.Error(w, "want a WebSocket handshake", http.StatusBadRequest)
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + accept(r.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n")
		rw.Flush()
		// Stay open as a WebSocket server would, until the client goes: the
		// probe must not wait for a body.
		io.Copy(io.Discard, conn)
	})
}

func TestAnswers(t *testing.T) {
	withBody := func(status int, ctype, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ctype != "" {
				w.Header().Set("Content-Type", ctype)
			}
			w.WriteHeader(status)
			io.WriteString(w, body)
		})
	}
	ws := func(u string) string { return strings.Replace(u, "http://", "ws://", 1) }
	tests := []struct {
		name   string
		expect Expect
		url    func(t *testing.T) string
		want   Class
		// errHas is a piece of the error, "" for none.
		errHas string
		msg    string
	}{
		{"API JSON", ExpectAPIJSON, func(t *testing.T) string {
			return newServer(t, withBody(401, "application/json", `{"code":4100,"msg":"authentication is invalid"}`)).URL
		}, ClassAuthRequired, "", "authentication is invalid"},
		{"HTML where API JSON belongs", ExpectAPIJSON, func(t *testing.T) string {
			return newServer(t, withBody(200, "text/html; charset=utf-8", "<html><body>Access denied by policy</body></html>")).URL
		}, ClassIntercepted, "answered 200 with HTML (text/html) where Coze sends JSON", ""},
		{"JSON without a code where API JSON belongs", ExpectAPIJSON, func(t *testing.T) string {
			return newServer(t, withBody(403, "application/json", `{"blocked":true}`)).URL
		}, ClassAuthRequired, "", ""},
		{"an edge's 502 page stays a server error", ExpectAPIJSON, func(t *testing.T) string {
			return newServer(t, withBody(502, "text/html", "<html>bad gateway</html>")).URL
		}, ClassServerError, "", ""},
		{"OAuth JSON error", ExpectOAuthJSON, func(t *testing.T) string {
			return newServer(t, withBody(400, "application/json", `{"error":"invalid_request","error_code":"invalid_request","error_message":"invalid request: client_id"}`)).URL
		}, ClassHTTPError, "", "invalid_request: invalid request: client_id"},
		{"HTML where OAuth JSON belongs", ExpectOAuthJSON, func(t *testing.T) string {
			return newServer(t, withBody(200, "", "<!doctype html><title>Sign in to Wi-Fi</title>")).URL
		}, ClassIntercepted, "answered 200 with HTML", ""},
		{"empty body where OAuth JSON belongs", ExpectOAuthJSON, func(t *testing.T) string {
			return newServer(t, withBody(403, "", "")).URL
		}, ClassIntercepted, "an empty body", ""},
		{"WebSocket that upgrades", ExpectWebSocket, func(t *testing.T) string {
			return ws(newServer(t, upgrader(wsAccept)).URL)
		}, ClassOK, "", ""},
		{"WebSocket that wants a token", ExpectWebSocket, func(t *testing.T) string {
			return ws(newServer(t, withBody(401, "application/json", `{"code":4100,"msg":"authentication is invalid"}`)).URL)
		}, ClassAuthRequired, "", "authentication is invalid"},
		{"WebSocket answered with a page", ExpectWebSocket, func(t *testing.T) string {
			return ws(newServer(t, withBody(200, "text/html", "<html>portal</html>")).URL)
		}, ClassIntercepted, "instead of upgrading", ""},
		{"WebSocket upgraded with a wrong accept", ExpectWebSocket, func(t *testing.T) string {
			return ws(newServer(t, upgrader(func(string) string { return "bogus" })).URL)
		}, ClassIntercepted, "Sec-WebSocket-Accept", ""},
		{"WebSocket reset", ExpectWebSocket, func(t *testing.T) string {
			return "ws://" + resetServer(t) + "/v1/chat"
		}, ClassReset, "reset", ""},
		{"no expectation: HTML is fine", ExpectAny, func(t *testing.T) string {
			return newServer(t, withBody(200, "text/html", "<html></html>")).URL
		}, ClassOK, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Prober{Transport: &http.Transport{}, Timeout: 5 * time.Second}
			u := tt.url(t)
			got := runOne(t, p, Target{Name: "x", Method: "GET", URL: u, Expect: tt.expect})
			if got.Class != tt.want {
				t.Fatalf("class %q (%s), want %q", got.Class, got.Error, tt.want)
			}
			if got.URL != u {
				t.Errorf("url %q, want %q", got.URL, u)
			}
			if tt.errHas == "" && got.Error != "" || !strings.Contains(got.Error, tt.errHas) {
				t.Errorf("error %q, want %q", got.Error, tt.errHas)
			}
			if got.CozeMsg != tt.msg {
				t.Errorf("coze msg %q, want %q", got.CozeMsg, tt.msg)
			}
			if got.Class == ClassIntercepted && (got.Hint == "" || got.Class.Answered()) {
				t.Errorf("intercepted: hint %q, answered %v", got.Hint, got.Class.Answered())
			}
		})
	}
}

func TestInterceptedMakesTheVerdictPartial(t *testing.T) {
	good := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"code":0}`) }))
	portal := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `<html>portal</html>`) }))
	p := &Prober{Transport: &http.Transport{}}
	rep := p.Run(t.Context(), []Target{
		{Name: "good", Method: "POST", URL: good.URL, Expect: ExpectAPIJSON},
		{Name: "portal", Method: "POST", URL: portal.URL, Expect: ExpectOAuthJSON},
	})
	if rep.Verdict != VerdictPartial || rep.Answered() != 1 {
		t.Errorf("verdict %q with %d answered, want partial with 1", rep.Verdict, rep.Answered())
	}
}

func TestClockSkew(t *testing.T) {
	local := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	dated := func(d time.Duration) string {
		return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", local.Add(d).Format(http.TimeFormat))
			io.WriteString(w, `{"code":0}`)
		})).URL
	}
	tests := []struct {
		name    string
		offsets []time.Duration
		want    time.Duration
		notable bool
	}{
		{"in step", []time.Duration{0, time.Second, 0}, 0, false},
		{"Coze ahead by two minutes", []time.Duration{2 * time.Minute, 2 * time.Minute, 2*time.Minute + time.Second}, 2 * time.Minute, true},
		{"this machine ahead", []time.Duration{-45 * time.Second, -45 * time.Second}, -45 * time.Second, true},
		{"one odd server does not decide", []time.Duration{0, 0, time.Hour}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ts []Target
			for _, d := range tt.offsets {
				ts = append(ts, Target{Name: "x", Method: "GET", URL: dated(d)})
			}
			p := &Prober{Transport: &http.Transport{}, Now: func() time.Time { return local.Add(300 * time.Millisecond) }}
			rep := p.Run(t.Context(), ts)
			if !rep.HasSkew || rep.Skew != tt.want || rep.SkewNotable() != tt.notable {
				t.Errorf("skew %v (has %v, notable %v), want %v (notable %v)", rep.Skew, rep.HasSkew, rep.SkewNotable(), tt.want, tt.notable)
			}
		})
	}
}

func TestRegionVerdicts(t *testing.T) {
	r := func(region string, c Class) Result { return Result{Region: region, Class: c} }
	tests := []struct {
		name      string
		results   []Result
		want      []string
		reachable bool
		recHas    string
	}{
		{"one region: no verdicts", []Result{r("", ClassOK)}, nil, true, ""},
		{"com blocked, cn reachable", []Result{r("com", ClassDNSSuspect), r("com", ClassReset), r("cn", ClassOK), r("cn", ClassAuthRequired)},
			[]string{"com unreachable 0/2", "cn reachable 2/2"}, true,
			"coze.com blocked from here, coze.cn reachable: apps, accounts and tokens differ between regions; use --region cn"},
		{"com partly blocked", []Result{r("com", ClassOK), r("com", ClassIntercepted), r("cn", ClassOK)},
			[]string{"com partial 1/2", "cn reachable 1/1"}, true, "coze.com partly blocked from here, coze.cn reachable"},
		{"both reachable", []Result{r("com", ClassOK), r("cn", ClassOK)},
			[]string{"com reachable 1/1", "cn reachable 1/1"}, true, "all regions reachable"},
		{"neither", []Result{r("com", ClassTimeout), r("cn", ClassOK), r("cn", ClassTLS)},
			[]string{"com unreachable 0/1", "cn partial 1/2"}, false, "no region is fully reachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := NewReport(tt.results, 0, "")
			var got []string
			for _, rv := range rep.Regions {
				got = append(got, rv.Region+" "+string(rv.Verdict)+" "+itoa(rv.Answered)+"/"+itoa(rv.Total))
			}
			if diff := cmpDiff(tt.want, got); diff != "" {
				t.Errorf("regions (-want +got):\n%s", diff)
			}
			if rep.Reachable() != tt.reachable {
				t.Errorf("Reachable() = %v, want %v", rep.Reachable(), tt.reachable)
			}
			if !strings.Contains(rep.Recommendation, tt.recHas) || (tt.recHas == "") != (rep.Recommendation == "") {
				t.Errorf("recommendation %q, want %q", rep.Recommendation, tt.recHas)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func cmpDiff(a, b any) string { return cmp.Diff(a, b) }

// TestWSAccept checks the accept value against RFC 6455's own example.
func TestWSAccept(t *testing.T) {
	if got := wsAccept("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("wsAccept = %q, want RFC 6455's s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", got)
	}
}
