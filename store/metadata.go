package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"
)

// metadataVersion is the version of the Metadata encoding written today.
const metadataVersion = 1

// Storage names where a login's Grant lives.
const (
	StorageKeychain = "keychain"
	StorageFile     = "file"
)

// KindServiceAccount is the Kind of a service account's login: OAuth 2.0
// client credentials, whose Grant keeps the client secret and no refresh
// token. A person's login (3LO) has no Kind.
const KindServiceAccount = "service_account"

// Site is an Atlassian Cloud site: its cloud id, URL and name, and (as
// accessible-resources lists it) the scopes the grant has there.
type Site struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes,omitempty"`
	AvatarURL string   `json:"avatarUrl,omitempty"`
}

// Metadata is the non-secret half of a login.
type Metadata struct {
	ClientID    string `json:"client_id"`
	AuthURL     string `json:"auth_url"`
	APIURL      string `json:"api_url"`
	CallbackURL string `json:"callback_url,omitempty"`
	AccountID   string `json:"account_id"`
	Name        string `json:"name,omitempty"`
	Email       string `json:"email,omitempty"`
	Site        Site   `json:"site"`
	// Sites are all the sites the grant reaches, as last listed: what
	// --site and completion choose from without asking Atlassian.
	Sites     []Site    `json:"sites,omitempty"`
	Scopes    []string  `json:"scopes"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Storage   string    `json:"storage"`
	LoginAt   time.Time `json:"login_at,omitzero"`
	// Kind is KindServiceAccount for a service account's login, else "".
	Kind string `json:"kind,omitempty"`
	// ConsentedAt is when the person consented (at the login), and
	// RefreshIssuedAt when the refresh token was last issued (at the
	// login, then at each refresh that rotated it): Atlassian ends a
	// login 365 days after its consent, or once its refresh token went
	// unused for 90 days. Zero for a service account, and in metadata
	// written before they were recorded.
	ConsentedAt     time.Time `json:"consented_at,omitzero"`
	RefreshIssuedAt time.Time `json:"refresh_issued_at,omitzero"`
	// Dead is set when the token endpoint rejected the grant: every later
	// use fails at once without asking the server again.
	Dead *DeadGrant `json:"dead,omitempty"`
}

// DeadGrant records when and why a grant was found dead.
type DeadGrant struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

type metadataJSON struct {
	Version int `json:"version"`
	Metadata
}

// ErrNoLogin reports that no login is stored under a profile name.
var ErrNoLogin = errors.New("no stored login")

// DecodeMetadata parses a metadata file: ErrCorrupt when it cannot be
// understood.
func DecodeMetadata(b []byte) (*Metadata, error) {
	var m metadataJSON
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: metadata is not valid JSON", ErrCorrupt)
	}
	if m.Version != metadataVersion {
		return nil, fmt.Errorf("%w: unknown metadata version %d", ErrCorrupt, m.Version)
	}
	if m.ClientID == "" || m.Site.ID == "" {
		return nil, fmt.Errorf("%w: metadata lacks its client id or site", ErrCorrupt)
	}
	switch m.Storage {
	case StorageKeychain, StorageFile:
	default:
		return nil, fmt.Errorf("%w: unknown token storage %q", ErrCorrupt, m.Storage)
	}
	if m.Kind != "" && m.Kind != KindServiceAccount {
		return nil, fmt.Errorf("%w: unknown kind of login %q", ErrCorrupt, m.Kind)
	}
	return &m.Metadata, nil
}

func encodeMetadata(m *Metadata) ([]byte, error) {
	b, err := json.MarshalIndent(metadataJSON{Version: metadataVersion, Metadata: *m}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// loadMetadata reads profile name's metadata: ErrNoLogin when there is
// none, ErrCorrupt when it cannot be understood.
func (s *Store) loadMetadata(name string) (*Metadata, error) {
	b, err := s.readPrivate(s.profileFile(name, ".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoLogin
	}
	if err != nil {
		return nil, err
	}
	return DecodeMetadata(b)
}

// saveMetadata writes profile name's metadata atomically.
func (s *Store) saveMetadata(name string, m *Metadata) error {
	b, err := encodeMetadata(m)
	if err != nil {
		return err
	}
	return s.writePrivate(s.profileFile(name, ".json"), b)
}

// deleteFiles removes profile name's metadata and insecure token file, if
// any. Missing files are not an error.
func (s *Store) deleteFiles(name string) error {
	for _, suffix := range []string{".json", ".tokens.json"} {
		if err := s.removePrivate(s.profileFile(name, suffix)); err != nil {
			return err
		}
	}
	return nil
}
