package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

// -f and -F make query parameters of a GET and a JSON body otherwise
// (POST by default), typed as gh api types them.
func TestAPIFields(t *testing.T) {
	t.Parallel()
	note := filepath.Join(t.TempDir(), "note.txt")
	if err := os.WriteFile(note, []byte("from a file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		want     []seenRequest // Method, Query, Body, ContentType
		wantErr  string
	}{
		{"a JSON body, POST by default", []string{"-f", "workflow_id=7350000000000000000", "-F", "is_async=true", "-F", "n=12", "-F", "x=null", "-F", "id=7350000000000000000", "-f", "raw=true"}, "", 0,
			[]seenRequest{{Method: "POST", ContentType: "application/json", Body: `{"workflow_id":"7350000000000000000","raw":"true","is_async":true,"n":12,"x":null,"id":7350000000000000000}`}}, ""},
		{"query parameters of a GET", []string{"-X", "GET", "-F", "page_size=5", "-f", "name=a b"}, "", 0,
			[]seenRequest{{Method: "GET", Query: "name=a+b&page_size=5"}}, ""},
		{"@file and @-", []string{"-F", "note=@" + note, "-F", "in=@-"}, "typed in\n", 0,
			[]seenRequest{{Method: "POST", ContentType: "application/json", Body: `{"note":"from a file","in":"typed in"}`}}, ""},
		{"not key=value", []string{"-f", "novalue"}, "", ExitUsage, nil, `-f "novalue" is not a field`},
		{"fields and -d", []string{"-f", "a=b", "-d", "{}"}, "", ExitUsage, nil, "-f/-F and -d both make the body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeCoze(t, func(w http.ResponseWriter, _ *http.Request, _ string) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"code":0}`)
			})
			dir := t.TempDir()
			storeTokens(t, dir, "default", auth.Settings{Region: coze.RegionCOM, APIBase: fake.srv.URL, ClientID: testClient}, freshToken())
			res := runCLI(t, dir, fake.srv.Client(), tt.stdin, append([]string{"api", "/v1/thing"}, tt.args...)...)
			if res.code != tt.wantCode || !strings.Contains(res.stderr, tt.wantErr) {
				t.Errorf("exit %d, want %d and %q in:\n%s", res.code, tt.wantCode, tt.wantErr, res.stderr)
			}
			var got []seenRequest
			for _, r := range fake.requests() {
				got = append(got, seenRequest{Method: r.Method, Query: r.Query, Body: r.Body, ContentType: r.ContentType})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// --paginate follows page_num while has_more says so, or without it while
// the page is full; each page is printed, through --jq.
func TestAPIPaginate(t *testing.T) {
	t.Parallel()
	const total = 5
	items := func(page, size int) string {
		var ids []string
		for i := (page-1)*size + 1; i <= min(page*size, total); i++ {
			ids = append(ids, fmt.Sprintf(`{"id":"%d"}`, i))
		}
		return "[" + strings.Join(ids, ",") + "]"
	}
	tests := []struct {
		name      string
		reply     func(page, size int) string
		args      []string
		wantPages []string // page_num asked, in order
		wantOut   string
	}{
		{"has_more", func(p, s int) string {
			return fmt.Sprintf(`{"code":0,"data":{"items":%s,"has_more":%t}}`, items(p, s), p*s < total)
		}, []string{"-f", "page_size=2"}, []string{"1", "2", "3"}, "1\n2\n3\n4\n5\n"},
		{"a full page means more", func(p, s int) string {
			return fmt.Sprintf(`{"code":0,"data":{"workspaces":%s,"total_count":5}}`, items(p, s))
		}, []string{"-f", "page_size=2"}, []string{"1", "2", "3"}, "1\n2\n3\n4\n5\n"},
		{"a full last page costs one empty page", func(p, s int) string {
			return fmt.Sprintf(`{"code":0,"data":{"workspaces":%s}}`, items(p, s))
		}, []string{"-f", "page_size=5"}, []string{"1", "2"}, "1\n2\n3\n4\n5\n"},
		{"from the page_num given", func(p, s int) string {
			return fmt.Sprintf(`{"code":0,"data":{"items":%s,"has_more":%t}}`, items(p, s), p*s < total)
		}, []string{"-f", "page_size=2", "-f", "page_num=2"}, []string{"2", "3"}, "3\n4\n5\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeCoze(t, func(w http.ResponseWriter, r *http.Request, _ string) {
				page, _ := strconv.Atoi(r.URL.Query().Get("page_num"))
				size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tt.reply(page, size))
			})
			dir := t.TempDir()
			storeTokens(t, dir, "default", auth.Settings{Region: coze.RegionCOM, APIBase: fake.srv.URL, ClientID: testClient}, freshToken())
			args := append([]string{"api", "--paginate", "-X", "GET", "--jq", ".data | (.items // .workspaces)[].id", "/v1/list"}, tt.args...)
			res := runCLI(t, dir, fake.srv.Client(), "", args...)
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			var pages []string
			for _, r := range fake.requests() {
				q, _ := url.ParseQuery(r.Query)
				pages = append(pages, q.Get("page_num"))
			}
			if diff := cmp.Diff(tt.wantPages, pages); diff != "" {
				t.Errorf("page_num asked (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantOut, res.stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}

// A list that never ends stops at maxPages, and says so.
func TestAPIPaginateBounded(t *testing.T) {
	t.Parallel()
	fake := newFakeCoze(t, func(w http.ResponseWriter, _ *http.Request, _ string) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"code":0,"data":{"has_more":true,"items":[]}}`)
	})
	dir := t.TempDir()
	storeTokens(t, dir, "default", auth.Settings{Region: coze.RegionCOM, APIBase: fake.srv.URL, ClientID: testClient}, freshToken())
	res := runCLI(t, dir, fake.srv.Client(), "", "api", "--paginate", "/v1/list")
	if res.code != 0 || len(fake.requests()) != maxPages || !strings.Contains(res.stderr, "stopped after 100 pages") {
		t.Errorf("exit %d after %d requests, want 0 after %d and a note:\n%s", res.code, len(fake.requests()), maxPages, res.stderr)
	}
	if res := runCLI(t, dir, fake.srv.Client(), "", "api", "--paginate", "-X", "POST", "/v1/list"); res.code != ExitUsage {
		t.Errorf("--paginate with POST: exit %d, want %d", res.code, ExitUsage)
	}
}

// On a terminal's standard error, `api` and `refresh` say that they wait
// for Coze and erase the line when the answer comes; off a terminal, or on
// a dumb one, nothing is said.
func TestWaitingLine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ terminal, dumb, says bool }{{true, false, true}, {false, false, false}, {true, true, false}} {
		for _, args := range [][]string{{"api", "/v1/users/me"}, {"refresh"}, {"status", "--check"}} {
			t.Run(fmt.Sprint(args, tt), func(t *testing.T) {
				t.Parallel()
				fake := newFakeCoze(t, func(w http.ResponseWriter, _ *http.Request, _ string) {
					w.Header().Set("Content-Type", "application/json")
					io.WriteString(w, `{"code":0}`)
				})
				dir := t.TempDir()
				storeTokens(t, dir, "default", auth.Settings{Region: coze.RegionCOM, APIBase: fake.srv.URL, ClientID: testClient}, freshToken())
				var stdout, stderr bytes.Buffer
				code := Run(context.Background(), args, &Env{
					Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
					Getenv: func(k string) string {
						if k == "COZEAUTH_CONFIG_DIR" {
							return dir
						}
						if k == "TERM" && tt.dumb {
							return "dumb"
						}
						return ""
					},
					HTTP: fake.srv.Client(), Now: func() time.Time { return testNow }, Version: "test",
					StderrIsTerminal: func() bool { return tt.terminal },
				})
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr.String())
				}
				said := strings.Contains(stderr.String(), "Coze…") && strings.HasSuffix(stderr.String(), "\r\x1b[K")
				if said != tt.says || !tt.says && stderr.Len() != 0 {
					t.Errorf("%+v: stderr = %q", tt, stderr.String())
				}
			})
		}
	}
}
