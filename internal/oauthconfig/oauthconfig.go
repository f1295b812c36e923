// Package oauthconfig reads the Coze console's coze_oauth_config.json (the
// file every official SDK loads) for `login --config` and the wizard's
// import: its fields, warnings for the ones it does not know, and a
// refusal naming a field the app type needs.
package oauthconfig

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/cozeauth/cozeauth/auth"
)

// Config is the console's coze_oauth_config.json, which every official
// SDK loads (coze-go's Config and LoadOAuthAppFromConfig).
type Config struct {
	ClientType   string `json:"client_type"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
	PrivateKey   string `json:"private_key,omitempty"`
	PublicKeyID  string `json:"public_key_id,omitempty"`
	CozeAPIBase  string `json:"coze_api_base,omitempty"`
	CozeWWWBase  string `json:"coze_www_base,omitempty"`
}

// missingField is the usage error naming a field the config file must have.
func missingField(path, field, why string) *auth.UsageError {
	return &auth.UsageError{Msg: fmt.Sprintf("%s has no %q%s: download the file again from the app's page in the Coze console, or add the field", path, field, why)}
}

// Parse reads a coze_oauth_config.json. Fields it does not know
// are returned as warnings (coze-go ignores them); a missing required field
// is an [*auth.UsageError]: client_id and client_type always, client_secret
// for web, private_key and public_key_id for jwt.
func Parse(path string, data []byte) (*Config, []string, error) {
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, nil, fmt.Errorf("%s is not the console's JSON config file: %w; download it again from the app's page in the Coze console", path, err)
	}
	var all map[string]json.RawMessage
	_ = json.Unmarshal(data, &all)
	known := []string{"client_type", "client_id", "client_secret", "private_key", "public_key_id", "coze_api_base", "coze_www_base"}
	var warnings []string
	for k := range all {
		if !slices.Contains(known, k) {
			warnings = append(warnings, fmt.Sprintf("%s: ignoring the unknown field %q", path, k))
		}
	}
	sort.Strings(warnings)
	if c.ClientID == "" {
		return nil, warnings, missingField(path, "client_id", "")
	}
	if c.ClientType == "" {
		return nil, warnings, missingField(path, "client_type", " (pkce, web, device or jwt)")
	}
	t, err := auth.ParseAppType(c.ClientType)
	if err != nil {
		return nil, warnings, fmt.Errorf("%s: client_type: %w", path, err)
	}
	switch {
	case t == auth.AppWeb && c.ClientSecret == "":
		return nil, warnings, missingField(path, "client_secret", ", which a web app needs")
	case t == auth.AppJWT && c.PrivateKey == "":
		return nil, warnings, missingField(path, "private_key", ", which a jwt app needs")
	case t == auth.AppJWT && c.PublicKeyID == "":
		return nil, warnings, missingField(path, "public_key_id", ", which a jwt app needs")
	}
	return &c, warnings, nil
}
