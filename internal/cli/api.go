package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
)

// maxErrorBody bounds how much of a response is kept to read Coze's code and
// msg from; the body itself is streamed to stdout whatever its size.
const maxErrorBody = 1 << 20

func newAPICmd(g *globals) *cobra.Command {
	var (
		method  string
		data    string
		headers []string
		include bool
	)
	cmd := &cobra.Command{
		Use:   "api [flags] PATH",
		Short: "Call the Coze open API with the profile's token (like `gh api`)",
		Long: `Send an authenticated request to the profile's API base and print the response
body unchanged. PATH starts with / (a full URL is accepted only when it starts with
the API base, so the token is never sent anywhere else).

The access token is refreshed first when it is about to expire. If Coze answers
401 anyway (the token was revoked, or rotated by another machine), cozeauth
refreshes it once and sends the request once more.

The method is GET, or POST when -d is given. -d takes inline JSON, @file, or @- for
standard input, and sets Content-Type: application/json unless -H sets another.

Exit status: 0 when Coze answers 2xx with code 0 (or no code), 1 otherwise (the
HTTP status, Coze's code and msg and the log id go to standard error), 2 for bad
arguments, 4 when a login is needed.`,
		Example: `  # who am I?
  cozeauth api /v1/users/me

  # start a chat with a bot
  cozeauth api -X POST /v3/chat -d '{"bot_id":"7340000000000000000","user_id":"me",
    "stream":false,"additional_messages":[{"role":"user","content":"Hello","content_type":"text"}]}'

  # the request body from a file, or from standard input
  cozeauth api /v1/workflow/run -d @run.json
  echo '{"workflow_id":"7350000000000000000"}' | cozeauth api /v1/workflow/run -d @-

  # show the status line and response headers (with the log id) too
  cozeauth api -i '/v1/workspaces?page_num=1&page_size=10'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("api takes one PATH, like /v1/users/me (got %d arguments; see `cozeauth api --help`)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			hdr, err := parseHeaders(headers)
			if err != nil {
				return err
			}
			var body []byte
			hasBody := cmd.Flags().Changed("data")
			if hasBody {
				if body, err = readBody(cmd.InOrStdin(), data); err != nil {
					return err
				}
				if hdr.Get("Content-Type") == "" {
					hdr.Set("Content-Type", "application/json")
				}
				if len(body) > 0 && isJSONType(hdr.Get("Content-Type")) && !json.Valid(body) {
					return usageError("the -d body is not valid JSON: check the shell quoting (wrap inline JSON in single quotes), or set another Content-Type with -H")
				}
			}
			if method == "" {
				method = http.MethodGet
				if hasBody {
					method = http.MethodPost
				}
			}
			method = strings.ToUpper(method)
			if !validToken(method) {
				return usageError("-X %q is not an HTTP method: use GET, POST, PUT, PATCH or DELETE", method)
			}
			if hdr.Get("User-Agent") == "" {
				hdr.Set("User-Agent", auth.UserAgent)
			}

			m, err := g.manager()
			if err != nil {
				return err
			}
			url, err := apiURL(m.Config.API(), args[0])
			if err != nil {
				return err
			}
			c := &apiCall{
				client: g.apiHTTPClient(),
				method: method,
				url:    url,
				header: hdr,
				body:   body,
				send:   hasBody,
			}
			return c.run(cmd, m, include)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&method, "method", "X", "", "HTTP method (default GET, or POST with -d)")
	f.StringVarP(&data, "data", "d", "", "request body: inline JSON, @file, or @- for standard input")
	f.StringArrayVarP(&headers, "header", "H", nil, "add a request header 'Name: value' (repeatable)")
	f.BoolVarP(&include, "include", "i", false, "print the HTTP status line and response headers before the body")
	return cmd
}

// apiHTTPClient is the client for `cozeauth api` requests: the usual one
// without its overall timeout, because a workflow run or a streamed chat may
// take minutes. Ctrl-C still cancels through the context.
func (g *globals) apiHTTPClient() *http.Client {
	c := *g.httpClient()
	c.Timeout = 0
	return &c
}

// apiURL joins the API base and a path, and accepts a full URL only on the
// API base so that the token never goes to another host.
func apiURL(base, arg string) (string, error) {
	switch {
	case strings.HasPrefix(arg, "/"):
		return base + arg, nil
	case arg == base:
		return base + "/", nil
	case strings.HasPrefix(arg, base+"/") || strings.HasPrefix(arg, base+"?"):
		return arg, nil
	case strings.Contains(arg, "://"):
		return "", usageError("%q is not on the profile's API base %s: pass a path like /v1/users/me (use --region or --api-base for another Coze host)", arg, base)
	}
	return "", usageError("PATH %q must start with /, like /%s", arg, arg)
}

// parseHeaders reads -H values of the form "Name: value".
func parseHeaders(raw []string) (http.Header, error) {
	h := http.Header{}
	for _, line := range raw {
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || !validToken(name) {
			return nil, usageError("-H %q is not a header: use -H 'Name: value'", line)
		}
		if strings.ContainsAny(value, "\n") {
			return nil, usageError("-H %q: a header value cannot contain a line break", name)
		}
		if strings.EqualFold(name, "Authorization") {
			return nil, usageError("-H Authorization: cozeauth sets it from the profile's token; to send another token use curl with -H \"Authorization: Bearer …\"")
		}
		h.Add(textproto.CanonicalMIMEHeaderKey(name), strings.TrimSpace(value))
	}
	return h, nil
}

// validToken reports whether s is an RFC 9110 token, as header names and
// methods must be.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

func isJSONType(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}

// readBody reads -d's value into memory, so a retried request can send it again.
func readBody(stdin io.Reader, data string) ([]byte, error) {
	switch {
	case data == "@-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("could not read the request body from standard input: %w", err)
		}
		return b, nil
	case strings.HasPrefix(data, "@"):
		b, err := os.ReadFile(data[1:])
		if err != nil {
			return nil, usageError("could not read the request body: %v (-d @file takes a file name; use -d @- for standard input)", err)
		}
		return b, nil
	}
	return []byte(data), nil
}

// apiCall is one `cozeauth api` request, kept whole so it can be sent twice.
type apiCall struct {
	client *http.Client
	method string
	url    string
	header http.Header
	body   []byte
	send   bool // a body was given, even an empty one
}

func (c *apiCall) run(cmd *cobra.Command, m *auth.Manager, include bool) error {
	ctx := cmd.Context()
	rec, err := m.Token(ctx)
	if err != nil {
		return err
	}
	resp, err := c.do(cmd, rec.AccessToken)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		// The token may have been revoked or rotated elsewhere before its
		// expiry: a forced refresh gets a new one, then try once more.
		first := &capBuffer{max: maxErrorBody}
		_, _ = io.Copy(first, io.LimitReader(resp.Body, maxErrorBody))
		drain(resp)
		if rec, err = m.Refresh(ctx); err != nil {
			// Say why the call was refused too: a token of the other region
			// (or a wrong --api-base) is the usual cause, and a new login
			// alone would not fix that.
			return fmt.Errorf("%w; then refreshing the token failed: %w", auth.NewAPIError(resp, first.body()), err)
		}
		if resp, err = c.do(cmd, rec.AccessToken); err != nil {
			return err
		}
	}
	defer drain(resp)

	out := cmd.OutOrStdout()
	if include {
		if err := writeResponseHead(out, resp); err != nil {
			return err
		}
	}
	// Stream the body as it comes (a chat may stream events for minutes),
	// keeping the start of it to read Coze's code and msg from.
	kept := &capBuffer{max: maxErrorBody}
	if _, err := io.Copy(out, io.TeeReader(resp.Body, kept)); err != nil {
		return fmt.Errorf("could not pass on coze's answer to %s %s: %w", c.method, c.url, err)
	}
	return responseError(resp, kept)
}

func (c *apiCall) do(cmd *cobra.Command, token string) (*http.Response, error) {
	var body io.Reader
	if c.send {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(cmd.Context(), c.method, c.url, body)
	if err != nil {
		return nil, usageError("could not build the request: %v", err)
	}
	req.Header = c.header.Clone()
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("could not reach coze: %w; check the network and the API base (--region, --api-base)", err)
	}
	return resp, nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
}

// writeResponseHead prints the status line and the response headers, sorted,
// then a blank line, as curl -i and gh api -i do. These are Coze's headers: the request's
// Authorization header is never among them.
func writeResponseHead(w io.Writer, resp *http.Response) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", resp.Proto, resp.Status)
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// responseError is nil for a 2xx answer whose code is 0 or absent, and an
// exit-1 error carrying an [auth.APIError] otherwise.
func responseError(resp *http.Response, kept *capBuffer) error {
	ae := auth.ReplyError(resp, kept.body())
	if ae == nil {
		return nil
	}
	var err error = ae
	if ae.Hint() == "" && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
		err = fmt.Errorf("%w; the token was refused even after a refresh: check the region (--region cn for coze.cn, com for coze.com) and the app's permissions in the Coze console", ae)
	}
	return &ExitError{Code: ExitFailure, Err: err}
}

// capBuffer keeps the first max bytes written to it and notes whether more came.
type capBuffer struct {
	bytes.Buffer
	max      int
	overflow bool
}

// body is what was kept, or nil when the answer was too long to parse whole.
func (b *capBuffer) body() []byte {
	if b.overflow {
		return nil
	}
	return b.Bytes()
}

func (b *capBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room < len(p) {
		b.overflow = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
