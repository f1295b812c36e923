package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

// profileSummary is one line of `cozeauth profiles`. It holds no secret:
// not the tokens, not a web app's client secret.
type profileSummary struct {
	Profile          string       `json:"profile"`
	Region           *coze.Region `json:"region"`
	ClientID         *string      `json:"client_id"`
	AppType          auth.AppType `json:"app_type,omitempty"`
	LoggedIn         bool         `json:"logged_in"`
	AccessExpiresAt  *time.Time   `json:"access_token_expires_at"`
	RefreshExpiresAt *time.Time   `json:"refresh_token_expires_at"`
}

func newProfilesCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "List the profiles in the config directory and whether each is logged in",
		Long: `List every profile of the config directory ($COZEAUTH_CONFIG_DIR): its region,
client id, whether it is logged in (the access token is valid, or the refresh token
can still renew it) and how long each token has left (--json: when each expires).
No token is shown. The table fits the terminal's width ($COLUMNS, or 80, when
the output is not a terminal).

Use a profile with --profile NAME (or $COZE_PROFILE) on any command.`,
		Example: `  cozeauth profiles
  cozeauth profiles --json | jq -r '.[] | select(.logged_in | not) | .profile'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := g.store()
			if err != nil {
				return err
			}
			list, err := listProfiles(st, g.now())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), list)
			}
			return g.printProfiles(cmd.OutOrStdout(), list, st.Dir)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the profiles as a JSON array")
	return cmd
}

// listProfiles reads every profile's settings and tokens without touching the
// network or refreshing anything.
func listProfiles(st *auth.Store, now time.Time) ([]profileSummary, error) {
	names, err := st.Profiles()
	if err != nil {
		return nil, err
	}
	list := make([]profileSummary, 0, len(names))
	for _, name := range names {
		p := profileSummary{Profile: name}
		set, ok, err := st.LoadSettings(name)
		if err != nil {
			return nil, err
		}
		if ok {
			// Commands use com when a login saved no region.
			region := set.Region
			if region == "" {
				region = coze.RegionCOM
			}
			p.Region = &region
			if set.ClientID != "" {
				p.ClientID = &set.ClientID
			}
			p.AppType = (auth.Config{Settings: set}).AppType()
		}
		rec, err := st.Meta(name)
		if err != nil {
			return nil, err
		}
		if rec != nil {
			if rec.ClientSecret != "" && set.AppType == "" {
				p.AppType = auth.AppWeb
			}
			// A JWT app has no refresh token: it stays logged in while it
			// can sign (its key is in the store or a saved path to a file
			// that can still be read, as `status` says).
			refused := rec.Failure != nil && rec.Failure.Refused
			p.LoggedIn = rec.LoggedIn(now)
			if p.AppType == auth.AppJWT {
				p.LoggedIn = !refused && (auth.Config{Profile: name, Settings: set}).KeyFileProblem(rec) == ""
			}
			p.AccessExpiresAt = timeOrNil(rec.Expiry)
			p.RefreshExpiresAt = timeOrNil(rec.RefreshExpiry)
		}
		list = append(list, p)
	}
	return list, nil
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// printProfiles writes the table, fitted to the output's width (the region
// and the app type left out first, then client ids and profile names cut),
// and a line for each profile to log in again.
func (g *globals) printProfiles(w io.Writer, list []profileSummary, dir string) error {
	if len(list) == 0 {
		_, err := fmt.Fprintf(w, "No profiles in %s. To create one, run `cozeauth` or `cozeauth login --client-id …`.\n", dir)
		return err
	}
	now, width := g.now(), g.outputWidth(w)
	t := &table{header: []string{"PROFILE", "REGION", "CLIENT ID", "TYPE", "LOGGED IN", "ACCESS", "REFRESH"}, shrink: []int{2, 0}, drop: []int{1, 3}}
	var notes strings.Builder
	for _, p := range list {
		region, client := "-", "-"
		if p.Region != nil {
			region = string(*p.Region)
		}
		if p.ClientID != nil {
			client = *p.ClientID
		}
		in := "yes"
		if !p.LoggedIn {
			in = "no"
			notes.WriteString(wrapWords(fmt.Sprintf("Profile %q is not logged in: run `%s`.", p.Profile, loginCommand(p.Profile)), width, ""))
		}
		typ := "-"
		if p.AppType != "" {
			typ = string(p.AppType)
		}
		t.add(coze.Sanitize(p.Profile), region, client, typ, in, timeLeft(p.AccessExpiresAt, now), timeLeft(p.RefreshExpiresAt, now))
	}
	if err := t.render(w, g.tableWidth(w)); err != nil {
		return err
	}
	_, err := io.WriteString(w, notes.String())
	return err
}
