package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// Client makes Coze's token calls. Coze's token endpoint takes a JSON body and
// returns expires_in as an absolute Unix time, so golang.org/x/oauth2's own
// Exchange cannot be used; everything else of x/oauth2 can.
type Client struct {
	HTTP         *http.Client
	APIBase      string // e.g. https://api.coze.com
	ClientID     string
	ClientSecret string // web apps only: sent as Authorization: Bearer <secret>
	UserAgent    string
	Now          func() time.Time
}

// NewClient builds a token client for cfg.
func NewClient(cfg Config, hc *http.Client, now func() time.Time) *Client {
	return &Client{HTTP: hc, APIBase: cfg.API(), ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, UserAgent: coze.DefaultUserAgent, Now: now}
}

// TokenPath is the token endpoint's path on the API host.
const TokenPath = "/api/permission/oauth2/token"

// Exchange trades an authorization code for a token pair. verifier is empty
// for web apps, which authenticate with their secret instead.
func (c *Client) Exchange(ctx context.Context, code, redirectURI, verifier string) (*Token, error) {
	body := map[string]string{
		"grant_type":   "authorization_code",
		"code":         code,
		"client_id":    c.ClientID,
		"redirect_uri": redirectURI,
	}
	if verifier != "" {
		body["code_verifier"] = verifier
	}
	tok, err := c.tokenCall(ctx, body)
	var oe *OAuthError
	if errors.As(err, &oe) {
		oe.RedirectURI = redirectURI
	}
	if err != nil {
		return nil, fmt.Errorf("could not exchange the authorization code: %w", err)
	}
	return tok, nil
}

// Refresh trades a refresh token for a new pair. Coze rotates refresh tokens:
// the one sent stops working, so the caller must persist the new one before
// anything else.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Token, error) {
	tok, err := c.tokenCall(ctx, map[string]string{
		"grant_type":    "refresh_token",
		"refresh_token": refreshToken,
		"client_id":     c.ClientID,
	})
	if err != nil {
		return nil, fmt.Errorf("could not refresh the token: %w", err)
	}
	return tok, nil
}

func (c *Client) tokenCall(ctx context.Context, body map[string]string) (*Token, error) {
	return c.tokenCallAt(ctx, TokenPath, body)
}

// tokenCallAt posts body to a token endpoint at path (JWT apps have scoped
// ones) and reads Coze's answer.
func (c *Client) tokenCallAt(ctx context.Context, path string, body any) (*Token, error) {
	resp, data, err := c.postJSON(ctx, path, body)
	if err != nil {
		return nil, err
	}
	return parseTokenAnswer(resp, data, c.now())
}

// parseTokenAnswer reads the token endpoint's answer. Each field is read on
// its own: after a refresh, Coze has already rotated the refresh token, so
// one odd field (expires_in, say) must not cost the new one. Tokens that are
// not printable ASCII, or too long, make the answer malformed: nothing of it
// is saved or printed.
func parseTokenAnswer(resp *http.Response, data []byte, now time.Time) (*Token, error) {
	if resp.StatusCode/100 != 2 {
		return nil, parseOAuthError(resp, data)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		// Never quote the body: it may hold tokens.
		return nil, &OAuthError{StatusCode: resp.StatusCode, Message: "the answer is not JSON", LogID: resp.Header.Get(coze.LogIDHeader)}
	}
	access, refresh := jsonString(fields["access_token"]), jsonString(fields["refresh_token"])
	if access == "" {
		// Some gateways answer 200 with an error body.
		oe := parseOAuthError(resp, data)
		if oe.Code == "" && oe.Message == "" {
			oe.Message = "the answer has no access token"
		}
		return nil, oe
	}
	for _, t := range []struct{ name, tok string }{{"access token", access}, {"refresh token", refresh}} {
		if err := coze.CheckToken(t.name, t.tok); err != nil {
			return nil, &OAuthError{StatusCode: resp.StatusCode, Message: "malformed answer: " + err.Error(), LogID: resp.Header.Get(coze.LogIDHeader)}
		}
	}
	return &Token{
		AccessToken:   access,
		RefreshToken:  refresh,
		Expiry:        tokenExpiry(fields["expires_in"], resp, now),
		RefreshExpiry: now.Add(RefreshTokenLifetime),
		IssuedAt:      now,
	}, nil
}

// jsonString returns a JSON string's value, or "" for anything else.
func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// maxSkew is how far this machine's clock may be off Coze's before expiry
// times are corrected: Date has a resolution of one second. A difference
// beyond implausibleSkew is taken for a broken Date header and ignored.
const (
	maxSkew         = time.Minute
	implausibleSkew = 12 * time.Hour
)

// clockSkew is how far Coze's clock (its Date header) is ahead of ours.
func clockSkew(resp *http.Response, now time.Time) time.Duration {
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return 0
	}
	skew := date.Sub(now)
	if skew.Abs() <= maxSkew || skew.Abs() > implausibleSkew {
		return 0
	}
	return skew
}

// accessTokenLifetime is what Coze documents, used when expires_in is
// missing or implausible.
const accessTokenLifetime = 15 * time.Minute

// longestAccessLife bounds what expires_in may claim: a wrong far-future
// expiry would hand out a dead token for months.
const longestAccessLife = 24 * time.Hour

// tokenExpiry reads Coze's expires_in, a Unix time in seconds on Coze's
// clock (a number, or a string of one), and places it on ours using the
// answer's Date. A small number is taken as a duration, in case Coze ever
// follows RFC 6749 here. Anything missing, odd or implausible means the
// documented 15 minutes: the token must be saved whatever this field says.
func tokenExpiry(raw json.RawMessage, resp *http.Response, now time.Time) time.Time {
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return now.Add(accessTokenLifetime)
		}
		n = json.Number(s)
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 || f > math.MaxInt32*4 {
		return now.Add(accessTokenLifetime)
	}
	var exp time.Time
	if f < 1_000_000_000 { // before 2001: a duration on our clock
		exp = now.Add(time.Duration(f) * time.Second)
	} else { // a time on Coze's clock, moved onto ours
		exp = time.Unix(int64(f), 0).Add(-clockSkew(resp, now))
	}
	if !exp.After(now) || exp.Sub(now) > longestAccessLife {
		return now.Add(accessTokenLifetime)
	}
	return exp
}

func (c *Client) postJSON(ctx context.Context, path string, body any) (*http.Response, []byte, error) {
	buf, err := json.Marshal(body)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.APIBase, "/")+path, bytes.NewReader(buf))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	coze.SetUserAgent(req.Header, c.UserAgent)
	if c.ClientSecret != "" {
		req.Header.Set("Authorization", "Bearer "+c.ClientSecret)
	}
	resp, err := c.noRedirects().Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 3 {
		return nil, nil, newGrantRedirectError(resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("reading coze's answer: %w", err)
	}
	return resp, data, nil
}

// noRedirects is the HTTP client for grants: a redirect would re-send a
// refresh token, a code or a secret to wherever it points.
func (c *Client) noRedirects() *http.Client {
	hc := *c.httpClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// GrantRedirectError is a 3xx from an endpoint that takes grants. It is never
// followed: nothing is sent again.
type GrantRedirectError struct {
	StatusCode int
	// LocationHost is the host the answer pointed to ("" when none).
	LocationHost string
	LogID        string
}

func newGrantRedirectError(resp *http.Response) *GrantRedirectError {
	e := &GrantRedirectError{StatusCode: resp.StatusCode, LogID: resp.Header.Get(coze.LogIDHeader)}
	if u, err := resp.Location(); err == nil {
		e.LocationHost = u.Host
	}
	return e
}

func (e *GrantRedirectError) Error() string {
	to := "nowhere"
	if e.LocationHost != "" {
		to = coze.Sanitize(e.LocationHost)
	}
	msg := fmt.Sprintf("coze's token endpoint answered HTTP %d, a redirect to %s, which was not followed (tokens are only sent to the API base itself)", e.StatusCode, to)
	if e.LogID != "" {
		msg += " (log id " + coze.Sanitize(e.LogID) + ")"
	}
	return msg + "; check --api-base, $COZE_API_BASE and any proxy"
}

func parseOAuthError(resp *http.Response, data []byte) *OAuthError {
	var b struct {
		Error            string `json:"error"`
		ErrorCode        string `json:"error_code"`
		ErrorMessage     string `json:"error_message"`
		ErrorDescription string `json:"error_description"`
		Msg              string `json:"msg"`
	}
	_ = json.Unmarshal(data, &b)
	e := &OAuthError{StatusCode: resp.StatusCode, Code: b.ErrorCode, Message: b.ErrorMessage, LogID: resp.Header.Get(coze.LogIDHeader), RetryAfter: retryAfter(resp)}
	if e.Code == "" {
		e.Code = b.Error
	}
	if e.Message == "" {
		e.Message = b.ErrorDescription
	}
	if e.Message == "" {
		e.Message = b.Msg
	}
	return e
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// retryAfter reads a Retry-After of seconds or an HTTP date; 0 when absent
// or unreadable.
func retryAfter(resp *http.Response) time.Duration {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(n, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// Me asks Coze who accessToken belongs to.
func (c *Client) Me(ctx context.Context, accessToken string) (*coze.User, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.APIBase, "/")+"/v1/users/me", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	coze.SetUserAgent(req.Header, c.UserAgent)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("could not ask coze who is logged in: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if e := coze.ReplyError(resp, data); e != nil {
		return nil, e
	}
	var b struct {
		Data coze.User `json:"data"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, &coze.APIError{StatusCode: resp.StatusCode, Msg: "the answer is not Coze's JSON", LogID: resp.Header.Get(coze.LogIDHeader)}
	}
	return &b.Data, nil
}
