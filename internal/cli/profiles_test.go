package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

const webSecret = "webAppClientSecret0123456789"

// twoProfiles stores a logged-in "default" on coze.com and a "work" web app
// on coze.cn whose refresh token ran out a day ago.
func twoProfiles(t *testing.T, dir string) {
	t.Helper()
	storeTokens(t, dir, "default", auth.Settings{Region: coze.RegionCOM, ClientID: testClient}, freshToken())
	storeTokens(t, dir, "work", auth.Settings{Region: coze.RegionCN, ClientID: "7420000000000000002.app.coze"}, nil)
	l, err := auth.NewStore(dir).Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	issued := testNow.Add(-31 * 24 * time.Hour)
	err = l.Save("work", &auth.Record{
		Token:        auth.Token{AccessToken: "czu_workAccess0123456789abcdef", RefreshToken: "workRefresh0123456789abcdef", Expiry: issued.Add(15 * time.Minute), RefreshExpiry: issued.Add(30 * 24 * time.Hour), IssuedAt: issued},
		ClientSecret: webSecret,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		args  []string
		// want is compared line by line with runs of spaces collapsed, so
		// that the column widths of the local time zone do not matter.
		want string
	}{
		{
			name:  "table",
			setup: twoProfiles,
			args:  []string{"profiles"},
			// No terminal and no $COLUMNS: every column, every cell whole.
			want: `PROFILE REGION CLIENT ID TYPE LOGGED IN ACCESS REFRESH
default com 7420000000000000001.app.coze pkce yes 10m left 29 days left
work cn 7420000000000000002.app.coze web no expired expired
Profile "work": the refresh token expired 24h ago: run
` + "`cozeauth login --profile work`" + `
`,
		},
		{
			name:  "JSON",
			setup: twoProfiles,
			args:  []string{"profiles", "--json"},
			want: `[
{
"profile": "default",
"default": true,
"region": "com",
"client_id": "7420000000000000001.app.coze",
"app_type": "pkce",
"state": "logged_in",
"logged_in": true,
"access_token_expires_at": "2025-06-01T12:10:00Z",
"refresh_token_expires_at": "2025-06-30T12:00:00Z"
},
{
"profile": "work",
"region": "cn",
"client_id": "7420000000000000002.app.coze",
"app_type": "web",
"state": "expired",
"logged_in": false,
"problem": "the refresh token expired 24h ago: run ` + "`cozeauth login --profile work`" + `",
"access_token_expires_at": "2025-05-01T12:15:00Z",
"refresh_token_expires_at": "2025-05-31T12:00:00Z"
}
]
`,
		},
		{
			name: "settings without tokens, tokens without settings",
			setup: func(t *testing.T, dir string) {
				storeTokens(t, dir, "new", auth.Settings{ClientID: testClient}, nil)
				l, err := auth.NewStore(dir).Lock(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				defer l.Unlock()
				if err := l.Save("old", &auth.Record{Token: auth.Token{AccessToken: oldAccess, Expiry: testNow.Add(-time.Hour)}}); err != nil {
					t.Fatal(err)
				}
			},
			args: []string{"profiles", "--json"},
			want: `[
{
"profile": "new",
"region": "com",
"client_id": "7420000000000000001.app.coze",
"app_type": "pkce",
"state": "logged_out",
"logged_in": false,
"problem": "not logged in: run ` + "`cozeauth login --profile new`" + `",
"access_token_expires_at": null,
"refresh_token_expires_at": null
},
{
"profile": "old",
"region": null,
"client_id": null,
"state": "logged_out",
"logged_in": false,
"problem": "the tokens can no longer be refreshed: run ` + "`cozeauth login --profile old`" + `",
"access_token_expires_at": "2025-06-01T11:00:00Z",
"refresh_token_expires_at": null
}
]
`,
		},
		{
			name:  "no profiles, table",
			setup: func(*testing.T, string) {},
			args:  []string{"profiles"},
			want:  "No profiles in DIR. To create one, run `cozeauth` or `cozeauth login --client-id …`.\n",
		},
		{
			name:  "no profiles, JSON",
			setup: func(*testing.T, string) {},
			args:  []string{"profiles", "--json"},
			want:  "[]\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)

			res := runCLI(t, dir, nil, "", tc.args...)

			if res.code != ExitOK {
				t.Errorf("exit code = %d, want 0\nstderr: %s", res.code, res.stderr)
			}
			if res.stderr != "" {
				t.Errorf("stderr = %q, want nothing", res.stderr)
			}
			want := strings.ReplaceAll(tc.want, "DIR", dir)
			if diff := cmp.Diff(collapse(want), collapse(res.stdout)); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			for _, s := range append(secrets, webSecret, "czu_workAccess", "workRefresh") {
				if strings.Contains(res.stdout, s) {
					t.Errorf("stdout shows secret %q:\n%s", s, res.stdout)
				}
			}
		})
	}
}

// collapse splits s into lines with leading space removed and inner runs of
// spaces made one.
func collapse(s string) []string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return lines
}

// TestProfilesNarrow: at 50 columns the table is cut to fit and the advice
// under it wraps between words, the command kept whole.
func TestProfilesNarrow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	twoProfiles(t, dir)
	res := runCLIEnv(t, dir, nil, map[string]string{"COLUMNS": "50"}, "profiles")
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, l := range strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n") {
		if n := len([]rune(l)); n > 50 {
			t.Errorf("a line of %d columns: %q", n, l)
		}
	}
	if !strings.Contains(res.stdout, "`cozeauth login --profile work`") {
		t.Errorf("the advice's command is not whole:\n%s", res.stdout)
	}
}
