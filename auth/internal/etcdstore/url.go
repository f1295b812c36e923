package etcdstore

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// DefaultPrefix is the key prefix used when the URL has no path.
const DefaultPrefix = "cozeauth"

// exampleURL is shown with every URL error, so the fix is one look away.
const exampleURL = "etcd://10.0.0.1:2379,10.0.0.2:2379/cozeauth?cacert=/etc/etcd/ca.pem"

// config is what an etcd URL says, with the ETCDCTL_ variables filling the
// values it leaves out.
type config struct {
	endpoints []string // host:port each
	prefix    string   // without leading or trailing slash
	cacert    string
	cert      string
	key       string
	user      string
	password  string
}

// tls reports whether the client must speak TLS: any of the files is given.
func (c config) tls() bool { return c.cacert != "" || c.cert != "" || c.key != "" }

// queryKeys are the query parameters an etcd URL may carry.
var queryKeys = map[string]bool{"cacert": true, "cert": true, "key": true, "user": true, "password": true}

// parseURL reads etcd://host:port[,host:port…]/prefix[?cacert=&cert=&key=&user=&password=].
// getenv supplies ETCDCTL_CACERT, ETCDCTL_CERT, ETCDCTL_KEY, ETCDCTL_USER
// (user or user:password) and ETCDCTL_PASSWORD for what the URL leaves out.
func parseURL(rawURL string, getenv func(string) string) (config, error) {
	bad := func(problem string) (config, error) {
		return config{}, fmt.Errorf("bad etcd URL %q: %s; for example %s", Redact(rawURL), problem, exampleURL)
	}
	rest, ok := strings.CutPrefix(rawURL, "etcd://")
	if !ok {
		return bad("it must start with etcd://")
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		return bad("it cannot have a #fragment")
	}
	authority, pathQuery := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, pathQuery = rest[:i], rest[i:]
	}
	path, rawQuery, _ := strings.Cut(pathQuery, "?")
	var c config
	for _, step := range []func() string{
		func() string { return c.readAuthority(authority) },
		func() string { return c.readPrefix(path) },
		func() string { return c.readQuery(rawQuery) },
		func() string { return c.fillFromEnv(getenv) },
	} {
		if problem := step(); problem != "" {
			return bad(problem)
		}
	}
	return c, nil
}

// readAuthority reads user:password@host:port,host:port; it returns what
// is wrong, or "".
func (c *config) readAuthority(authority string) string {
	hosts := authority
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		userinfo := authority[:i]
		hosts = authority[i+1:]
		u, p, hasPassword := strings.Cut(userinfo, ":")
		var err error
		if c.user, err = url.PathUnescape(u); err != nil || c.user == "" {
			return "the user before @ is empty or badly escaped"
		}
		if hasPassword {
			if c.password, err = url.PathUnescape(p); err != nil {
				return "the password before @ is badly escaped"
			}
		}
	}
	if hosts == "" {
		return "it names no endpoint"
	}
	for ep := range strings.SplitSeq(hosts, ",") {
		if err := checkEndpoint(ep); err != nil {
			return fmt.Sprintf("endpoint %q %v", ep, err)
		}
		c.endpoints = append(c.endpoints, ep)
	}
	return ""
}

// readPrefix reads the path, the prefix of cozeauth's keys.
func (c *config) readPrefix(path string) string {
	prefix, err := url.PathUnescape(strings.Trim(path, "/"))
	if err != nil {
		return "the prefix is badly escaped"
	}
	if strings.Contains(prefix, "//") {
		return fmt.Sprintf("the prefix %q has an empty part", prefix)
	}
	if prefix == "" {
		prefix = DefaultPrefix
	}
	c.prefix = prefix
	return ""
}

// readQuery reads cacert, cert, key, user and password from the query.
func (c *config) readQuery(rawQuery string) string {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "the query is badly escaped"
	}
	for k, v := range q {
		if !queryKeys[k] {
			return fmt.Sprintf("it has an unknown parameter %q (known: cacert, cert, key, user, password)", k)
		}
		if len(v) > 1 {
			return fmt.Sprintf("parameter %q is given %d times", k, len(v))
		}
	}
	if q.Has("user") {
		if c.user != "" {
			return "the user is given both before @ and as user="
		}
		c.user = q.Get("user")
	}
	if q.Has("password") {
		if c.password != "" {
			return "the password is given both before @ and as password="
		}
		c.password = q.Get("password")
	}
	c.cacert, c.cert, c.key = q.Get("cacert"), q.Get("cert"), q.Get("key")
	return ""
}

// fillFromEnv takes what the URL left out from the ETCDCTL_* variables,
// and checks that the whole makes sense.
func (c *config) fillFromEnv(getenv func(string) string) string {
	c.cacert = orEnv(c.cacert, getenv, "ETCDCTL_CACERT")
	c.cert = orEnv(c.cert, getenv, "ETCDCTL_CERT")
	c.key = orEnv(c.key, getenv, "ETCDCTL_KEY")
	if c.user == "" {
		u, p, hasPassword := strings.Cut(getenv("ETCDCTL_USER"), ":")
		c.user = u
		if hasPassword && c.password == "" {
			c.password = p
		}
	}
	if c.password == "" {
		c.password = getenv("ETCDCTL_PASSWORD")
	}
	if (c.cert == "") != (c.key == "") {
		return "a client certificate needs both cert= and key= (or ETCDCTL_CERT and ETCDCTL_KEY)"
	}
	if c.password != "" && c.user == "" {
		return "a password is given without a user (add user= or ETCDCTL_USER)"
	}
	return ""
}

// checkEndpoint accepts host:port with a port from 1 to 65535.
func checkEndpoint(ep string) error {
	host, port, err := net.SplitHostPort(ep)
	if err != nil {
		return errors.New("is not host:port")
	}
	if host == "" {
		return errors.New("has no host")
	}
	if strings.ContainsAny(host, " /") {
		return errors.New("has a bad host")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return errors.New("has a bad port")
	}
	return nil
}

// orEnv returns v, or the variable name from getenv when v is empty.
func orEnv(v string, getenv func(string) string, name string) string {
	if v != "" {
		return v
	}
	return getenv(name)
}

// Redact returns rawURL with its password, before @ and in password=,
// replaced by xxxxx, for status output and errors. It works on URLs that
// do not parse too, and changes nothing else.
func Redact(rawURL string) string {
	const mask = "xxxxx"
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		scheme, rest = "", rawURL
	} else {
		scheme += "://"
	}
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		if colon := strings.IndexByte(authority[:at], ':'); colon >= 0 {
			authority = authority[:colon+1] + mask + authority[at:]
		}
	}
	pathPart, query, hasQuery := strings.Cut(tail, "?")
	if hasQuery {
		query, fragment, hasFragment := strings.Cut(query, "#")
		params := strings.Split(query, "&")
		for i, p := range params {
			k, _, _ := strings.Cut(p, "=")
			if name, err := url.QueryUnescape(k); err != nil || strings.EqualFold(name, "password") {
				params[i] = k + "=" + mask
			}
		}
		tail = pathPart + "?" + strings.Join(params, "&")
		if hasFragment {
			tail += "#" + fragment
		}
	}
	return scheme + authority + tail
}
