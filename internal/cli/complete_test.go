package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Shells complete flag values: profiles from the store, and the fixed
// values of --region (with all for probe), --app-type, --storage and
// --targets.
func TestFlagValueCompletion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	twoProfiles(t, dir)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"status", "--profile", ""}, []string{"default", "work"}},
		{[]string{"token", "--profile", "w"}, []string{"default", "work"}}, // the shell filters by prefix
		{[]string{"login", "--region", ""}, []string{"com\tcoze.com", "cn\tcoze.cn"}},
		{[]string{"probe", "--region", ""}, []string{"com\tcoze.com", "cn\tcoze.cn", "all\tboth regions at once"}},
		{[]string{"login", "--app-type", ""}, []string{"pkce\tmobile / PC desktop / single-page app", "web\tweb back-end app", "device\tTV / device / command-line program", "jwt\tservice app"}},
		{[]string{"login", "--storage", ""}, []string{"file\ta 0600 file in the config directory", "keyring\tthe system keyring", "etcd://\ta shared etcd cluster: etcd://host:2379/prefix", "postgres://\ta shared PostgreSQL database (a libpq URL)"}},
		{[]string{"probe", "--targets", ""}, []string{"current", "legacy", "all", "api", "oauth", "websocket", "account"}},
	}
	for _, tt := range tests {
		res := runCLI(t, dir, nil, "", append([]string{"__complete"}, tt.args...)...)
		lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
		if len(lines) == 0 || lines[len(lines)-1] != ":4" { // ShellCompDirectiveNoFileComp
			t.Errorf("%v: no file completion directive:\n%s", tt.args, res.stdout)
			continue
		}
		if diff := cmp.Diff(tt.want, lines[:len(lines)-1]); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tt.args, diff)
		}
	}
}
