package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
)

// maxPages bounds `api --paginate`: a list that never ends (or a page_num
// the endpoint ignores) stops here.
const maxPages = 100

// paginate sends the request for page_num after page_num, printing each
// page, while [nextPage] says there is one.
func (c *apiCall) paginate(cmd *cobra.Command, m *auth.Manager, include bool) error {
	u, err := url.Parse(c.url)
	if err != nil {
		return usageError("could not read the URL %s: %v", c.url, err)
	}
	q := u.Query()
	page := 1
	if p := q.Get("page_num"); p != "" {
		if page, err = strconv.Atoi(p); err != nil || page < 1 {
			return usageError("--paginate: page_num %q is not a page number (1, 2, …)", p)
		}
	}
	size, _ := strconv.Atoi(q.Get("page_size")) // 0: not given
	for n := 1; ; n++ {
		q.Set("page_num", strconv.Itoa(page))
		u.RawQuery = q.Encode()
		c.url = u.String()
		body, err := c.run(cmd, m, include)
		if err != nil {
			return err
		}
		if !nextPage(body, size) {
			return nil
		}
		if n == maxPages {
			fmt.Fprintf(cmd.ErrOrStderr(), "note: --paginate stopped after %d pages; ask for the rest with page_num=%d\n", maxPages, page+1)
			return nil
		}
		page++
	}
}

// nextPage says whether a Coze page_num list has a page after the one
// whose answer is body: its data.has_more when it has one, else whether
// the page's list (data itself, or data's first list) is full (as long as
// size, coze-go's rule) or, with no size given, not empty. An answer that
// is not such a list has no next page.
func nextPage(body []byte, size int) bool {
	var reply struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &reply) != nil || len(reply.Data) == 0 {
		return false
	}
	var list []json.RawMessage
	if json.Unmarshal(reply.Data, &list) != nil {
		var data map[string]json.RawMessage
		if json.Unmarshal(reply.Data, &data) != nil {
			return false
		}
		if raw, ok := data["has_more"]; ok {
			var more bool
			return json.Unmarshal(raw, &more) == nil && more
		}
		var found bool
		if list, found = firstList(data); !found {
			return false
		}
	}
	if size > 0 {
		return len(list) >= size
	}
	return len(list) > 0
}

// firstList is the list among data's fields (the first in name order when
// there are several, which Coze's lists do not have).
func firstList(data map[string]json.RawMessage) ([]json.RawMessage, bool) {
	var names []string
	for k := range data {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		var list []json.RawMessage
		if json.Unmarshal(data[k], &list) == nil && list != nil {
			return list, true
		}
	}
	return nil, false
}
