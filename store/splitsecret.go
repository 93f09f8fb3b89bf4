package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// MaxSecretSize is the largest secret value a login stores.
const MaxSecretSize = 64 << 10

// chunkHead marks a head item whose value is split across part items:
// "atl-chunks:v1:GEN:N:SUM", the parts being named KEY#GEN.0 … KEY#GEN.N-1
// and SUM the first 16 hex digits of the value's SHA-256.
const chunkHead = "atl-chunks:v1:"

// ErrCorrupt reports a stored secret that cannot be read back as written:
// truncated, missing parts, or written by something else.
var ErrCorrupt = errors.New("stored secret is corrupt")

// vault stores named secrets in a Backend under one service name. A value
// larger than the backend's item size is split across several items; the
// head item is written last, so a crash part-way leaves the previous value
// readable. Every write is read back and compared before Set returns.
//
// A vault remembers the head item it last read or wrote under each key, so
// that a Set after a Get (a refresh: the grant read under the lock, the
// rotated one written) need not read the head again to find the parts it
// replaces. Should another writer have changed the item meanwhile, its
// parts are left behind (litter, never read) and nothing else happens:
// part names carry a random generation.
type vault struct {
	backend  Backend
	service  string
	itemSize int

	mu    sync.Mutex
	heads map[string]string
}

// newVault returns a vault over b, splitting values at b's ItemSize.
func newVault(b Backend, service string) *vault {
	return &vault{backend: b, service: service, itemSize: b.ItemSize()}
}

// Get returns the value stored under key, ErrNotFound, ErrCorrupt, or the
// backend's error.
func (v *vault) Get(key string) (string, error) {
	head, err := v.backend.Get(v.service, key)
	if err != nil {
		return "", err
	}
	v.remember(key, head)
	c, ok, err := parseChunkHead(head)
	if err != nil {
		return "", err
	}
	if !ok {
		return head, nil
	}
	var b strings.Builder
	for i := range c.n {
		part, err := v.backend.Get(v.service, c.partName(key, i))
		if errors.Is(err, ErrNotFound) {
			return "", fmt.Errorf("%w: part %d of %d is missing", ErrCorrupt, i+1, c.n)
		}
		if err != nil {
			return "", err
		}
		b.WriteString(part)
	}
	value := b.String()
	if checksum(value) != c.sum {
		return "", fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	return value, nil
}

// Set stores value under key, reads it back and removes the parts of the
// value it replaced.
func (v *vault) Set(key, value string) error {
	if len(value) > MaxSecretSize {
		return fmt.Errorf("%w: %d bytes (at most %d)", ErrTooBig, len(value), MaxSecretSize)
	}
	// An unreadable old value (ErrCorrupt, e.g. a damaged token file) is
	// replaced, not a reason to refuse: writing a new login is the fix.
	oldHead, known := v.recall(key)
	if !known {
		var err error
		oldHead, err = v.backend.Get(v.service, key)
		if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrCorrupt) {
			return err
		}
	}
	old, oldChunked, _ := parseChunkHead(oldHead)

	head := value
	if (v.itemSize > 0 && len(value) > v.itemSize) || strings.HasPrefix(value, chunkHead) {
		c := chunks{gen: newGeneration(), sum: checksum(value)}
		for oldChunked && c.gen == old.gen {
			// The old parts are deleted below: never share their names.
			c.gen = newGeneration()
		}
		size := v.itemSize
		if size <= 0 {
			size = len(value)
		}
		parts := split(value, size)
		c.n = len(parts)
		if c.n > maxParts {
			// Get would reject such a head: refuse before touching
			// anything rather than replace the old value with it.
			return fmt.Errorf("%w: %d bytes need %d items of %d bytes (at most %d)", ErrTooBig, len(value), c.n, size, maxParts)
		}
		for i, p := range parts {
			if err := v.backend.Set(v.service, c.partName(key, i), p); err != nil {
				// The head was not written: the old value stands and
				// the parts written so far would only be litter.
				v.deleteParts(key, chunks{gen: c.gen, n: i + 1})
				return err
			}
		}
		head = c.head()
	}
	v.forget(key)
	if err := v.backend.Set(v.service, key, head); err != nil {
		return err
	}
	got, err := v.Get(key)
	if err != nil {
		return fmt.Errorf("reading back what was written: %w", err)
	}
	if got != value {
		return fmt.Errorf("%w: read back a different value than was written", ErrCorrupt)
	}
	if oldChunked {
		v.deleteParts(key, old)
	}
	return nil
}

// Delete removes key and its parts. Deleting a missing key is not an error.
func (v *vault) Delete(key string) error {
	v.forget(key)
	head, err := v.backend.Get(v.service, key)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return err
	}
	// An unreadable item is deleted all the same (a logout must be able to
	// get rid of it); it names no parts to delete.
	if err := v.backend.Delete(v.service, key); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if c, ok, _ := parseChunkHead(head); ok {
		v.deleteParts(key, c)
	}
	return nil
}

func (v *vault) remember(key, head string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.heads == nil {
		v.heads = map[string]string{}
	}
	v.heads[key] = head
}

func (v *vault) recall(key string) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	head, ok := v.heads[key]
	return head, ok
}

func (v *vault) forget(key string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.heads, key)
}

// deleteParts removes the part items of an old value. It is best effort:
// a leftover part holds only a fragment and is never read again. It stops
// at the first failure, so that a keychain that stopped answering costs one
// timeout rather than one per part.
func (v *vault) deleteParts(key string, c chunks) {
	for i := range c.n {
		if err := v.backend.Delete(v.service, c.partName(key, i)); err != nil && !errors.Is(err, ErrNotFound) {
			return
		}
	}
}

type chunks struct {
	gen string
	n   int
	sum string
}

func (c chunks) head() string {
	return fmt.Sprintf("%s%s:%d:%s", chunkHead, c.gen, c.n, c.sum)
}

func (c chunks) partName(key string, i int) string {
	return fmt.Sprintf("%s#%s.%d", key, c.gen, i)
}

// maxParts bounds how many parts a head may name: MaxSecretSize in parts of
// at least 256 bytes.
const maxParts = MaxSecretSize / 256

func parseChunkHead(head string) (chunks, bool, error) {
	rest, ok := strings.CutPrefix(head, chunkHead)
	if !ok {
		return chunks{}, false, nil
	}
	f := strings.Split(rest, ":")
	if len(f) != 3 {
		return chunks{}, false, fmt.Errorf("%w: malformed head", ErrCorrupt)
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 1 || n > maxParts || f[0] == "" || len(f[2]) != 16 {
		return chunks{}, false, fmt.Errorf("%w: malformed head", ErrCorrupt)
	}
	return chunks{gen: f[0], n: n, sum: f[2]}, true, nil
}

func split(s string, size int) []string {
	var parts []string
	for len(s) > size {
		parts = append(parts, s[:size])
		s = s[size:]
	}
	return append(parts, s)
}

func checksum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// newGeneration returns a fresh part-name generation; a variable so that
// tests can force collisions.
var newGeneration = func() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
