// Command fakebrowser stands in for a person with a web browser in cozeauth's
// end-to-end tests. Set as $BROWSER, it is run as `fakebrowser URL`: it opens
// the sandbox's consent page (or device page), presses Approve — or Deny when
// FAKEBROWSER_ACTION=deny — and follows the redirect to cozeauth's loopback
// callback. It exits 0 when all of that worked and 1, with the reason on
// stderr, when anything did not. When FAKEBROWSER_LOG names a file, the URL
// it was given is appended to it, so a test can check what cozeauth opened.
//
// It only understands the sandbox's own pages, whose forms are simple on
// purpose; a regexp scan is enough and keeps it to the standard library. It
// must not import cozeauth's packages: it plays a person, not the client.
package main

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fakebrowser URL")
		os.Exit(1)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	err := run(client, os.Args[1], os.Getenv("FAKEBROWSER_ACTION"), os.Getenv("FAKEBROWSER_LOG"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "fakebrowser: %v\n", err)
		os.Exit(1)
	}
}

// run visits rawURL and answers the form on it with action ("approve" when empty).
func run(client *http.Client, rawURL, action, logPath string) error {
	if logPath != "" {
		if err := appendLine(logPath, rawURL); err != nil {
			return err
		}
	}
	switch action {
	case "":
		action = "approve"
	case "approve", "deny":
	default:
		return fmt.Errorf("FAKEBROWSER_ACTION must be approve or deny, not %q", action)
	}

	resp, err := client.Get(rawURL)
	if err != nil {
		return fmt.Errorf("could not open the page: %w", err)
	}
	page, err := readBody(resp)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the page answered %s: %s", resp.Status, summary(page))
	}
	f, err := parseForm(page, action)
	if err != nil {
		return fmt.Errorf("%w at %s", err, resp.Request.URL.Redacted())
	}
	target, err := resp.Request.URL.Parse(f.action)
	if err != nil {
		return fmt.Errorf("could not resolve the form action %q: %w", f.action, err)
	}

	// Submit without following, so a sandbox error page is told apart from
	// cozeauth's callback answering.
	noFollow := *client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = noFollow.PostForm(target.String(), f.values)
	if err != nil {
		return fmt.Errorf("could not submit the form: %w", err)
	}
	body, err := readBody(resp)
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return nil // the device page confirms in place; there is no callback
	case resp.StatusCode/100 != 3:
		return fmt.Errorf("submitting %s answered %s: %s", action, resp.Status, summary(body))
	}
	callback, err := resp.Location()
	if err != nil {
		return fmt.Errorf("the redirect after %s has no usable Location: %w", action, err)
	}
	return visitCallback(client, callback, action, logPath)
}

// visitCallback follows the consent page's redirect to cozeauth's callback,
// as the browser does, and logs the title of the page it answers with.
func visitCallback(client *http.Client, callback *url.URL, action, logPath string) error {
	resp, err := client.Get(callback.String())
	if err != nil {
		return fmt.Errorf("could not reach the callback %s: %w", redact(callback), err)
	}
	body, err := readBody(resp)
	if err != nil {
		return err
	}
	if logPath != "" { // what the person would read in the tab
		if err := appendLine(logPath, "page: "+pageTitle(body)); err != nil {
			return err
		}
	}
	// After a denial the callback may well answer with an error page; that it
	// answered at all is what counts. After approval it must be happy.
	if action == "approve" && resp.StatusCode/100 != 2 {
		return fmt.Errorf("the callback %s answered %s: %s", redact(callback), resp.Status, summary(body))
	}
	return nil
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("could not open FAKEBROWSER_LOG: %w", err)
	}
	if _, err := fmt.Fprintln(f, line); err != nil {
		_ = f.Close()
		return fmt.Errorf("could not write FAKEBROWSER_LOG: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("could not write FAKEBROWSER_LOG: %w", err)
	}
	return nil
}

func readBody(resp *http.Response) (string, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("could not read the answer from %s: %w", redact(resp.Request.URL), err)
	}
	return string(b), nil
}

// redact drops the query, which carries the authorization code.
func redact(u *url.URL) string {
	c := *u
	c.RawQuery = ""
	return c.Redacted()
}

type form struct {
	action string
	values url.Values
}

var (
	formRe   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	tagRe    = regexp.MustCompile(`(?is)<(input|button)\b([^>]*)>`)
	attrRe   = regexp.MustCompile(`(?is)([a-z_:-]+)\s*=\s*"([^"]*)"`)
	headRe   = regexp.MustCompile(`(?is)<head\b.*?</head>`)
	markupRe = regexp.MustCompile(`(?s)<[^>]*>`)
)

// parseForm finds the first form offering a submit button name="action"
// value=action and returns what pressing it would send.
func parseForm(page, action string) (form, error) {
	for _, m := range formRe.FindAllStringSubmatch(page, -1) {
		f := form{action: attrs(m[1])["action"], values: url.Values{}}
		found := false
		for _, t := range tagRe.FindAllStringSubmatch(m[2], -1) {
			a := attrs(t[2])
			if a["name"] == "" {
				continue
			}
			isSubmit := strings.EqualFold(t[1], "button") || strings.EqualFold(a["type"], "submit")
			switch {
			case !isSubmit:
				f.values.Set(a["name"], a["value"])
			case a["name"] == "action" && a["value"] == action:
				found = true
			}
		}
		if found {
			f.values.Set("action", action)
			return f, nil
		}
	}
	return form{}, fmt.Errorf("found no form with a %q button", action)
}

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRe.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

// summary makes an HTML page short enough for one line of stderr.
func summary(page string) string {
	page = headRe.ReplaceAllString(page, " ") // the title and style are noise here
	text := strings.Join(strings.Fields(html.UnescapeString(markupRe.ReplaceAllString(page, " "))), " ")
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	if text == "" {
		return "(empty answer)"
	}
	return text
}

// pageTitle is the text of a page's <title>, or "" when it has none.
func pageTitle(page string) string {
	_, rest, ok := strings.Cut(page, "<title>")
	if !ok {
		return ""
	}
	title, _, _ := strings.Cut(rest, "</title>")
	return strings.TrimSpace(title)
}
