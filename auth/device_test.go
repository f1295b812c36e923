package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// deviceCoze answers the device endpoints: each poll gets the next answer.
func deviceCoze(t *testing.T, answers []string) *httptest.Server {
	t.Helper()
	polls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		json.NewDecoder(r.Body).Decode(&body)
		switch {
		case r.URL.Path == DevicePath:
			fmt.Fprint(w, `{"device_code":"dev1","user_code":"ABCD-EFGH","verification_uri":"http://coze.test/device","expires_in":60,"interval":5}`)
		case r.URL.Path == TokenPath && body["grant_type"] == DeviceGrantType && body["device_code"] == "dev1":
			a := answers[min(polls, len(answers)-1)]
			polls++
			if a == "ok" {
				fmt.Fprintf(w, `{"access_token":"czu_dev","expires_in":%d,"refresh_token":"r_dev"}`, fixedNow.Add(time.Hour).Unix())
				return
			}
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":%q,"error_description":"…"}`, a)
		case r.URL.Path == "/v1/users/me":
			fmt.Fprint(w, `{"code":0,"data":{"user_name":"dev"}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDeviceFlow(t *testing.T) {
	tests := []struct {
		name      string
		answers   []string
		wantWaits []time.Duration
		wantErr   string
	}{
		{"pending, slow_down, success", []string{"authorization_pending", "slow_down", "authorization_pending", "ok"},
			[]time.Duration{5 * time.Second, 5 * time.Second, 10 * time.Second, 10 * time.Second}, ""},
		{"denied", []string{"authorization_pending", "access_denied"}, []time.Duration{5 * time.Second, 5 * time.Second}, "denied"},
		{"expired at coze", []string{"expired_token"}, []time.Duration{5 * time.Second}, "expired"},
		{"expired here before approval", []string{"authorization_pending"}, repeat(5*time.Second, 12), "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := deviceCoze(t, tt.answers)
			clock := fixedNow
			var waits []time.Duration
			m := newTestManager(t, t.TempDir(), srv.URL, func() time.Time { return clock })
			m.Sleep = func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				clock = clock.Add(d)
				return nil
			}
			flow, err := m.BeginDevice(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := flow.Auth().VerificationURL(); got != "http://coze.test/device?user_code=ABCD-EFGH" {
				t.Errorf("verification URL = %s", got)
			}
			res, err := flow.Wait(context.Background())
			if diff := cmp.Diff(tt.wantWaits, waits); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if tt.wantErr != "" {
				var de *DeviceError
				if !errors.As(err, &de) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "--device") {
					t.Fatalf("error = %v, want a DeviceError about %q that says how to retry", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Record.AccessToken != "czu_dev" || res.Record.User.UserName != "dev" {
				t.Errorf("record = %+v", res.Record)
			}
			if saved, _ := m.Store.Load("default"); saved == nil || saved.RefreshToken != "r_dev" {
				t.Errorf("device login not saved: %+v", saved)
			}
		})
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestDeviceIntervalHonouredUpToFiveMinutes(t *testing.T) {
	for _, tt := range []struct {
		interval string
		want     time.Duration
	}{{"0", 5 * time.Second}, {"-3", 5 * time.Second}, {"7", 7 * time.Second}, {"120", 120 * time.Second}, {"300", 300 * time.Second}, {"3600", 300 * time.Second}} {
		body := `{"device_code":"dc","user_code":"ABCD-EFGH","verification_uri":"https://www.coze.com/device","expires_in":600,"interval":` + tt.interval + `}`
		d, err := parseDeviceAnswer(&http.Response{StatusCode: 200}, []byte(body), fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		if d.Interval != tt.want {
			t.Errorf("interval %s: polls every %v, want %v", tt.interval, d.Interval, tt.want)
		}
	}
}

func TestSlowDownGrowthCappedAtAMinute(t *testing.T) {
	var got []time.Duration
	for d := 5 * time.Second; len(got) < 14; {
		d = slowedDown(d)
		got = append(got, d)
	}
	if got[10] != 60*time.Second || got[13] != 60*time.Second || got[9] != 55*time.Second {
		t.Errorf("intervals after repeated slow_down: %v, want +5 s each up to 60 s", got)
	}
	if d := slowedDown(2 * time.Minute); d != 2*time.Minute {
		t.Errorf("slow_down shortened Coze's own 2m interval to %v", d)
	}
	if d := slowedDown(58 * time.Second); d != 60*time.Second {
		t.Errorf("slowedDown(58s) = %v, want 60s", d)
	}
}
