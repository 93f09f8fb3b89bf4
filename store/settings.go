package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// Settings are the user's optional defaults from config.json.
type Settings struct {
	ClientID    string `json:"client_id,omitempty"`
	CallbackURL string `json:"callback_url,omitempty"`
}

// ErrBadSettings reports a config.json that is not valid JSON.
var ErrBadSettings = errors.New("config file is not valid JSON")

// Settings reads config.json. A missing file gives zero Settings.
func (s *Store) Settings() (Settings, error) {
	var set Settings
	path := filepath.Join(s.dir, "config.json")
	b, err := s.readPrivate(path)
	if errors.Is(err, fs.ErrNotExist) {
		return set, nil
	}
	if err != nil {
		return set, err
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return set, fmt.Errorf("%w: %s", ErrBadSettings, path)
	}
	return set, nil
}
