package pgstore

import (
	"net/url"
	"strings"
)

// mask replaces a password wherever Redact finds one.
const mask = "xxxxx"

// Redact returns rawURL with every password in it masked as xxxxx: the
// password of a URL's userinfo, a URL's password= or sslpassword= query
// value, and a keyword string's password= or sslpassword= value, quoted or
// not. Any other scheme:// is masked as a URL too. Use it wherever a shared-store URL is shown or logged; the rest of
// the URL (host, port, database, user) is left as it was so the reader can
// still tell which server it names.
func Redact(rawURL string) string {
	// Any scheme://, not only postgres's, is read as a URL: a mistyped
	// scheme is still a URL with a password in it.
	if i := strings.Index(rawURL, "://"); i > 0 && !strings.ContainsAny(rawURL[:i], " \t=") {
		return redactURL(rawURL)
	}
	return redactKeywords(rawURL)
}

// redactURL masks the userinfo password and the password query values of
// a postgres:// URL. It works on the text rather than through url.Parse so
// that what url.Parse refuses (several hosts, stray characters) is masked
// too.
func redactURL(s string) string {
	scheme := strings.Index(s, "://") + len("://")
	rest := s[scheme:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		if colon := strings.Index(authority[:at], ":"); colon >= 0 {
			authority = authority[:colon+1] + mask + authority[at:]
		}
	}
	if q := strings.Index(tail, "?"); q >= 0 {
		query, fragment := tail[q+1:], ""
		if h := strings.Index(query, "#"); h >= 0 {
			query, fragment = query[:h], query[h:]
		}
		pairs := strings.Split(query, "&")
		for i, p := range pairs {
			key, _, found := strings.Cut(p, "=")
			if decoded, err := url.QueryUnescape(key); err == nil {
				key = decoded
			}
			if found && isPasswordKey(key) {
				pairs[i] = key + "=" + mask
			}
		}
		tail = tail[:q+1] + strings.Join(pairs, "&") + fragment
	}
	return s[:scheme] + authority + tail
}

// redactKeywords masks the password values of a libpq keyword string
// (host=db password='a b' dbname=x), following libpq's rules: a value is
// either single-quoted with backslash escapes or runs to the next space.
func redactKeywords(s string) string {
	var b strings.Builder
	i := 0
	for i < len(s) {
		// Copy spaces, then read a keyword up to '='.
		j := skipSpaces(s, i)
		k := j
		for k < len(s) && s[k] != '=' && !isSpace(s[k]) {
			k++
		}
		key := s[j:k]
		k = skipSpaces(s, k)
		if k >= len(s) || s[k] != '=' {
			b.WriteString(s[i:k])
			i = k
			if k == j && i < len(s) {
				// Not a keyword at all: copy one byte so the scan moves on.
				b.WriteByte(s[i])
				i++
			}
			continue
		}
		k = skipSpaces(s, k+1)
		v := valueEnd(s, k)
		b.WriteString(s[i:k])
		if isPasswordKey(key) {
			b.WriteString(mask)
		} else {
			b.WriteString(s[k:v])
		}
		i = v
	}
	return b.String()
}

// skipSpaces returns the index of the first non-space byte of s from i.
func skipSpaces(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// valueEnd returns where the keyword value starting at v ends: after its
// closing quote (backslash escapes skipped) or at the next space.
func valueEnd(s string, v int) int {
	if v < len(s) && s[v] == '\'' {
		v++
		for v < len(s) && s[v] != '\'' {
			if s[v] == '\\' {
				v++
			}
			v++
		}
		return min(v+1, len(s))
	}
	for v < len(s) && !isSpace(s[v]) {
		v++
	}
	return v
}

func isPasswordKey(key string) bool {
	key = strings.ToLower(key)
	return key == "password" || key == "sslpassword"
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
