// Package storetest provides an in-memory keychain for tests of code that
// stores secrets through store.Backend.
package storetest

import (
	"fmt"
	"sync"

	"github.com/atl-cli/atl/store"
)

// Memory is a store.Backend held in memory. It can refuse items larger than
// ItemLimit (as Windows and macOS do) and fail on demand. It is safe for
// concurrent use.
type Memory struct {
	// ItemLimit, when positive, makes Set refuse larger values with
	// store.ErrTooBig.
	ItemLimit int
	// SplitAt is what ItemSize reports: the size a store splits values
	// at (zero: no splitting). Set it below ItemLimit, as the platforms'
	// keychains do.
	SplitAt int

	mu    sync.Mutex
	items map[string]string
	gets  int
	sets  int
	fail  error
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{items: map[string]string{}} }

func key(service, user string) string { return service + "\x00" + user }

// Get implements store.Backend.
func (m *Memory) Get(service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	if m.fail != nil {
		return "", m.fail
	}
	v, ok := m.items[key(service, user)]
	if !ok {
		return "", store.ErrNotFound
	}
	return v, nil
}

// Set implements store.Backend.
func (m *Memory) Set(service, user, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sets++
	if m.fail != nil {
		return m.fail
	}
	if m.ItemLimit > 0 && len(value) > m.ItemLimit {
		return fmt.Errorf("%w: %d bytes", store.ErrTooBig, len(value))
	}
	m.items[key(service, user)] = value
	return nil
}

// Delete implements store.Backend.
func (m *Memory) Delete(service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if _, ok := m.items[key(service, user)]; !ok {
		return store.ErrNotFound
	}
	delete(m.items, key(service, user))
	return nil
}

// ItemSize implements store.Backend.
func (m *Memory) ItemSize() int { return m.SplitAt }

// Fail makes every later call return err (nil restores normal service).
func (m *Memory) Fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

// Len returns how many items are stored.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// Calls returns how many Get and Set calls were made.
func (m *Memory) Calls() (gets, sets int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gets, m.sets
}
