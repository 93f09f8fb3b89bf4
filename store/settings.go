package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Settings are the user's optional defaults from config.json, for new
// logins.
type Settings struct {
	ClientID    string   `json:"client_id,omitempty"`
	CallbackURL string   `json:"callback_url,omitempty"`
	Scopes      []string `json:"scopes,omitempty"`
	Site        string   `json:"site,omitempty"` // a site's name, URL or cloud id
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

// SaveSettings replaces config.json with set, atomically. Two processes
// that each read, change and save lose one's change: use UpdateSettings.
func (s *Store) SaveSettings(set Settings) error {
	b, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return err
	}
	return s.writePrivate(filepath.Join(s.dir, "config.json"), append(b, '\n'))
}

// UpdateSettings changes config.json with change under the config
// directory's lock (config.lock beside it; waiting at most wait, and no
// longer than ctx allows): it reads the file, applies change and replaces
// the file atomically, so changes made at the same time by other processes
// are all kept. When change fails, nothing is written.
func (s *Store) UpdateSettings(ctx context.Context, wait time.Duration, change func(*Settings) error) error {
	unlock, err := s.lock(ctx, filepath.Join(s.dir, "config.lock"), wait, nil)
	if err != nil {
		return err
	}
	defer unlock()
	set, err := s.Settings()
	if err != nil {
		return err
	}
	if err := change(&set); err != nil {
		return err
	}
	return s.SaveSettings(set)
}

// Profiles lists the names of the profiles with a stored login, sorted.
// It reads only the config directory: no keychain.
func (s *Store) Profiles() ([]string, error) {
	if err := s.prepare(false); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.profilesDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && e.Type().IsRegular() && ValidProfileName(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// appSecretAccount is the keychain account of an app's client secret,
// kept by `atl config set client-secret` for logins with that client id.
func (s *Store) appSecretAccount(clientID string) string {
	id, isDefault := s.identity()
	account := "client-secret:" + clientID
	if !isDefault {
		sum := sha256.Sum256([]byte(id))
		account += "@" + hex.EncodeToString(sum[:6])
	}
	return account
}

// KeptSecret is an app's client secret kept by SetClientSecret, with the
// authorization server it was given for: it is sent to no other.
type KeptSecret struct {
	Secret string
	// AuthURL is the auth server the secret was kept for; empty for one
	// kept before servers were recorded, which belongs to Atlassian's
	// only (as a grant of that time does).
	AuthURL string
}

// keptSecretVersion is the version of the KeptSecret encoding written
// today; version 1 was the bare secret.
const keptSecretVersion = 2

type keptSecretJSON struct {
	Version int    `json:"v"`
	Secret  string `json:"secret"`
	AuthURL string `json:"auth_url"`
}

// SetClientSecret keeps the client secret of app clientID in the
// keychain, for logins with that client id at auth server authURL (a base
// URL, as atl compares them), in place of any kept before for that app.
func (s *Store) SetClientSecret(clientID, authURL, secret string) error {
	if authURL == "" || secret == "" {
		return errors.New("a kept client secret needs its auth server and the secret")
	}
	b, err := json.Marshal(keptSecretJSON{Version: keptSecretVersion, Secret: secret, AuthURL: authURL})
	if err != nil {
		return err
	}
	return newVault(s.keychain, keychainService).Set(s.appSecretAccount(clientID), string(b))
}

// ClientSecret returns the client secret kept for app clientID and the
// auth server it was kept for: ErrNotFound when none is kept, ErrCorrupt
// when it cannot be understood.
func (s *Store) ClientSecret(clientID string) (KeptSecret, error) {
	raw, err := newVault(s.keychain, keychainService).Get(s.appSecretAccount(clientID))
	if err != nil {
		return KeptSecret{}, err
	}
	var k keptSecretJSON
	if json.Unmarshal([]byte(raw), &k) != nil {
		return KeptSecret{Secret: raw}, nil // version 1: the bare secret, no server
	}
	if k.Version != keptSecretVersion || k.Secret == "" || k.AuthURL == "" {
		return KeptSecret{}, fmt.Errorf("%w: kept client secret of %s", ErrCorrupt, clientID)
	}
	return KeptSecret{Secret: k.Secret, AuthURL: k.AuthURL}, nil
}

// DeleteClientSecret removes the client secret kept for app clientID.
func (s *Store) DeleteClientSecret(clientID string) error {
	return newVault(s.keychain, keychainService).Delete(s.appSecretAccount(clientID))
}
