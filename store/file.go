package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// fileBackend keeps secrets in one private (0600) JSON file: the opt-in
// insecure storage for machines without a keychain. It is safe only as far
// as the file's permissions are.
type fileBackend struct {
	store *Store
	path  string
}

// newFileBackend returns the insecure backend keeping its file at path in
// s's config directory.
func newFileBackend(s *Store, path string) *fileBackend {
	return &fileBackend{store: s, path: path}
}

func (f *fileBackend) load() (map[string]string, error) {
	m := map[string]string{}
	b, err := f.store.readPrivate(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %s is not valid JSON", ErrCorrupt, f.path)
	}
	return m, nil
}

// key names an item in the file: "SERVICE/USER", with '%' and '/' escaped
// in the service so that the first '/' always ends it ("atl/profile:x"
// for the names atl uses; ("a/b", "c") and ("a", "b/c") stay apart).
func key(service, user string) string {
	return serviceEscaper.Replace(service) + "/" + user
}

var serviceEscaper = strings.NewReplacer("%", "%25", "/", "%2F")

// Get implements Backend.
func (f *fileBackend) Get(service, user string) (string, error) {
	m, err := f.load()
	if err != nil {
		return "", err
	}
	v, ok := m[key(service, user)]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

// Set implements Backend.
func (f *fileBackend) Set(service, user, value string) error {
	m, err := f.load()
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return err
	}
	if m == nil {
		m = map[string]string{}
	}
	m[key(service, user)] = value
	return f.save(m)
}

// ItemSize implements Backend: a file has no limit on one item.
func (f *fileBackend) ItemSize() int { return 0 }

// Delete implements Backend. A corrupt file is removed: nothing in it can
// be read, and Set would overwrite it anyway.
func (f *fileBackend) Delete(service, user string) error {
	m, err := f.load()
	if errors.Is(err, ErrCorrupt) {
		return f.store.removePrivate(f.path)
	}
	if err != nil {
		return err
	}
	if _, ok := m[key(service, user)]; !ok {
		return ErrNotFound
	}
	delete(m, key(service, user))
	if len(m) == 0 {
		return f.store.removePrivate(f.path)
	}
	return f.save(m)
}

func (f *fileBackend) save(m map[string]string) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return f.store.writePrivate(f.path, b)
}
