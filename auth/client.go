package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
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
	return &Client{HTTP: hc, APIBase: cfg.API(), ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, UserAgent: UserAgent, Now: now}
}

// UserAgent names cozeauth in every request; main sets the version.
var UserAgent = "cozeauth"

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

// tokenResponse is Coze's success body; expires_in is an absolute Unix time.
type tokenResponse struct {
	AccessToken  string          `json:"access_token"`
	ExpiresIn    json.Number     `json:"expires_in"`
	RefreshToken string          `json:"refresh_token"`
	TokenType    string          `json:"token_type"`
	Code         json.RawMessage `json:"code"`
}

func (c *Client) tokenCall(ctx context.Context, body map[string]string) (*Token, error) {
	resp, data, err := c.postJSON(ctx, TokenPath, body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, parseOAuthError(resp, data)
	}
	var tr tokenResponse
	if err := json.Unmarshal(data, &tr); err != nil {
		return nil, fmt.Errorf("coze answered HTTP %d with a body that is not JSON: %.80q", resp.StatusCode, data)
	}
	if tr.AccessToken == "" {
		// Some gateways answer 200 with an error body.
		if oe := parseOAuthError(resp, data); oe.Code != "" {
			return nil, oe
		}
		return nil, fmt.Errorf("coze answered HTTP %d without an access token", resp.StatusCode)
	}
	now := c.now()
	exp, err := absoluteExpiry(tr.ExpiresIn, now)
	if err != nil {
		return nil, err
	}
	return &Token{
		AccessToken:   tr.AccessToken,
		RefreshToken:  tr.RefreshToken,
		Expiry:        exp,
		RefreshExpiry: now.Add(RefreshTokenLifetime),
		IssuedAt:      now,
	}, nil
}

// absoluteExpiry reads Coze's expires_in, a Unix time in seconds. A small
// number is taken as a duration, in case Coze ever follows RFC 6749 here.
func absoluteExpiry(n json.Number, now time.Time) (time.Time, error) {
	if n == "" {
		return now.Add(15 * time.Minute), nil
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(n), 64)
		if ferr != nil {
			return time.Time{}, fmt.Errorf("coze returned expires_in %q, not a number", n)
		}
		v = int64(f)
	}
	if v < 1_000_000_000 { // before 2001: a duration, not a timestamp
		return now.Add(time.Duration(v) * time.Second), nil
	}
	return time.Unix(v, 0), nil
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
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if c.ClientSecret != "" {
		req.Header.Set("Authorization", "Bearer "+c.ClientSecret)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("reading coze's answer: %w", err)
	}
	return resp, data, nil
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
	e := &OAuthError{StatusCode: resp.StatusCode, Code: b.ErrorCode, Message: b.ErrorMessage, LogID: resp.Header.Get("X-Tt-Logid")}
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

// User is who a token belongs to, from GET /v1/users/me.
type User struct {
	UserID    string `json:"user_id"`
	UserName  string `json:"user_name"`
	NickName  string `json:"nick_name"`
	AvatarURL string `json:"avatar_url,omitempty"`
}

// Display is the friendliest name the user has.
func (u *User) Display() string {
	switch {
	case u == nil:
		return ""
	case u.NickName != "" && u.UserName != "":
		return u.NickName + " (@" + u.UserName + ")"
	case u.NickName != "":
		return u.NickName
	case u.UserName != "":
		return u.UserName
	}
	return u.UserID
}

// Me asks Coze who accessToken belongs to.
func (c *Client) Me(ctx context.Context, accessToken string) (*User, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.APIBase, "/")+"/v1/users/me", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("could not ask coze who is logged in: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var b struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
		Data User   `json:"data"`
	}
	jerr := json.Unmarshal(data, &b)
	if resp.StatusCode/100 != 2 || jerr != nil || b.Code != 0 {
		return nil, &APIError{StatusCode: resp.StatusCode, Code: b.Code, Msg: b.Msg, LogID: resp.Header.Get("X-Tt-Logid")}
	}
	return &b.Data, nil
}
