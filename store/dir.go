package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// ErrNoProfile reports that no login is stored under a profile name.
var ErrNoProfile = errors.New("no stored login")

// profileVersion is the version of the Profile encoding written today.
const profileVersion = 1

// Storage names where a profile's Grant lives.
const (
	StorageKeychain = "keychain"
	StorageFile     = "file"
)

// Site is an Atlassian Cloud site (its cloud id, URL and name).
type Site struct {
	ID   string `json:"id"`
	URL  string `json:"url"`
	Name string `json:"name"`
}

// Profile is the non-secret half of a login.
type Profile struct {
	ClientID  string    `json:"client_id"`
	AuthURL   string    `json:"auth_url"`
	APIURL    string    `json:"api_url"`
	AccountID string    `json:"account_id"`
	Name      string    `json:"name,omitempty"`
	Email     string    `json:"email,omitempty"`
	Site      Site      `json:"site"`
	Scopes    []string  `json:"scopes"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Storage   string    `json:"storage"`
	LoginAt   time.Time `json:"login_at,omitzero"`
	// Dead is set when the token endpoint rejected the grant: every later
	// call says "run atl login" without asking the server again.
	Dead *DeadGrant `json:"dead,omitempty"`
}

// DeadGrant records when and why a grant was found dead.
type DeadGrant struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

type profileJSON struct {
	Version int `json:"version"`
	Profile
}

// Settings are the user's optional defaults from config.json.
type Settings struct {
	ClientID    string `json:"client_id,omitempty"`
	CallbackURL string `json:"callback_url,omitempty"`
}

// Dir is atl's config directory.
type Dir struct {
	path string
	// Warn receives one-line warnings, such as a permission that was too
	// open and has been fixed. Nil discards them.
	Warn io.Writer
}

// NewDir returns the config directory at path. Nothing is created until
// something is saved.
func NewDir(path string) *Dir { return &Dir{path: path} }

// Path returns the directory's path.
func (d *Dir) Path() string { return d.path }

var profileNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidProfileName reports whether name can name a profile. A name ending
// in ".tokens" is refused: its metadata file NAME.tokens.json would be the
// token file of the profile NAME (compared without case, as macOS and
// Windows compare file names).
func ValidProfileName(name string) bool {
	return profileNameRE.MatchString(name) && !strings.HasSuffix(strings.ToLower(name), ".tokens")
}

func (d *Dir) profilesDir() string { return filepath.Join(d.path, "profiles") }

func (d *Dir) profileFile(name, suffix string) (string, error) {
	if !ValidProfileName(name) {
		return "", fmt.Errorf("invalid profile name %q: use letters, digits, '.', '_' and '-'", name)
	}
	return filepath.Join(d.profilesDir(), name+suffix), nil
}

// ensure creates the directory tree with mode 0700, tightening it if an
// existing one is open to others.
func (d *Dir) ensure() error {
	for _, p := range []string{d.path, d.profilesDir()} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return err
		}
		if err := d.tighten(p, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// tighten removes permission bits beyond want from path, with a warning.
// Windows has no such bits; its ACLs on the user's profile apply.
func (d *Dir) tighten(path string, want fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&^want == 0 {
		return nil
	}
	if d.Warn != nil {
		fmt.Fprintf(d.Warn, "warning: %s was readable by others (mode %04o); fixed to %04o\n", path, fi.Mode().Perm(), want)
	}
	return os.Chmod(path, want)
}

// readPrivate reads a file that must be private, fixing its mode when it is
// not. A missing file is fs.ErrNotExist.
func (d *Dir) readPrivate(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dirs := []string{d.path}
	if parent := filepath.Dir(path); parent != filepath.Clean(d.path) {
		dirs = append(dirs, parent)
	}
	for _, dir := range dirs {
		if err := d.tighten(dir, 0o700); err != nil {
			return nil, err
		}
	}
	if err := d.tighten(path, 0o600); err != nil {
		return nil, err
	}
	return b, nil
}

// writePrivate replaces path atomically with a 0600 file holding b: a
// reader sees the old content or the new, never a mix.
func (d *Dir) writePrivate(path string, b []byte) error {
	if err := d.ensure(); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	// The rename is durable only once the directory is synced: without
	// this, a crash can bring back the old file (an old, spent refresh
	// token for the insecure storage). Best effort: not every system can.
	if runtime.GOOS != "windows" {
		if dir, err := os.Open(filepath.Dir(path)); err == nil {
			_ = dir.Sync()
			dir.Close()
		}
	}
	return nil
}

// Settings reads config.json. A missing file gives zero Settings.
func (d *Dir) Settings() (Settings, error) {
	var s Settings
	b, err := d.readPrivate(filepath.Join(d.path, "config.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s is not valid JSON: fix or remove it", filepath.Join(d.path, "config.json"))
	}
	return s, nil
}

// LoadProfile reads the profile called name: ErrNoProfile when there is
// none, ErrCorrupt when the file cannot be understood.
func (d *Dir) LoadProfile(name string) (*Profile, error) {
	path, err := d.profileFile(name, ".json")
	if err != nil {
		return nil, err
	}
	b, err := d.readPrivate(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoProfile
	}
	if err != nil {
		return nil, err
	}
	return DecodeProfile(b)
}

// DecodeProfile parses a profile file.
func DecodeProfile(b []byte) (*Profile, error) {
	var p profileJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%w: profile is not valid JSON", ErrCorrupt)
	}
	if p.Version != profileVersion {
		return nil, fmt.Errorf("%w: unknown profile version %d", ErrCorrupt, p.Version)
	}
	if p.ClientID == "" || p.Site.ID == "" {
		return nil, fmt.Errorf("%w: profile lacks its client id or site", ErrCorrupt)
	}
	switch p.Storage {
	case StorageKeychain, StorageFile:
	default:
		return nil, fmt.Errorf("%w: unknown token storage %q", ErrCorrupt, p.Storage)
	}
	return &p.Profile, nil
}

// SaveProfile writes the profile called name atomically.
func (d *Dir) SaveProfile(name string, p *Profile) error {
	path, err := d.profileFile(name, ".json")
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(profileJSON{Version: profileVersion, Profile: *p}, "", "  ")
	if err != nil {
		return err
	}
	return d.writePrivate(path, append(b, '\n'))
}

// DeleteProfile removes the profile called name and its insecure token
// file, if any. A missing profile is not an error.
func (d *Dir) DeleteProfile(name string) error {
	for _, suffix := range []string{".json", ".tokens.json"} {
		path, err := d.profileFile(name, suffix)
		if err != nil {
			return err
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// TokenFile returns the path of the insecure token file of profile name.
func (d *Dir) TokenFile(name string) (string, error) {
	return d.profileFile(name, ".tokens.json")
}
