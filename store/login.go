package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// keychainService is the service name of atl's keychain items.
const keychainService = "atl"

// Login is one profile's stored login: its metadata in the config
// directory, its Grant in the keychain (or the insecure file the metadata
// names), and the lock that serialises changes to both. Nothing else
// names the keychain item or chooses where the Grant lives.
//
// Methods that change the login (Save, SaveRefreshed, MarkDead, Delete)
// must be called with the lock held.
type Login struct {
	store *Store
	name  string

	mu         sync.Mutex
	vaults     map[string]*vault // by storage, made on first use
	legacyRead bool              // Grant found the secrets under the legacy item
}

// Name returns the profile name.
func (l *Login) Name() string { return l.name }

// Location says where a login's secrets are kept.
type Location struct {
	Storage string // StorageKeychain or StorageFile
	Service string // the keychain item's service, with StorageKeychain
	Account string // the keychain item's account, with StorageKeychain
	Path    string // the token file, with StorageFile
}

// String describes the location for people.
func (loc Location) String() string {
	if loc.Storage == StorageFile {
		return "file " + loc.Path + " (insecure storage)"
	}
	return fmt.Sprintf("system keychain (service %q, account %q)", loc.Service, loc.Account)
}

// Location returns where the login keeps its secrets with storage.
func (l *Login) Location(storage string) Location {
	if storage == StorageFile {
		return Location{Storage: StorageFile, Path: l.store.profileFile(l.name, ".tokens.json")}
	}
	return Location{Storage: StorageKeychain, Service: keychainService, Account: l.account()}
}

// account is the keychain account of the login's secrets. Like its lock
// file, it belongs to one config directory: "profile:NAME" in the
// default one, "profile:NAME@ID" in any other (ID from its path), so two
// config directories never share (or spend) one refresh token.
func (l *Login) account() string {
	id, isDefault := l.store.identity()
	if isDefault {
		return l.legacyAccount()
	}
	sum := sha256.Sum256([]byte(id))
	return l.legacyAccount() + "@" + hex.EncodeToString(sum[:6])
}

// legacyAccount is the account atl used for every config directory
// before items were keyed by directory.
func (l *Login) legacyAccount() string { return "profile:" + l.name }

// vault returns the vault of storage.
func (l *Login) vault(storage string) *vault {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v := l.vaults[storage]; v != nil {
		return v
	}
	var v *vault
	if storage == StorageFile {
		v = newVault(newFileBackend(l.store, l.Location(StorageFile).Path), keychainService)
	} else {
		v = newVault(l.store.keychain, keychainService)
	}
	if l.vaults == nil {
		l.vaults = map[string]*vault{}
	}
	l.vaults[storage] = v
	return v
}

// Metadata reads the login's metadata: ErrNoLogin when none is stored,
// ErrCorrupt when it cannot be understood.
func (l *Login) Metadata() (*Metadata, error) {
	return l.store.loadMetadata(l.name)
}

// ErrForeignGrant reports stored secrets that were made for another login
// (another client, account, config directory or server) than the
// metadata describes: they are not used.
var ErrForeignGrant = errors.New("the stored tokens belong to another login")

// Grant reads the login's secrets from where m says they are: ErrNotFound
// when none are stored, ErrCorrupt when they cannot be understood,
// ErrForeignGrant when they were made for another login, or the
// keychain's error.
func (l *Login) Grant(m *Metadata) (Grant, error) {
	v := l.vault(m.Storage)
	raw, err := v.Get(l.account())
	legacy := errors.Is(err, ErrNotFound) && m.Storage == StorageKeychain
	if legacy {
		raw, err = l.legacyGrant(v)
	}
	l.mu.Lock()
	l.legacyRead = legacy && err == nil
	l.mu.Unlock()
	if err != nil {
		return Grant{}, err
	}
	g, err := DecodeGrant(raw)
	if err == nil {
		err = g.fits(m)
	}
	if err != nil {
		return Grant{}, err
	}
	id, _ := l.store.identity()
	for _, f := range []struct{ what, grant, meta string }{
		{"config directory", g.ConfigDir, id},
		{"client id", g.ClientID, m.ClientID},
		{"account", g.AccountID, m.AccountID},
		{"auth server", g.AuthURL, m.AuthURL},
		{"API server", g.APIURL, m.APIURL},
	} {
		if f.grant != "" && f.grant != f.meta {
			return Grant{}, fmt.Errorf("%w: they were made for %s %s, the login says %s", ErrForeignGrant, f.what, f.grant, f.meta)
		}
	}
	return g, nil
}

// legacyGrant reads the secrets a login in a config directory other than
// the default one had before items were keyed by directory, when they can
// only be its own: made for this directory, or (from an older atl that
// did not say) while the default directory has no login of that name.
// They move to the login's own item at its next save.
func (l *Login) legacyGrant(v *vault) (string, error) {
	if _, isDefault := l.store.identity(); isDefault {
		return "", ErrNotFound
	}
	raw, err := v.Get(l.legacyAccount())
	if err != nil {
		return "", err
	}
	g, err := DecodeGrant(raw)
	if err != nil {
		return "", ErrNotFound
	}
	id, _ := l.store.identity()
	if g.ConfigDir == id {
		return raw, nil
	}
	if g.ConfigDir != "" {
		return "", ErrNotFound
	}
	def, err := DefaultConfigDir()
	if err != nil {
		return "", ErrNotFound
	}
	if _, err := New(def, nil).loadMetadata(l.name); !errors.Is(err, ErrNoLogin) {
		return "", ErrNotFound
	}
	return raw, nil
}

// Load reads the login's metadata and secrets.
func (l *Login) Load() (*Metadata, Grant, error) {
	m, err := l.Metadata()
	if err != nil {
		return nil, Grant{}, err
	}
	g, err := l.Grant(m)
	if err != nil {
		return nil, Grant{}, err
	}
	return m, g, nil
}

// Save stores a new login, replacing any earlier one: the Grant first
// (read back before Save goes on), in the storage m names, then the
// metadata. A login that moved between storages leaves nothing in the old
// one. The insecure file never receives the client secret, so a service
// account's login is never kept there.
func (l *Login) Save(m *Metadata, g Grant) error {
	if m.Storage == StorageFile {
		if m.Kind == KindServiceAccount {
			return errors.New("a service account's login keeps its client secret, which is never kept in a file")
		}
		g.ClientSecret = ""
	}
	if err := l.setGrant(m, g, true); err != nil {
		return err
	}
	old, oldErr := l.Metadata()
	if oldErr == nil && old.Storage != m.Storage {
		_ = l.vault(old.Storage).Delete(l.account()) // best effort: the new login is stored
	}
	m.ExpiresAt = g.Expiry
	if err := l.store.saveMetadata(l.name, m); err != nil {
		return err
	}
	l.cacheGrant(m, g) // in place of the earlier login's entry
	return nil
}

// SaveRefreshed stores the Grant a refresh returned (read back before it
// returns) and records its expiry in m and the metadata, with m as the
// refresh left it (its RefreshIssuedAt, when the refresh token was
// rotated; for a service account, the access token minted anew). When it
// fails the earlier Grant is still the stored one.
func (l *Login) SaveRefreshed(m *Metadata, g Grant) error {
	if m.Storage == StorageFile {
		g.ClientSecret = ""
	}
	if err := l.setGrant(m, g, false); err != nil {
		return fmt.Errorf("saving the refreshed tokens: %w", err)
	}
	m.ExpiresAt = g.Expiry
	if err := l.store.saveMetadata(l.name, m); err != nil {
		l.dropCached()
		return fmt.Errorf("saving the login's metadata: %w", err)
	}
	l.cacheGrant(m, g)
	return nil
}

// setGrant stores g for the login m describes, recording its owner. The
// legacy item (see legacyGrant) is looked for and removed by a new login,
// and by a refresh of a grant that was read from it; a refresh of a grant
// read from its own item does not look (a keychain read saved on the hot
// path).
func (l *Login) setGrant(m *Metadata, g Grant, newLogin bool) error {
	g.ClientID, g.AccountID = m.ClientID, m.AccountID
	g.ConfigDir, _ = l.store.identity()
	enc, err := EncodeGrant(g)
	if err != nil {
		return err
	}
	v := l.vault(m.Storage)
	if err := v.Set(l.account(), enc); err != nil {
		return err
	}
	l.mu.Lock()
	look := newLogin || l.legacyRead
	l.legacyRead = false
	l.mu.Unlock()
	if look && m.Storage == StorageKeychain && l.account() != l.legacyAccount() {
		if _, err := l.legacyGrant(v); err == nil {
			_ = v.Delete(l.legacyAccount()) // moved to the login's own item
		}
	}
	return nil
}

// MarkDead records in m and the metadata that Atlassian rejected the
// grant, so that later uses fail without asking again.
func (l *Login) MarkDead(m *Metadata, reason string, at time.Time) error {
	l.dropCached()
	m.Dead = &DeadGrant{At: at.UTC(), Reason: reason}
	return l.store.saveMetadata(l.name, m)
}

// Delete removes the login's secrets, metadata and token-cache entry and
// reports whether there was anything to remove. With readable metadata, failing to remove
// the secrets is an error (they would stay behind); without, both
// storages are cleaned as far as they answer.
func (l *Login) Delete() (bool, error) {
	m, merr := l.Metadata()
	var te *TrustError
	if errors.As(merr, &te) {
		return false, merr
	}
	l.dropCached() // its name needs no metadata: it goes even when that cannot be read
	found := false
	for _, storage := range []string{StorageKeychain, StorageFile} {
		if merr == nil && storage != m.Storage {
			continue
		}
		v := l.vault(storage)
		if merr != nil {
			if _, err := v.Get(l.account()); err != nil && !errors.Is(err, ErrCorrupt) {
				continue // nothing there, or no keychain to ask
			}
		}
		if err := v.Delete(l.account()); err != nil {
			return false, err
		}
		found = true
	}
	if v := l.vault(StorageKeychain); l.account() != l.legacyAccount() {
		if _, err := l.legacyGrant(v); err == nil {
			if err := v.Delete(l.legacyAccount()); err != nil {
				return false, err
			}
			found = true
		}
	}
	if err := l.store.deleteFiles(l.name); err != nil {
		return false, err
	}
	return found || !errors.Is(merr, ErrNoLogin), nil
}

// CheckKeychain makes sure the system keychain answers (an item that is
// missing or unreadable is fine), so that a login can fail before the
// user consents rather than after.
func (l *Login) CheckKeychain() error {
	_, err := l.store.keychain.Get(keychainService, l.account())
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}
