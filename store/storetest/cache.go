package storetest

import (
	"sync"
	"time"

	"github.com/atl-cli/atl/store"
)

// MemoryCache is a store.TokenCache held in memory, whose entries expire
// like the kernel keyring's. It counts calls and can fail on demand (as
// keyctl does under a container's seccomp profile). It is safe for
// concurrent use.
type MemoryCache struct {
	mu      sync.Mutex
	entries map[string]memoryEntry
	gets    int
	sets    int
	fail    error
}

type memoryEntry struct {
	value   []byte
	expires time.Time
}

// NewMemoryCache returns an empty MemoryCache.
func NewMemoryCache() *MemoryCache { return &MemoryCache{entries: map[string]memoryEntry{}} }

// Get implements store.TokenCache.
func (c *MemoryCache) Get(key string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gets++
	if c.fail != nil {
		return nil, c.fail
	}
	e, ok := c.entries[key]
	if !ok || !time.Now().Before(e.expires) {
		return nil, store.ErrNotFound
	}
	return append([]byte(nil), e.value...), nil
}

// Set implements store.TokenCache.
func (c *MemoryCache) Set(key string, value []byte, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sets++
	if c.fail != nil {
		return c.fail
	}
	c.entries[key] = memoryEntry{append([]byte(nil), value...), time.Now().Add(ttl)}
	return nil
}

// Delete implements store.TokenCache.
func (c *MemoryCache) Delete(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	delete(c.entries, key)
	return nil
}

// Name implements store.TokenCache.
func (c *MemoryCache) Name() string { return "the memory cache" }

// Fail makes every later call fail with err (nil restores service).
func (c *MemoryCache) Fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail = err
}

// Len returns how many entries are kept (expired ones included).
func (c *MemoryCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Calls returns how many Get and Set calls were made.
func (c *MemoryCache) Calls() (gets, sets int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gets, c.sets
}
