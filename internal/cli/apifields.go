package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// apiField is one -f or -F key=value of `cozeauth api`, its value as it
// goes into a JSON body (a string, a bool, nil or a json.Number).
type apiField struct {
	key   string
	value any
}

// apiFields are the fields in the order given.
type apiFields []apiField

// parseFields reads -f (raw: always a string) and -F (typed: true, false,
// null and JSON numbers as such, @file or @- for a file's or standard
// input's text) as gh api does; -f fields come first.
func parseFields(stdin io.Reader, raw, typed []string) (apiFields, error) {
	var fs apiFields
	for _, kv := range raw {
		k, v, err := splitField("-f", kv)
		if err != nil {
			return nil, err
		}
		fs = append(fs, apiField{k, v})
	}
	for _, kv := range typed {
		k, v, err := splitField("-F", kv)
		if err != nil {
			return nil, err
		}
		tv, err := typedValue(stdin, k, v)
		if err != nil {
			return nil, err
		}
		fs = append(fs, apiField{k, tv})
	}
	return fs, nil
}

func splitField(flag, kv string) (key, value string, err error) {
	key, value, ok := strings.Cut(kv, "=")
	if !ok || key == "" {
		return "", "", usageError("%s %q is not a field: use %s key=value", flag, kv, flag)
	}
	return key, value, nil
}

// typedValue is -F's value v: JSON's literals and numbers, a file's text
// after @ (@- standard input, its last line break dropped), else v.
func typedValue(stdin io.Reader, key, v string) (any, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	if strings.HasPrefix(v, "@") {
		var (
			b   []byte
			err error
		)
		if v == "@-" {
			b, err = io.ReadAll(stdin)
		} else {
			b, err = os.ReadFile(v[1:])
		}
		if err != nil {
			return nil, usageError("-F %s=%s: could not read the value: %v", key, v, err)
		}
		return strings.TrimSuffix(string(b), "\n"), nil
	}
	if isJSONNumber(v) {
		return json.Number(v), nil // a 19-digit Coze id keeps every digit
	}
	return v, nil
}

// isJSONNumber reports whether s is a number as JSON writes one.
func isJSONNumber(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return false
	}
	var n json.Number
	return json.Unmarshal([]byte(s), &n) == nil
}

// query is the fields as query parameters, their values as text.
func (fs apiFields) query() url.Values {
	q := url.Values{}
	for _, f := range fs {
		s := ""
		switch v := f.value.(type) {
		case nil:
		case string:
			s = v
		default:
			s = fmt.Sprint(v)
		}
		q.Add(f.key, s)
	}
	return q
}

// json is the fields as one JSON object, in the order given (a key given
// twice keeps its last value, where it first stood).
func (fs apiFields) json() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	var keys []string
	last := map[string]any{}
	for _, f := range fs {
		if _, ok := last[f.key]; !ok {
			keys = append(keys, f.key)
		}
		last[f.key] = f.value
	}
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(last[k])
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// withQuery is rawURL with q added to its query.
func withQuery(rawURL string, q url.Values) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	all := u.Query()
	for k, vs := range q {
		all.Del(k)
		for _, v := range vs {
			all.Add(k, v)
		}
	}
	u.RawQuery = all.Encode()
	return u.String()
}
