package pgstore

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:sekret@db.example:5432/cozeauth?sslmode=require", "postgres://u:xxxxx@db.example:5432/cozeauth?sslmode=require"},
		{"postgresql://u:se%40cret@db/x", "postgresql://u:xxxxx@db/x"},
		{"postgres://u:p@ss@word@db/x", "postgres://u:xxxxx@db/x"},
		{"postgres://u@db/x", "postgres://u@db/x"},
		{"postgres://db/x", "postgres://db/x"},
		{"postgres://u:sekret@h1:5432,h2:5433/x?target_session_attrs=read-write", "postgres://u:xxxxx@h1:5432,h2:5433/x?target_session_attrs=read-write"},
		{"postgres://db/x?user=u&password=sekret&sslmode=disable", "postgres://db/x?user=u&password=xxxxx&sslmode=disable"},
		{"postgres://db/x?sslpassword=sekret#frag", "postgres://db/x?sslpassword=xxxxx#frag"},
		{"postgres://db/x?pass%77ord=sekret", "postgres://db/x?password=xxxxx"},
		{"postgres://u:sekret@db", "postgres://u:xxxxx@db"},
		{"host=db user=u password=sekret dbname=x", "host=db user=u password=xxxxx dbname=x"},
		{"host=db password = 'sek ret \\' more' dbname=x", "host=db password = xxxxx dbname=x"},
		{"PASSWORD=sekret", "PASSWORD=xxxxx"},
		{"host=db sslpassword='a b'", "host=db sslpassword=xxxxx"},
		{"password='unterminated sekret", "password=xxxxx"},
		{"mysql://u:sekret@db/x", "mysql://u:xxxxx@db/x"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Redact(tt.in)); diff != "" {
				t.Errorf("Redact(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestOpenRefusesBadURLsWithoutShowingThePassword(t *testing.T) {
	for _, raw := range []string{
		"",
		"   ",
		"postgres://u:sekret@db:notaport/x",
		"postgres://u:sekret@db/x?sslmode=bogus",
		"postgres://u:sekret@db/x?connect_timeout=soon",
		"host=db password='sek ret' sslmode=nope",
		"mysql://u:sekret@db/x",
	} {
		t.Run(raw, func(t *testing.T) {
			e, err := Open(raw)
			if err == nil {
				e.Close()
				t.Fatalf("Open(%q) succeeded; want an error", raw)
			}
			msg := err.Error()
			if strings.Contains(msg, "sekret") || strings.Contains(msg, "sek ret") {
				t.Errorf("Open(%q) error shows the password: %s", raw, msg)
			}
			if !strings.Contains(msg, "postgres://user:password@host:5432/dbname") {
				t.Errorf("Open(%q) error = %q; want it to show the form a URL takes", raw, msg)
			}
		})
	}
}

func TestOpenDoesNotConnectAndSetsAConnectTimeout(t *testing.T) {
	// Nothing listens on port 1 of this address; Open must not care.
	e, err := Open("postgres://u:sekret@127.0.0.1:1/x")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.cfg.ConnectTimeout != defaultConnectTimeout {
		t.Errorf("ConnectTimeout = %v; want %v when the URL names none", e.cfg.ConnectTimeout, defaultConnectTimeout)
	}
	if e.server != "127.0.0.1:1/x" {
		t.Errorf("server = %q; want host:port/db", e.server)
	}
	e2, err := Open("postgres://u@127.0.0.1:1/x?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if e2.cfg.ConnectTimeout.Seconds() != 2 {
		t.Errorf("ConnectTimeout = %v; want the URL's 2s", e2.cfg.ConnectTimeout)
	}
}

// FuzzRedact feeds Redact any text (it sees whatever a user configured) and
// checks it never fails and always masks a password in the usual places.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"sekret", "p@ss:word", "a b'c\\", "", "="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		_ = Redact(pw) // any text: must not panic or loop
		_ = Redact("postgres://" + pw)
		if len(pw) < 6 || strings.ContainsAny(pw, " \t\n\r\f\v'\\") {
			return
		}
		for _, s := range []string{
			"postgres://u:" + url.PathEscape(pw) + "@db.invalid/x",
			"postgres://db.invalid/x?password=" + url.QueryEscape(pw),
			"host=db.invalid password=" + pw,
			"host=db.invalid password='" + pw + "'",
		} {
			if got := Redact(s); strings.Contains(got, pw) || strings.Contains(got, url.PathEscape(pw)) {
				t.Errorf("Redact(%q) = %q; the password shows", s, got)
			}
		}
	})
}
