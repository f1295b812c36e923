package etcdstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxAnswer bounds the body read from one gateway answer; records are a
// few kilobytes and listings a few hundred names.
const maxAnswer = 16 << 20

// retryWindow bounds how long one call keeps going round the endpoints
// when ctx has no earlier deadline: an election takes a few seconds, and
// "none retries for ever" holds even for a ctx that never ends.
const retryWindow = 15 * time.Second

// retryPause is the wait after every endpoint failed once, before the
// next round; it grows by half each round up to maxRetryPause.
const (
	retryPause    = 50 * time.Millisecond
	maxRetryPause = time.Second
)

// gateway calls etcd's v3 JSON gateway (POST /v3/<service>/<method>) on
// a cluster's members with plain net/http, so that the gRPC client and
// its package init stay out of the binary. It sticks to the member that
// last answered and moves on to the next one when a member cannot be
// reached or answers that it has no leader, lost it, or timed out.
type gateway struct {
	client    *http.Client
	endpoints []string // scheme://host:port each
	user      string
	password  string

	next atomic.Int32 // index of the endpoint to try first

	mu    sync.Mutex // guards token and authed
	token string
	// authed is true once a token was asked for (or auth turned out to be
	// off); then a call sends token, if any, without asking again.
	authed bool
}

// gatewayError is an answer of the gateway other than 200: etcd's error
// text, its gRPC code and the HTTP status.
type gatewayError struct {
	status  int
	code    int
	message string
}

// Error is etcd's own text, e.g. "etcdserver: requested lease not found".
func (e *gatewayError) Error() string {
	if e.message == "" {
		return fmt.Sprintf("the etcd gateway answered HTTP %d", e.status)
	}
	return e.message
}

// gRPC codes the gateway reports that the engine tells apart.
const (
	codeNotFound        = 5
	codeUnavailable     = 14
	codeUnauthenticated = 16
)

// isLeaseNotFound reports whether err says the lease is gone.
func isLeaseNotFound(err error) bool {
	var ge *gatewayError
	return errors.As(err, &ge) && (ge.code == codeNotFound || strings.Contains(ge.message, "lease not found"))
}

// isInvalidToken reports whether err says the auth token expired or is
// unknown to the member (simple tokens die with a restart).
func isInvalidToken(err error) bool {
	var ge *gatewayError
	return errors.As(err, &ge) && strings.Contains(ge.message, "invalid auth token")
}

// isAuthNotEnabled reports whether err says the cluster has auth off, in
// which case a user and password are not needed.
func isAuthNotEnabled(err error) bool {
	var ge *gatewayError
	return errors.As(err, &ge) && strings.Contains(ge.message, "authentication is not enabled")
}

// elsewhere reports whether another member may serve what this one
// refused: a 5xx (the gateway's Unavailable, DeadlineExceeded, Internal),
// or etcd saying it has no leader, the leader changed, or the request
// timed out.
func elsewhere(ge *gatewayError) bool {
	if ge.status >= 500 || ge.code == codeUnavailable {
		return true
	}
	for _, s := range []string{"no leader", "leader changed", "timed out"} {
		if strings.Contains(ge.message, s) {
			return true
		}
	}
	return false
}

// call posts req as JSON to path on the cluster and decodes the answer
// into resp, authenticating first when a user is given and once more when
// the token has gone stale.
func (g *gateway) call(ctx context.Context, path string, req, resp any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("could not encode the request to %s: %w", path, err)
	}
	token, err := g.authToken(ctx, false)
	if err != nil {
		return err
	}
	err = g.post(ctx, path, body, token, resp)
	if token != "" && isInvalidToken(err) {
		if token, err = g.authToken(ctx, true); err != nil {
			return err
		}
		err = g.post(ctx, path, body, token, resp)
	}
	return err
}

// authToken returns the token to send: "" without a user; else the one
// cached, or a new one when there is none or renew is set.
func (g *gateway) authToken(ctx context.Context, renew bool) (string, error) {
	if g.user == "" {
		return "", nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.authed && !renew {
		return g.token, nil
	}
	body, err := json.Marshal(authenticateRequest{Name: g.user, Password: g.password})
	if err != nil {
		return "", fmt.Errorf("could not encode the authentication: %w", err)
	}
	var resp authenticateResponse
	err = g.post(ctx, "/v3/auth/authenticate", body, "", &resp)
	if isAuthNotEnabled(err) {
		g.token, g.authed = "", true
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("could not log in as etcd user %q (check user= and password=, or ETCDCTL_USER): %w", g.user, err)
	}
	g.token, g.authed = resp.Token, true
	return g.token, nil
}

// post sends body to path, trying the members in turn from the one that
// last answered, round after round, until one answers, one refuses for a
// reason no other member would change, ctx ends or retryWindow passes.
func (g *gateway) post(ctx context.Context, path string, body []byte, token string, resp any) error {
	give := time.Now().Add(retryWindow)
	pause := retryPause
	n := int32(len(g.endpoints))
	var last error
	for {
		first := g.next.Load()
		for i := range n {
			at := (first + i) % n
			err := g.postTo(ctx, g.endpoints[at], path, body, token, resp)
			if err == nil {
				g.next.Store(at)
				return nil
			}
			if ctx.Err() != nil {
				return g.ended(ctx, last)
			}
			var ge *gatewayError
			if errors.As(err, &ge) && !elsewhere(ge) {
				g.next.Store(at)
				return err
			}
			last = err
		}
		if time.Now().Add(pause).After(give) {
			return fmt.Errorf("no member answered for %s: %w", retryWindow, last)
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return g.ended(ctx, last)
		case <-t.C:
		}
		pause = min(pause*3/2, maxRetryPause)
	}
}

// ended is ctx's error, with the last member's answer before it ended
// if there was one: what kept the call from succeeding in time.
func (g *gateway) ended(ctx context.Context, last error) error {
	if last == nil {
		return ctx.Err()
	}
	return fmt.Errorf("%w (before that: %v)", ctx.Err(), last)
}

// postTo makes one request to one member.
func (g *gateway) postTo(ctx context.Context, endpoint, path string, body []byte, token string, resp any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("could not make the request to %s: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	r, err := g.client.Do(req)
	if err != nil {
		return err
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxAnswer))
		_ = r.Body.Close()
	}()
	dec := json.NewDecoder(io.LimitReader(r.Body, maxAnswer))
	if r.StatusCode != http.StatusOK {
		var eb gatewayErrorBody
		_ = dec.Decode(&eb)
		msg := eb.Message
		if msg == "" {
			msg = eb.Error
		}
		return &gatewayError{status: r.StatusCode, code: eb.Code, message: msg}
	}
	if err := dec.Decode(resp); err != nil {
		return fmt.Errorf("%s answered %s with what is not etcd's JSON (is it an etcd 3.3 or later client URL?): %w", endpoint, path, err)
	}
	return nil
}
