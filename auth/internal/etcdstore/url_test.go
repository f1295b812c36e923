package etcdstore

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseURL(t *testing.T) {
	noEnv := func(string) string { return "" }
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}
	good := []struct {
		name   string
		url    string
		getenv func(string) string
		want   config
	}{
		{"one endpoint, default prefix", "etcd://127.0.0.1:2379", noEnv,
			config{endpoints: []string{"127.0.0.1:2379"}, prefix: "cozeauth"}},
		{"trailing slash is no prefix", "etcd://127.0.0.1:2379/", noEnv,
			config{endpoints: []string{"127.0.0.1:2379"}, prefix: "cozeauth"}},
		{"three endpoints and a nested prefix", "etcd://a:1,b:2,[::1]:3/team/prod/", noEnv,
			config{endpoints: []string{"a:1", "b:2", "[::1]:3"}, prefix: "team/prod"}},
		{"TLS and user from the query", "etcd://h:2379/p?cacert=/ca.pem&cert=/c.pem&key=/k.pem&user=u&password=s%26t", noEnv,
			config{endpoints: []string{"h:2379"}, prefix: "p", cacert: "/ca.pem", cert: "/c.pem", key: "/k.pem", user: "u", password: "s&t"}},
		{"user and password before @", "etcd://u%40x:p%3Aw@h:2379/p", noEnv,
			config{endpoints: []string{"h:2379"}, prefix: "p", user: "u@x", password: "p:w"}},
		{"everything from ETCDCTL_", "etcd://h:2379/p", env(map[string]string{
			"ETCDCTL_CACERT": "/ca", "ETCDCTL_CERT": "/c", "ETCDCTL_KEY": "/k", "ETCDCTL_USER": "root:pw"}),
			config{endpoints: []string{"h:2379"}, prefix: "p", cacert: "/ca", cert: "/c", key: "/k", user: "root", password: "pw"}},
		{"ETCDCTL_PASSWORD with a bare ETCDCTL_USER", "etcd://h:2379/p", env(map[string]string{
			"ETCDCTL_USER": "root", "ETCDCTL_PASSWORD": "pw"}),
			config{endpoints: []string{"h:2379"}, prefix: "p", user: "root", password: "pw"}},
		{"the URL wins over ETCDCTL_", "etcd://h:2379/p?cacert=/mine&user=me&password=mine", env(map[string]string{
			"ETCDCTL_CACERT": "/theirs", "ETCDCTL_USER": "root:theirs", "ETCDCTL_PASSWORD": "theirs"}),
			config{endpoints: []string{"h:2379"}, prefix: "p", cacert: "/mine", user: "me", password: "mine"}},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseURL(tc.url, tc.getenv)
			if err != nil {
				t.Fatalf("parseURL(%q): %v", tc.url, err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(config{})); diff != "" {
				t.Errorf("parseURL(%q) (-want +got):\n%s", tc.url, diff)
			}
		})
	}

	bad := []struct {
		name, url, says string
	}{
		{"other scheme", "http://127.0.0.1:2379", "must start with etcd://"},
		{"no endpoint", "etcd:///p", "names no endpoint"},
		{"no port", "etcd://127.0.0.1/p", `endpoint "127.0.0.1" is not host:port`},
		{"bad port", "etcd://h:99999/p", `endpoint "h:99999" has a bad port`},
		{"empty endpoint in the list", "etcd://a:1,,b:2/p", `endpoint "" is not host:port`},
		{"unknown parameter", "etcd://h:1/p?cafile=/x", `unknown parameter "cafile"`},
		{"repeated parameter", "etcd://h:1/p?user=a&user=b", `"user" is given 2 times`},
		{"cert without key", "etcd://h:1/p?cert=/c", "needs both cert= and key="},
		{"password without user", "etcd://h:1/p?password=secret", "password is given without a user"},
		{"user twice", "etcd://u@h:1/p?user=v", "user is given both"},
		{"empty prefix part", "etcd://h:1/a//b", "has an empty part"},
		{"fragment", "etcd://h:1/p#x", "#fragment"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseURL(tc.url, noEnv)
			if err == nil {
				t.Fatalf("parseURL(%q) took it", tc.url)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.says) {
				t.Errorf("error %q does not say %q", msg, tc.says)
			}
			if !strings.Contains(msg, "for example etcd://") {
				t.Errorf("error %q shows no good URL", msg)
			}
			if strings.Contains(msg, "secret") {
				t.Errorf("error %q shows the password", msg)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"etcd://h:2379/p", "etcd://h:2379/p"},
		{"etcd://u:secret@h:2379,g:2379/p", "etcd://u:xxxxx@h:2379,g:2379/p"},
		{"etcd://u@h:2379/p", "etcd://u@h:2379/p"},
		{"etcd://u:se@cret@h:1/p", "etcd://u:xxxxx@h:1/p"},
		{"etcd://h:1/p?user=u&password=secret&cacert=/ca", "etcd://h:1/p?user=u&password=xxxxx&cacert=/ca"},
		{"etcd://h:1?password=secret", "etcd://h:1?password=xxxxx"},
		{"etcd://h:1/p?pass%77ord=secret", "etcd://h:1/p?pass%77ord=xxxxx"},
		{"etcd://u:secret@h:1/p?password=secret#frag", "etcd://u:xxxxx@h:1/p?password=xxxxx#frag"},
		{"not a url u:secret@h", "not a url u:xxxxx@h"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzParseURL feeds URLs as a user would paste them: parsing never
// panics, and Redact, applied twice, masks no more than once.
func FuzzParseURL(f *testing.F) {
	f.Add("etcd://u:secret@a:1,b:2/p?cacert=/ca&password=secret")
	f.Add("etcd://h:1/p?password=secret#x")
	f.Add("etcd://[::1]:2379/a/b")
	f.Fuzz(func(t *testing.T, raw string) {
		_, _ = parseURL(raw, func(string) string { return "" })
		once := Redact(raw)
		if twice := Redact(once); twice != once {
			t.Errorf("Redact(%q) = %q, but Redact of that = %q", raw, once, twice)
		}
	})
}
