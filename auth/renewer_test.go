package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recordingRenewer records the renewals handed to it and answers with
// what it was given.
type recordingRenewer struct {
	got []Renewal
	rec *Record
	err error
}

func (r *recordingRenewer) Renew(_ context.Context, _ *Manager, ren Renewal) (*Record, error) {
	r.got = append(r.got, ren)
	return r.rec, r.err
}

// The Renewer is asked only when a renewal was decided on: never for a
// token that is still good, a remembered refusal or another issuer's
// token, which are answered from the store as before. What it answers is
// what Token and Refresh return.
func TestRenewerIsAskedOnlyToRenew(t *testing.T) {
	refused := testRecord("a")
	refused.Failure = &Failure{At: fixedNow, Refused: true, Reason: "coze refused the refresh token"}
	otherIssuer := testRecord("a")
	otherIssuer.Issuer = Issuer{APIBase: "https://api.coze.cn", ClientID: "1.app.coze"}
	renewed := testRecord("new")
	for _, tt := range []struct {
		name    string
		stored  *Record
		after   time.Duration
		refresh bool // Refresh rather than Token
		want    []Renewal
		wantErr func(error) bool
	}{
		{name: "valid token", stored: testRecord("a")},
		{name: "inside the margin", stored: testRecord("a"), after: 11 * time.Minute, want: []Renewal{{Before: testRecord("a")}}},
		{name: "expired", stored: testRecord("a"), after: time.Hour, want: []Renewal{{Before: testRecord("a")}}},
		{name: "explicit refresh of a valid token", stored: testRecord("a"), refresh: true, want: []Renewal{{Force: true, Before: testRecord("a")}}},
		{name: "explicit refresh with nothing stored", refresh: true, want: []Renewal{{Force: true}}},
		{name: "refusal remembered", stored: refused, after: 11 * time.Minute, wantErr: IsLoginRequired},
		{name: "another issuer", stored: otherIssuer, after: 11 * time.Minute, wantErr: func(err error) bool {
			var mm *IssuerMismatchError
			return errors.As(err, &mm)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			now := func() time.Time { return fixedNow.Add(tt.after) }
			m := newTestManager(t, t.TempDir(), "http://127.0.0.1:1", now) // nothing listens: nothing may be sent
			if tt.stored != nil {
				save(t, m.Store, "default", tt.stored)
			}
			r := &recordingRenewer{rec: renewed}
			m.Renewer = r
			var (
				rec *Record
				err error
			)
			if tt.refresh {
				rec, err = m.Refresh(context.Background())
			} else {
				rec, err = m.Token(context.Background())
			}
			if diff := cmp.Diff(tt.want, r.got); diff != "" {
				t.Errorf("renewals asked (-want +got):\n%s", diff)
			}
			switch {
			case tt.wantErr != nil:
				if !tt.wantErr(err) {
					t.Errorf("err = %v", err)
				}
			case len(tt.want) > 0 && (err != nil || rec != renewed):
				t.Errorf("got %v, %v; want the Renewer's record", rec, err)
			case len(tt.want) == 0 && (err != nil || rec.AccessToken != "a"):
				t.Errorf("got %v, %v; want the stored token", rec, err)
			}
		})
	}

	// What the Renewer answers is what the caller gets, errors included.
	m := newTestManager(t, t.TempDir(), "http://127.0.0.1:1", func() time.Time { return fixedNow.Add(time.Hour) })
	save(t, m.Store, "default", testRecord("a"))
	want := &LoginRequiredError{Profile: "default", Reason: "coze refused the refresh token"}
	m.Renewer = &recordingRenewer{err: want}
	if _, err := m.Token(context.Background()); err != want {
		t.Errorf("Token = %v, want the Renewer's error", err)
	}
}

// RenewHere renews in this process whatever the Renewer: it is what the
// Renewer's process runs, and it counts as work under way for Close.
func TestRenewHereIgnoresTheRenewer(t *testing.T) {
	clock := fixedNow.Add(11 * time.Minute)
	now := func() time.Time { return clock }
	coze, srv := newRotatingCoze(t, now, "r-a")
	m := newTestManager(t, t.TempDir(), srv.URL, now)
	save(t, m.Store, "default", testRecord("a"))
	r := &recordingRenewer{}
	m.Renewer = r

	rec, err := m.RenewHere(context.Background(), Renewal{Before: testRecord("a")})
	if err != nil || rec.AccessToken != "czu_1" || rec.RefreshToken != "r1" {
		t.Fatalf("RenewHere = %v, %v; want czu_1/r1", rec, err)
	}
	if len(r.got) != 0 || coze.refreshs != 1 {
		t.Errorf("renewer asked %d times, %d refreshes; want 0 and 1", len(r.got), coze.refreshs)
	}
	if onDisk, _ := m.Store.Load("default"); onDisk.RefreshToken != "r1" {
		t.Errorf("the rotated refresh token was not saved: %q", onDisk.RefreshToken)
	}
}
