package auth

import (
	"errors"
	"path/filepath"
)

// userConfigDir is [os.UserConfigDir] with the environment read through
// getenv, for the operating system goos.
func userConfigDir(getenv func(string) string, goos string) (string, error) {
	switch goos {
	case "windows":
		if d := getenv("AppData"); d != "" {
			return d, nil
		}
		return "", errors.New("%AppData% is not defined")
	case "darwin", "ios":
		if home := getenv("HOME"); home != "" {
			return filepath.Join(home, "Library", "Application Support"), nil
		}
		return "", errors.New("$HOME is not defined")
	case "plan9":
		if home := getenv("home"); home != "" {
			return filepath.Join(home, "lib"), nil
		}
		return "", errors.New("$home is not defined")
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		if !filepath.IsAbs(d) {
			return "", errors.New("path in $XDG_CONFIG_HOME is relative")
		}
		return d, nil
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".config"), nil
	}
	return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME are defined")
}
