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

// profileSummary is one line of `cozeauth profiles`, read from the
// profile's [auth.Status]. It holds no secret: not the tokens, not a web
// app's client secret.
type profileSummary struct {
	Profile string `json:"profile"`
	// Default marks the profile commands use when none is named.
	Default          bool         `json:"default,omitempty"`
	Region           *coze.Region `json:"region"`
	ClientID         *string      `json:"client_id"`
	AppType          auth.AppType `json:"app_type,omitempty"`
	State            auth.State   `json:"state"`
	LoggedIn         bool         `json:"logged_in"`
	Problem          string       `json:"problem,omitempty"`
	AccessExpiresAt  *time.Time   `json:"access_token_expires_at"`
	RefreshExpiresAt *time.Time   `json:"refresh_token_expires_at"`

	status *auth.Status
}

func newProfilesCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		GroupID: groupLogin,
		Use:     "profiles",
		Short:   "List the profiles in the config directory and whether each is logged in",
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
			list, err := g.listProfiles(st)
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
	cmd.AddCommand(newProfilesRmCmd(g)) // profileedit.go
	return cmd
}

// listProfiles reads every profile's state, as `status --all` does but
// without $COZE_API_TOKEN standing in, without touching the network or
// refreshing anything.
func (g *globals) listProfiles(st *auth.Store) ([]profileSummary, error) {
	names, err := st.Profiles()
	if err != nil {
		return nil, err
	}
	def, err := st.DefaultProfile()
	if err != nil {
		return nil, err
	}
	list := make([]profileSummary, 0, len(names))
	for _, name := range names {
		cfg, err := g.configFor(st, name)
		if err != nil {
			return nil, fmt.Errorf("profile %q: %w", name, err)
		}
		s, err := g.managerFor(cfg, st).Status()
		if err != nil {
			return nil, err
		}
		_, saved, err := st.LoadSettings(name)
		if err != nil {
			return nil, err
		}
		p := summarize(s, saved)
		p.Default = name == def
		list = append(list, p)
	}
	return list, nil
}

// summarize is s as a line of `profiles`; saved says whether the profile
// has saved settings (without, it has no region or app type of its own).
func summarize(s *auth.Status, saved bool) profileSummary {
	p := profileSummary{
		Profile: s.Profile, State: s.State, LoggedIn: s.LoggedIn, Problem: s.Problem,
		AccessExpiresAt: s.AccessExpiresAt, RefreshExpiresAt: s.RefreshExpiresAt, status: s,
	}
	if saved || s.AppType == auth.AppWeb { // a saved secret says web
		p.AppType = s.AppType
	}
	if saved {
		region := s.Region
		p.Region = &region
	}
	if s.ClientID != "" {
		client := s.ClientID
		p.ClientID = &client
	}
	return p
}

// markDefault is a profile's name in a table: a "*" after the default
// one when `cozeauth use` chose it (the profile "default" needs none).
func markDefault(name string, isDefault bool) string {
	if isDefault && name != "default" {
		return coze.Sanitize(name) + " *"
	}
	return coze.Sanitize(name)
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
			notes.WriteString(wrapWords(fmt.Sprintf("Profile %q: %s", p.Profile, p.Problem), width, ""))
		}
		typ := "-"
		if p.AppType != "" {
			typ = string(p.AppType)
		}
		t.add(markDefault(p.Profile, p.Default), region, client, typ, in, timeLeft(p.AccessExpiresAt, now), refreshLeft(p.status, now))
	}
	if err := t.render(w, g.tableWidth(w)); err != nil {
		return err
	}
	_, err := io.WriteString(w, notes.String())
	return err
}
