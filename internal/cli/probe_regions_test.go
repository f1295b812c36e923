package cli

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// regionsNetwork is a network where the hosts of coze.com refuse every
// connection and those of coze.cn reach a loopback TLS server playing Coze,
// whatever the port: an HTTP client for `probe --region all` offline.
func regionsNetwork(t *testing.T, f *probeCoze, comBlocked bool) *http.Client {
	t.Helper()
	srv := httptest.NewUnstartedServer(f.handler)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	closed := strings.TrimPrefix(closedURL(t), "http://")
	tr := &http.Transport{
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			to := srv.Listener.Addr().String()
			if comBlocked && strings.HasSuffix(host, ".coze.com") {
				to = closed
			}
			c, err := (&net.Dialer{}).DialContext(ctx, network, to)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(c, &tls.Config{ServerName: host, InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Close()
				return nil, err
			}
			return tc, nil
		},
	}
	return &http.Client{Transport: tr}
}

func TestProbeAllRegions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		comBlocked bool
		wantCode   int
		want       []string
	}{
		{
			name: "coze.com blocked", comBlocked: true, wantCode: ExitOK,
			want: []string{
				"coze.com · API — the open API, answered without a token\n  v3_chat",
				"coze.cn · WebSocket — the ws host that streams chat\n  ws_chat           401     auth_required",
				"Regions:  coze.com unreachable (0 of 9 answered), coze.cn reachable (9 of 9 answered)",
				"Advice:   coze.com blocked from here, coze.cn reachable: apps, accounts and tokens differ between regions; use --region cn",
			},
		},
		{
			name: "both reachable", wantCode: ExitOK,
			want: []string{"Regions:  coze.com reachable (9 of 9 answered), coze.cn reachable (9 of 9 answered)", "Advice:   all regions reachable"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newProbeCoze(t)
			client := regionsNetwork(t, f, tt.comBlocked)
			res := runProbeCLIWith(t.Context(), t, nil, func(e *Env) { e.HTTP = client }, "probe", "--region", "all", "--timeout", "5s")
			if res.code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr %s", res.code, tt.wantCode, res.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, res.stdout)
				}
			}
		})
	}
}

func TestProbeAllRegionsJSON(t *testing.T) {
	t.Parallel()
	f := newProbeCoze(t)
	client := regionsNetwork(t, f, true)
	res := runProbeCLIWith(t.Context(), t, map[string]string{"COZE_REGION": "all"}, func(e *Env) { e.HTTP = client }, "probe", "--json", "--targets", "current", "--timeout", "5s")
	if res.code != ExitOK {
		t.Fatalf("exit %d, want 0; stderr %s", res.code, res.stderr)
	}
	var got struct {
		Verdict string `json:"verdict"`
		Regions []struct {
			Region, Host, Verdict string
		} `json:"regions"`
		Recommendation string `json:"recommendation"`
		Targets        []struct {
			Region, Name, URL, Class string
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, res.stdout)
	}
	var rows []string
	for _, tg := range got.Targets {
		rows = append(rows, tg.Region+" "+tg.Name+" "+tg.URL+" "+tg.Class)
	}
	want := []string{
		"com v3_chat https://api.coze.com/v3/chat connect_refused",
		"com workflow_run https://api.coze.com/v1/workflow/run connect_refused",
		"com oauth_token https://api.coze.com/api/permission/oauth2/token connect_refused",
		"com oauth_authorize https://www.coze.com/api/permission/oauth2/authorize connect_refused",
		"com ws_chat wss://ws.coze.com/v1/chat connect_refused",
		"cn v3_chat https://api.coze.cn/v3/chat auth_required",
		"cn workflow_run https://api.coze.cn/v1/workflow/run auth_required",
		"cn oauth_token https://api.coze.cn/api/permission/oauth2/token answered",
		"cn oauth_authorize https://www.coze.cn/api/permission/oauth2/authorize ok",
		"cn ws_chat wss://ws.coze.cn/v1/chat auth_required",
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if got.Verdict != "partial" || len(got.Regions) != 2 || got.Regions[0].Verdict != "unreachable" || got.Regions[1].Verdict != "reachable" ||
		!strings.HasPrefix(got.Recommendation, "coze.com blocked from here, coze.cn reachable") {
		t.Errorf("report = %+v", got)
	}
}

func TestProbeAllRegionsBlocked(t *testing.T) {
	t.Parallel()
	// Nothing answers anywhere: exit 3.
	closed := strings.TrimPrefix(closedURL(t), "http://")
	client := &http.Client{Transport: &http.Transport{
		DialTLSContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, closed)
		},
	}}
	res := runProbeCLIWith(t.Context(), t, nil, func(e *Env) { e.HTTP = client }, "probe", "--region", "all", "--targets", "seed")
	if res.code != ExitBlocked {
		t.Errorf("exit %d, want 3", res.code)
	}
	if !strings.Contains(res.stdout, "Advice:   no region is fully reachable from here") {
		t.Errorf("output:\n%s", res.stdout)
	}
}

func TestProbeClockSkew(t *testing.T) {
	t.Parallel()
	f := newProbeCoze(t)
	f.skew = 3 * time.Minute
	res := runProbeCLI(t.Context(), t, nil, "probe", "--api-base", f.srv.URL, "--www-base", f.srv.URL)
	if want := "Clock:    this machine's clock is 3m0s behind Coze's: tokens expire earlier than it expects"; !strings.Contains(res.stdout, want) {
		t.Errorf("output lacks %q:\n%s", want, res.stdout)
	}
}

func TestProbeWatchJSONLines(t *testing.T) {
	t.Parallel()
	f := newProbeCoze(t)
	var slept []time.Duration
	res := runProbeCLIWith(t.Context(), t, nil, func(e *Env) {
		e.Sleep = func(_ context.Context, d time.Duration) error {
			slept = append(slept, d)
			return nil
		}
	}, "probe", "--api-base", f.srv.URL, "--www-base", f.srv.URL, "--watch", "--interval", "7s", "--count", "3", "--targets", "current")
	if res.code != ExitOK {
		t.Fatalf("exit %d, want 0; stderr %s", res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), res.stdout)
	}
	for i, l := range lines {
		var round struct {
			Round   int    `json:"round"`
			Time    string `json:"time"`
			Verdict string `json:"verdict"`
			Targets []struct {
				Name string `json:"name"`
			} `json:"targets"`
		}
		if err := json.Unmarshal([]byte(l), &round); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, l)
		}
		if round.Round != i+1 || round.Time != "2025-06-01T12:00:00Z" || round.Verdict != "reachable" || len(round.Targets) != 5 {
			t.Errorf("line %d = %+v", i+1, round)
		}
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second, 7 * time.Second}, slept); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

// TestProbeWatchStops: Ctrl-C between rounds ends the watch with 130, as
// it ends every command, and the rounds already written stay.
func TestProbeWatchStops(t *testing.T) {
	t.Parallel()
	f := newProbeCoze(t)
	closed := closedURL(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rounds := 0
	res := runProbeCLIWith(ctx, t, nil, func(e *Env) {
		e.Sleep = func(ctx context.Context, d time.Duration) error {
			if rounds++; rounds == 2 {
				cancel()
				return ctx.Err()
			}
			return nil
		}
	}, "probe", "--api-base", f.srv.URL, "--www-base", closed, "--watch", "--targets", "seed")
	if res.code != ExitInterrupted {
		t.Errorf("exit %d, want 130; stderr %s", res.code, res.stderr)
	}
	if n := strings.Count(res.stdout, "\n"); n != 2 {
		t.Errorf("%d rounds written, want 2:\n%s", n, res.stdout)
	}
	if !strings.Contains(res.stdout, `"verdict":"partial"`) {
		t.Errorf("output:\n%s", res.stdout)
	}
}
