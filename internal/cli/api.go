package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

// maxErrorBody bounds how much of a response is kept to read Coze's code and
// msg from; the body itself is streamed to stdout whatever its size.
const maxErrorBody = 1 << 20

// apiOptions are `cozeauth api`'s flags and its PATH.
type apiOptions struct {
	path          string
	method        string
	data          string
	dataGiven     bool
	headers       []string
	include       bool
	jq            string
	jqGiven       bool
	fields, typed []string // -f and -F
	paginate      bool
}

func newAPICmd(g *globals) *cobra.Command {
	var o apiOptions
	cmd := &cobra.Command{
		Use:         "api [flags] PATH",
		GroupID:     groupUse,
		Annotations: annotations("profile region api-base refresh-margin", annEnvToken),
		Short:       "Call the Coze open API with the profile's token (like `gh api`)",
		Long: `Send an authenticated request to the profile's API base and print the response
body unchanged. PATH starts with / (a full URL is accepted only when it starts with
the API base, so the token is never sent anywhere else).

The access token is refreshed first when it is about to expire. If Coze answers
401 with a code that says the token is invalid (4100, 700012006) and the token
is more than a minute old (it was revoked, or rotated by another machine),
cozeauth refreshes it once and sends the request once more. Any other refusal
is reported as it is, with the path, Coze's code and message and a hint: a
refresh cannot fix a wrong path, a permission the app lacks or the region.

The method is GET, or POST when -d, -f or -F is given. -d takes inline JSON, @file,
or @- for standard input, and sets Content-Type: application/json unless -H sets
another. -f key=value adds a string field, -F key=value a typed one (true, false,
null and numbers become JSON's; @file or @- reads the value from a file or standard
input), as gh api does: query parameters of a GET, else the keys of a JSON object
sent as the body.

--paginate follows Coze's page_num lists (GET): it asks for page_num 1, 2, … (from
the page_num given, if any) and prints each page as it comes (--jq applies to each),
while the answer's data.has_more is true or, with no has_more, while the page's list
is as long as page_size (an empty page ends it when no page_size was given); at
most 100 pages.

On a terminal a JSON answer is indented and coloured (plain with NO_COLOR);
into a pipe it is passed on byte for byte. --jq filters a JSON answer with a
jq expression (strings are printed without quotes, as jq -r does).

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
  cozeauth api -i '/v1/workspaces?page_num=1&page_size=10'

  # one field of the answer
  cozeauth api --jq .data.user_name /v1/users/me

  # fields: a JSON body {"workflow_id":"7350000000000000000","is_async":true}
  cozeauth api /v1/workflow/run -f workflow_id=7350000000000000000 -F is_async=true

  # every workspace, page after page, their names only
  cozeauth api --paginate -X GET -F page_size=50 /v1/workspaces --jq '.data.workspaces[].name'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("api takes one PATH, like /v1/users/me (got %d arguments; see `cozeauth api --help`)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.path, o.dataGiven, o.jqGiven = args[0], cmd.Flags().Changed("data"), cmd.Flags().Changed("jq")
			return runAPI(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.method, "method", "X", "", "HTTP method (default GET, or POST with -d, -f or -F)")
	f.StringVarP(&o.data, "data", "d", "", "request body: inline JSON, @file, or @- for standard input")
	f.StringArrayVarP(&o.fields, "raw-field", "f", nil, "add a string field key=value: a query parameter of a GET, else a key of the JSON body (repeatable)")
	f.StringArrayVarP(&o.typed, "field", "F", nil, "add a typed field key=value: true, false, null and numbers as JSON's, @file or @- read from a file or standard input (repeatable)")
	f.StringArrayVarP(&o.headers, "header", "H", nil, "add a request header 'Name: value' (repeatable)")
	f.BoolVarP(&o.include, "include", "i", false, "print the HTTP status line and response headers before the body")
	f.StringVarP(&o.jq, "jq", "q", "", "filter a JSON answer with a jq expression, like gh api --jq")
	f.BoolVar(&o.paginate, "paginate", false, "follow Coze's page_num pages of a GET list, printing each (at most 100)")
	return cmd
}

// runAPI is `cozeauth api`: the request built from o, sent with the
// profile's token, once or page after page.
func runAPI(cmd *cobra.Command, g *globals, o apiOptions) error {
	c, err := g.apiRequest(cmd.InOrStdin(), o)
	if err != nil {
		return err
	}
	m, err := g.manager()
	if err != nil {
		return err
	}
	if c.url, err = apiURL(m.Config.API(), o.path); err != nil {
		return err
	}
	if c.query != nil {
		c.url = withQuery(c.url, c.query)
	}
	if o.paginate {
		return c.paginate(cmd, m, o.include)
	}
	_, err = c.run(cmd, m, o.include)
	return err
}

// apiRequest checks o and builds the request it describes, but for its URL.
func (g *globals) apiRequest(stdin io.Reader, o apiOptions) (*apiCall, error) {
	hdr, err := parseHeaders(o.headers)
	if err != nil {
		return nil, err
	}
	out, err := g.apiOutputFor(o)
	if err != nil {
		return nil, err
	}
	fields, err := parseFields(stdin, o.fields, o.typed) // apifields.go
	if err != nil {
		return nil, err
	}
	method := strings.ToUpper(o.method)
	if method == "" {
		method = http.MethodGet
		if o.dataGiven || len(fields) > 0 {
			method = http.MethodPost
		}
	}
	if !validToken(method) {
		return nil, usageError("-X %q is not an HTTP method: use GET, POST, PUT, PATCH or DELETE", method)
	}
	if o.paginate && method != http.MethodGet {
		return nil, usageError("--paginate follows the page_num of a GET list: add -X GET (fields then go in the query)")
	}
	c := &apiCall{client: g.apiHTTPClient(), now: g.now, method: method, header: hdr, static: g.envToken(), output: out, waiting: g.waitingLine}
	if err := c.setPayload(stdin, o, fields); err != nil {
		return nil, err
	}
	if c.send {
		if hdr.Get("Content-Type") == "" {
			hdr.Set("Content-Type", "application/json")
		}
		if len(c.body) > 0 && isJSONType(hdr.Get("Content-Type")) && !json.Valid(c.body) {
			return nil, usageError("the -d body is not valid JSON: check the shell quoting (wrap inline JSON in single quotes), or set another Content-Type with -H")
		}
	}
	coze.SetUserAgent(hdr, g.userAgent()) // unless -H set them
	return c, nil
}

// apiOutputFor is how the answer is written: reshaped on a terminal,
// coloured without NO_COLOR, through --jq when given.
func (g *globals) apiOutputFor(o apiOptions) (apiOutput, error) {
	out := apiOutput{pretty: isTerminal(g.env.Stdout)}
	out.color = out.pretty && g.getenv("NO_COLOR") == ""
	if o.jqGiven {
		var err error
		if out.jq, err = compileJQ(o.jq); err != nil {
			return out, err
		}
	}
	return out, nil
}

// setPayload puts the fields in the query of a GET or in a JSON body, or
// sends -d's body.
func (c *apiCall) setPayload(stdin io.Reader, o apiOptions, fields apiFields) error {
	var err error
	switch {
	case len(fields) > 0 && c.method == http.MethodGet:
		c.query = fields.query()
	case len(fields) > 0 && o.dataGiven:
		return usageError("-f/-F and -d both make the body: put the fields in the -d JSON, or add -X GET to send them as query parameters")
	case len(fields) > 0:
		c.body, c.send = fields.json(), true
	case o.dataGiven:
		if c.body, err = readBody(stdin, o.data); err != nil {
			return err
		}
		c.send = true
	}
	return nil
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
	now    func() time.Time
	method string
	url    string
	header http.Header
	body   []byte
	send   bool   // a body was given, even an empty one
	static string // $COZE_API_TOKEN, when set
	output apiOutput
	// query holds -f/-F fields of a GET, added to the URL's query.
	query url.Values
	// waiting says on a terminal that Coze is being waited for (waiting.go).
	waiting func(what string) (done func())
}

// run sends the request once and prints the answer; it returns the start
// of the answer's body (up to maxErrorBody, nil when longer), which
// paginate reads the next page from.
func (c *apiCall) run(cmd *cobra.Command, m *auth.Manager, include bool) ([]byte, error) {
	ctx := cmd.Context()
	done := c.waiting("Waiting for Coze…")
	var rec *auth.Record
	if c.static != "" { // $COZE_API_TOKEN: used as it is, never refreshed
		rec = &auth.Record{Token: auth.Token{AccessToken: c.static}}
	} else {
		var err error
		if rec, err = m.Token(ctx); err != nil {
			done()
			return nil, err
		}
	}
	resp, err := c.do(cmd, rec.AccessToken)
	if err != nil {
		done()
		return nil, err
	}
	refreshed := false
	if resp.StatusCode == http.StatusUnauthorized && c.static == "" { // $COZE_API_TOKEN is never refreshed
		if resp, refreshed, err = c.retryIfItHelps(cmd, m, rec, resp); err != nil {
			done()
			return nil, err
		}
	}
	done() // the answer has begun: it is printed now, however long it streams
	defer drain(resp)

	out := cmd.OutOrStdout()
	if include {
		if err := writeResponseHead(out, resp); err != nil {
			return nil, err
		}
	}
	kept := &capBuffer{max: maxErrorBody}
	if err := c.writeBody(out, resp, kept); err != nil {
		return nil, err
	}
	return kept.body(), c.responseError(resp, kept, rec, refreshed)
}

// writeBody passes resp's body on to out, keeping its start in kept to read
// Coze's code and msg from. A JSON answer that is to be reshaped (a
// terminal, --jq) is read whole first; anything else, or one too long to
// read whole, streams as it comes (a chat may stream events for minutes).
func (c *apiCall) writeBody(out io.Writer, resp *http.Response, kept *capBuffer) error {
	body := io.TeeReader(resp.Body, kept)
	if c.output.shapes(resp) {
		whole, err := io.ReadAll(io.LimitReader(body, maxShapedBody+1))
		if err != nil {
			return fmt.Errorf("could not read coze's answer to %s %s: %w", c.method, c.url, err)
		}
		if len(whole) <= maxShapedBody {
			return c.output.write(out, whole, resp.StatusCode/100 == 2)
		}
		if c.output.jq != nil {
			return fmt.Errorf("--jq: coze's answer to %s %s is over %d MiB: run without --jq and filter it yourself", c.method, c.url, maxShapedBody>>20)
		}
		body = io.MultiReader(bytes.NewReader(whole), body)
	}
	if _, err := io.Copy(out, body); err != nil {
		return fmt.Errorf("could not pass on coze's answer to %s %s: %w", c.method, c.url, err)
	}
	return nil
}

// retryIfItHelps handles a 401. Only when Coze's code says the token is
// invalid (4100, 700012006) and the token is not brand new does a refresh
// stand a chance — the token was revoked, or rotated by another machine —
// so only then is it refreshed and the request sent once more. Otherwise
// the first answer is passed on as it is, body and all.
func (c *apiCall) retryIfItHelps(cmd *cobra.Command, m *auth.Manager, rec *auth.Record, resp *http.Response) (*http.Response, bool, error) {
	first := &capBuffer{max: maxErrorBody}
	_, _ = io.Copy(first, io.LimitReader(resp.Body, maxErrorBody))
	ae := coze.NewAPIError(resp, first.body())
	if !ae.RefreshMayFix(rec.IssuedAt, c.now()) { // the rule the proxy follows too
		// Replay what was read ahead of the rest of the body.
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(first.Bytes()), resp.Body), resp.Body}
		return resp, false, nil
	}
	drain(resp)
	rec, err := m.Refresh(cmd.Context())
	if err != nil {
		// Say why the call was refused too: a token of the other region
		// (or a wrong --api-base) is the usual cause, and a new login
		// alone would not fix that.
		return nil, false, fmt.Errorf("%s %s: %w; then refreshing the token failed: %w", c.method, c.path(), ae, err)
	}
	resp, err = c.do(cmd, rec.AccessToken)
	return resp, true, err
}

// age is how long ago the token was minted or last refreshed; a token with
// no record of it counts as old.
func (c *apiCall) age(rec *auth.Record) time.Duration {
	if rec.IssuedAt.IsZero() {
		return time.Duration(1<<63 - 1)
	}
	return c.now().Sub(rec.IssuedAt)
}

// path is the request's path and query, for messages.
func (c *apiCall) path() string {
	if u, err := url.Parse(c.url); err == nil {
		return u.RequestURI()
	}
	return c.url
}

// readCloser reads from one reader and closes another.
type readCloser struct {
	io.Reader
	io.Closer
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
// exit-1 error otherwise: the method and path, the [coze.APIError] (status,
// Coze's code and message, log id) and what to do about it.
func (c *apiCall) responseError(resp *http.Response, kept *capBuffer, rec *auth.Record, refreshed bool) error {
	ae := coze.ReplyError(resp, kept.body())
	if ae == nil {
		return nil
	}
	err := fmt.Errorf("%s %s: %w", c.method, c.path(), ae)
	if h := c.refusalHint(ae, rec, refreshed); h != "" {
		err = fmt.Errorf("%w; %s", err, h)
	}
	return &ExitError{Code: ExitFailure, Err: err}
}

// refusalHint says what to do about an answer [coze.APIError.Hint] has no
// words for: a path Coze does not have, a refusal that a refresh did not
// or could not fix.
func (c *apiCall) refusalHint(ae *coze.APIError, rec *auth.Record, refreshed bool) string {
	status := ae.StatusCode
	switch {
	case status == http.StatusNotFound:
		return "Coze has no such path: check it against Coze's API reference (e.g. /v1/workflow/run, singular; /v3/chat for chat)"
	case status != http.StatusUnauthorized && status != http.StatusForbidden:
		return ""
	case c.static != "":
		return "$COZE_API_TOKEN is used as it is and never refreshed: check that it has not expired or been revoked in the Coze console, or unset it to use the profile's login"
	case refreshed:
		return "the token was refused even after a refresh: check the region (--region cn for coze.cn, com for coze.com) and the app's permissions in the Coze console"
	case ae.TokenInvalid():
		return fmt.Sprintf("the token is %s old, so it was not refreshed: Coze refused a new token, which points at the region (--region cn for coze.cn, com for coze.com) or the API base, not at its age", fmtAge(c.age(rec)))
	case ae.Code != 0:
		return "not refreshed: a refresh does not change what this code means; check the path, the app's permissions in the Coze console, and the region"
	}
	return "not refreshed: the answer carries no Coze code, so something other than Coze's API may have refused it; check the path and the API base (--api-base)"
}

// fmtAge shows a token's age in whole seconds.
func fmtAge(d time.Duration) string {
	return d.Round(time.Second).String()
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
