package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
)

// blockingCoze is a token endpoint that holds each grant until released,
// then answers with a new pair: what the wizard meets when it is quit in the
// middle of a refresh or a code exchange.
type blockingCoze struct {
	started chan string // grant_type of each request, once it arrived
	release chan struct{}
}

func newBlockingCoze(t *testing.T) (*blockingCoze, *httptest.Server) {
	c := &blockingCoze{started: make(chan string, 4), release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != auth.TokenPath {
			http.NotFound(w, r)
			return
		}
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		c.started <- body["grant_type"]
		<-c.release
		fmt.Fprintf(w, `{"access_token":"czu_new_%s","expires_in":%d,"refresh_token":"r_new"}`, body["grant_type"], time.Now().Add(15*time.Minute).Unix())
	}))
	t.Cleanup(srv.Close)
	return c, srv
}

// The wizard builds a Manager per screen and, when quit, waits on what all
// of them share. Quitting in the middle of a refresh and in the middle of a
// code exchange must leave the new tokens on disk.
func TestQuittingTheWizardKeepsTokensUnderWay(t *testing.T) {
	tests := []struct {
		grant string
		start func(ctx context.Context, m *auth.Manager) error
	}{
		{"refresh_token", func(ctx context.Context, m *auth.Manager) error {
			_, err := m.Refresh(ctx)
			return err
		}},
		{"authorization_code", func(ctx context.Context, m *auth.Manager) error {
			flow, err := m.BeginLogin(false)
			if err != nil {
				return err
			}
			_, err = flow.Finish(ctx, "the-code")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.grant, func(t *testing.T) {
			coze, srv := newBlockingCoze(t)
			var stderr bytes.Buffer
			g := &globals{env: &Env{Stderr: &stderr, Getenv: func(string) string { return "" }}, flags: sharedFlags{configDir: t.TempDir()}, run: &runState{}}
			st, err := g.store()
			if err != nil {
				t.Fatal(err)
			}
			cfg := auth.Config{Profile: "default", Settings: auth.Settings{ClientID: "1.app.coze", APIBase: srv.URL}}
			// A stored pair for the refresh to spend.
			seed := g.managerFor(cfg, st)
			l, err := seed.Store.Lock(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			err = l.Save("default", &auth.Record{Token: auth.Token{AccessToken: "czu_old", RefreshToken: "r_old", Expiry: now.Add(time.Minute), IssuedAt: now}})
			l.Unlock()
			if err != nil {
				t.Fatal(err)
			}

			ctx, quit := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- tt.start(ctx, g.managerFor(cfg, st)) }()
			if got := <-coze.started; got != tt.grant {
				t.Fatalf("the endpoint saw %s, want %s", got, tt.grant)
			}
			quit() // the person quits the wizard; ui.Run returns
			if !g.run.pending.Busy() {
				t.Fatal("nothing is pending while the grant is at Coze")
			}
			waited := make(chan struct{})
			go func() { g.waitForPending(&stderr, time.Hour); close(waited) }()
			close(coze.release)
			<-waited
			rec, err := g.managerFor(cfg, st).Store.Load("default")
			if err != nil || rec == nil {
				t.Fatalf("Load = %v, %v", rec, err)
			}
			if want := "czu_new_" + tt.grant; rec.AccessToken != want || rec.RefreshToken != "r_new" {
				t.Errorf("on disk after quitting: %s/%s, want %s/r_new", rec.AccessToken, rec.RefreshToken, want)
			}
			if err := <-done; err != nil {
				t.Errorf("the grant under way failed: %v", err)
			}
		})
	}
}
