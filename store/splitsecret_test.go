package store

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
)

func TestFakePlatformLimits(t *testing.T) {
	// The fake must refuse what the platforms refuse, or the round trips
	// below would prove nothing.
	user := "profile:default"
	if !fitsDarwin(testService, user, secret(1, 2048)) {
		t.Error("darwin fake refuses 2048 bytes")
	}
	if fitsDarwin(testService, user, secret(1, 3100)) {
		t.Error("darwin fake accepts 3100 bytes")
	}
	if !fitsWindows(testService, user, secret(1, 2560)) || fitsWindows(testService, user, secret(1, 2561)) {
		t.Error("windows fake limit is not 2560 bytes")
	}
	for _, p := range platforms[1:] {
		v := sizedVault(newFake(p.fits), testService, 0)
		if err := v.Set(user, secret(2, 8<<10)); !errors.Is(err, ErrTooBig) {
			t.Errorf("%s: unchunked 8 KiB Set = %v, want ErrTooBig", p.name, err)
		}
	}
}

func TestVaultRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 100, 2047, 2048, 2049, 2560, 2561, 3000, 4095, 4096, 4097, 6000, 8 << 10, 64 << 10}
	for _, p := range platforms {
		for _, n := range sizes {
			t.Run(fmt.Sprintf("%s/%d", p.name, n), func(t *testing.T) {
				fb := newFake(p.fits)
				v := sizedVault(fb, testService, p.itemSize)
				want := secret(uint64(n), n)
				if err := v.Set("profile:default", want); err != nil {
					t.Fatalf("Set(%d bytes): %v", n, err)
				}
				got, err := v.Get("profile:default")
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if got != want {
					t.Fatalf("Get returned %d bytes, not the %d written", len(got), n)
				}
				wantItems := 1
				if p.itemSize > 0 && n > p.itemSize {
					wantItems += (n + p.itemSize - 1) / p.itemSize
				}
				if us := fb.users(); len(us) != wantItems {
					t.Errorf("stored items %q, want %d", us, wantItems)
				}
				for _, u := range fb.users() {
					if raw, _ := fb.raw(testService, u); p.itemSize > 0 && len(raw) > p.itemSize {
						t.Errorf("item %s holds %d bytes, over the item size %d", u, len(raw), p.itemSize)
					}
				}
				// A fresh Vault (another process) reads it too.
				if got, err := sizedVault(fb, testService, p.itemSize).Get("profile:default"); err != nil || got != want {
					t.Errorf("fresh Vault Get: %d bytes, %v", len(got), err)
				}
			})
		}
	}
}

func TestVaultRoundTripMultibyte(t *testing.T) {
	// Parts are cut at byte offsets, through the middle of runes.
	want := strings.Repeat("ÿ€😀", 1000) // 9000 bytes
	for _, p := range platforms {
		fb := newFake(p.fits)
		v := sizedVault(fb, testService, p.itemSize)
		if err := v.Set("k", want); err != nil {
			t.Fatalf("%s: Set: %v", p.name, err)
		}
		if got, err := v.Get("k"); err != nil || got != want {
			t.Fatalf("%s: Get = %d bytes, %v", p.name, len(got), err)
		}
	}
}

func TestVaultHeadWrittenLast(t *testing.T) {
	fb := newFake(fitsWindows)
	v := sizedVault(fb, testService, 2048)
	if err := v.Set("k", secret(3, 5000)); err != nil {
		t.Fatal(err)
	}
	var sets []string
	for _, op := range fb.log {
		if u, ok := strings.CutPrefix(op, "set "); ok {
			sets = append(sets, u)
		}
	}
	if len(sets) != 4 || sets[3] != "k" {
		t.Fatalf("sets in order %q: want 3 parts then the head", sets)
	}
	for _, u := range sets[:3] {
		if !strings.HasPrefix(u, "k#") {
			t.Errorf("part item named %q, want k#GEN.I", u)
		}
	}
	// A read costs the head and one call per part; a small value one call.
	fb.resetLog()
	if _, err := v.Get("k"); err != nil {
		t.Fatal(err)
	}
	if fb.gets != 4 || fb.sets != 0 || fb.deletes != 0 {
		t.Errorf("Get of 3 parts made %d gets, %d sets, %d deletes; want 4, 0, 0", fb.gets, fb.sets, fb.deletes)
	}
	if err := v.Set("small", "v"); err != nil {
		t.Fatal(err)
	}
	fb.resetLog()
	if _, err := v.Get("small"); err != nil || fb.gets != 1 {
		t.Errorf("Get of one item made %d gets (%v), want 1", fb.gets, err)
	}
}

func TestVaultTooBig(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			fb := newFake(p.fits)
			v := sizedVault(fb, testService, p.itemSize)
			if err := v.Set("k", secret(4, MaxSecretSize)); err != nil {
				t.Fatalf("Set(MaxSecretSize): %v", err)
			}
			fb.resetLog()
			err := v.Set("k", secret(5, MaxSecretSize+1))
			if !errors.Is(err, ErrTooBig) {
				t.Fatalf("Set(MaxSecretSize+1) = %v, want ErrTooBig", err)
			}
			if fb.sets != 0 {
				t.Errorf("a refused value still made %d Set calls", fb.sets)
			}
			if got, err := v.Get("k"); err != nil || got != secret(4, MaxSecretSize) {
				t.Errorf("old value lost: %d bytes, %v", len(got), err)
			}
		})
	}
}

func TestVaultTooManyParts(t *testing.T) {
	// An item size so small that a big value needs more parts than a head
	// may name must be refused up front, not leave an unreadable head.
	fb := newFake(nil)
	v := sizedVault(fb, testService, 64)
	old := secret(6, 1000)
	if err := v.Set("k", old); err != nil {
		t.Fatal(err)
	}
	fb.resetLog()
	if err := v.Set("k", secret(7, 64<<10)); !errors.Is(err, ErrTooBig) {
		t.Fatalf("Set = %v, want ErrTooBig", err)
	}
	if fb.sets != 0 {
		t.Errorf("%d Set calls for a refused value", fb.sets)
	}
	if got, err := v.Get("k"); err != nil || got != old {
		t.Errorf("old value lost: %v", err)
	}
}

func TestVaultReplaceRemovesOldParts(t *testing.T) {
	cases := []struct {
		name     string
		old, new int
	}{
		{"chunked to smaller chunked", 8 << 10, 3000},
		{"chunked to same size", 8 << 10, 8 << 10},
		{"chunked to one item", 8 << 10, 100},
		{"chunked to empty", 5000, 0},
		{"one item to chunked", 100, 8 << 10},
		{"one item to one item", 100, 200},
		{"chunked to bigger chunked", 3000, 64 << 10},
	}
	for _, p := range platforms[1:] {
		for _, c := range cases {
			t.Run(p.name+"/"+c.name, func(t *testing.T) {
				fb := newFake(p.fits)
				v := sizedVault(fb, testService, p.itemSize)
				if err := v.Set("k", secret(8, c.old)); err != nil {
					t.Fatal(err)
				}
				want := secret(9, c.new)
				if err := v.Set("k", want); err != nil {
					t.Fatal(err)
				}
				if got, err := v.Get("k"); err != nil || got != want {
					t.Fatalf("Get after replace: %d bytes, %v", len(got), err)
				}
				wantItems := 1
				if c.new > p.itemSize {
					wantItems += (c.new + p.itemSize - 1) / p.itemSize
				}
				if us := fb.users(); len(us) != wantItems {
					t.Errorf("items after replace %q, want %d (old parts left behind?)", us, wantItems)
				}
			})
		}
	}
}

func TestVaultGenerationCollision(t *testing.T) {
	// Were the new value's parts to share the old value's names, deleting
	// the old parts would destroy the new value.
	gens := []string{"00000000", "00000000", "11111111"}
	orig := newGeneration
	t.Cleanup(func() { newGeneration = orig })
	newGeneration = func() string {
		g := gens[0]
		if len(gens) > 1 {
			gens = gens[1:]
		}
		return g
	}
	fb := newFake(fitsWindows)
	v := sizedVault(fb, testService, 2048)
	if err := v.Set("k", secret(10, 5000)); err != nil {
		t.Fatal(err)
	}
	want := secret(11, 5000)
	if err := v.Set("k", want); err != nil {
		t.Fatal(err)
	}
	if got, err := v.Get("k"); err != nil || got != want {
		t.Fatalf("Get after a generation collision: %v", err)
	}
}

var errInjected = errors.New("injected failure")

func TestVaultCrashKeepsOldValue(t *testing.T) {
	// The new value needs 4 parts and a head: fail each of its writes in
	// turn. Set call 1..4 are parts, 5 the head.
	for _, oldSize := range []int{100, 5000} {
		for failAt := 1; failAt <= 5; failAt++ {
			t.Run(fmt.Sprintf("old%d/fail%d", oldSize, failAt), func(t *testing.T) {
				fb := newFake(fitsWindows)
				v := sizedVault(fb, testService, 2048)
				old := secret(12, oldSize)
				if err := v.Set("k", old); err != nil {
					t.Fatal(err)
				}
				before := fb.users()
				fb.resetLog()
				fb.failSetAt, fb.failErr = failAt, errInjected
				if err := v.Set("k", secret(13, 8000)); !errors.Is(err, errInjected) {
					t.Fatalf("Set = %v, want the injected failure", err)
				}
				fb.failSetAt = 0
				got, err := v.Get("k")
				if err != nil || got != old {
					t.Fatalf("old value not intact after a failed Set: %d bytes, %v", len(got), err)
				}
				if failAt <= 4 {
					// The head was never written: no trace of the new value.
					if after := fb.users(); strings.Join(after, ",") != strings.Join(before, ",") {
						t.Errorf("items %q after a failed Set, want %q", after, before)
					}
				}
			})
		}
	}
}

func TestVaultSetReadFailure(t *testing.T) {
	fb := newFake(nil)
	v := sizedVault(fb, testService, 0)
	fb.failGetAt, fb.failErr = 1, errInjected
	if err := v.Set("k", "v"); !errors.Is(err, errInjected) {
		t.Fatalf("Set with a failing read of the old value = %v", err)
	}
	if fb.sets != 0 {
		t.Errorf("Set wrote %d items although the keychain failed", fb.sets)
	}
}

func TestVaultSetOverCorruptOldValue(t *testing.T) {
	// A backend that says the stored item is corrupt (the insecure file)
	// must not stop a new login from replacing it.
	fb := newFake(nil)
	v := sizedVault(fb, testService, 0)
	fb.failGetAt, fb.failErr = 1, fmt.Errorf("%w: bad file", ErrCorrupt)
	if err := v.Set("k", "new"); err != nil {
		t.Fatalf("Set over a corrupt value: %v", err)
	}
	if got, err := v.Get("k"); err != nil || got != "new" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// And a stored head that is malformed is simply replaced.
	fb.put(testService, "k", chunkHead+"garbage")
	if err := v.Set("k", "newer"); err != nil {
		t.Fatalf("Set over a malformed head: %v", err)
	}
	if got, err := v.Get("k"); err != nil || got != "newer" {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

func TestVaultCorrupt(t *testing.T) {
	const sum = "0123456789abcdef"
	cases := []struct {
		name   string
		damage func(fb *fakeBackend, parts []string)
	}{
		{"missing first part", func(fb *fakeBackend, parts []string) { _ = fb.Delete(testService, parts[0]) }},
		{"missing last part", func(fb *fakeBackend, parts []string) { _ = fb.Delete(testService, parts[len(parts)-1]) }},
		{"changed part", func(fb *fakeBackend, parts []string) {
			raw, _ := fb.raw(testService, parts[1])
			fb.put(testService, parts[1], "X"+raw[1:])
		}},
		{"truncated part", func(fb *fakeBackend, parts []string) {
			raw, _ := fb.raw(testService, parts[1])
			fb.put(testService, parts[1], raw[:len(raw)-1])
		}},
		{"swapped parts", func(fb *fakeBackend, parts []string) {
			a, _ := fb.raw(testService, parts[0])
			b, _ := fb.raw(testService, parts[1])
			fb.put(testService, parts[0], b)
			fb.put(testService, parts[1], a)
		}},
		{"wrong checksum in head", func(fb *fakeBackend, parts []string) {
			head, _ := fb.raw(testService, "k")
			fb.put(testService, "k", head[:len(head)-16]+sum)
		}},
		{"head names fewer parts", func(fb *fakeBackend, parts []string) {
			head, _ := fb.raw(testService, "k")
			fb.put(testService, "k", strings.Replace(head, fmt.Sprintf(":%d:", len(parts)), fmt.Sprintf(":%d:", len(parts)-1), 1))
		}},
		{"head names more parts", func(fb *fakeBackend, parts []string) {
			head, _ := fb.raw(testService, "k")
			fb.put(testService, "k", strings.Replace(head, fmt.Sprintf(":%d:", len(parts)), fmt.Sprintf(":%d:", len(parts)+1), 1))
		}},
	}
	malformed := []string{
		chunkHead,
		chunkHead + "g",
		chunkHead + "g:1",
		chunkHead + "g:1:" + sum + ":extra",
		chunkHead + ":1:" + sum,
		chunkHead + "g:0:" + sum,
		chunkHead + "g:-1:" + sum,
		chunkHead + "g:x:" + sum,
		chunkHead + "g: 1:" + sum,
		chunkHead + "g:1:" + sum[:15],
		chunkHead + "g:1:" + sum + "0",
		chunkHead + fmt.Sprintf("g:%d:%s", maxParts+1, sum),
		chunkHead + "g:99999999999999999999999:" + sum,
	}
	for _, h := range malformed {
		cases = append(cases, struct {
			name   string
			damage func(fb *fakeBackend, parts []string)
		}{"malformed head " + h, func(fb *fakeBackend, _ []string) { fb.put(testService, "k", h) }})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fb := newFake(fitsWindows)
			v := sizedVault(fb, testService, 2048)
			if err := v.Set("k", secret(14, 5000)); err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, u := range fb.users() {
				if u != "k" {
					parts = append(parts, u)
				}
			}
			sort.Slice(parts, func(i, j int) bool {
				return len(parts[i]) < len(parts[j]) || len(parts[i]) == len(parts[j]) && parts[i] < parts[j]
			})
			if len(parts) != 3 {
				t.Fatalf("parts %q, want 3", parts)
			}
			c.damage(fb, parts)
			got, err := v.Get("k")
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Get = %d bytes, %v; want ErrCorrupt", len(got), err)
			}
			if got != "" {
				t.Errorf("Get returned %d bytes along with the error", len(got))
			}
		})
	}
}

func TestVaultGetErrors(t *testing.T) {
	fb := newFake(fitsWindows)
	v := sizedVault(fb, testService, 2048)
	if _, err := v.Get("missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(missing) = %v, want ErrNotFound", err)
	}
	if err := v.Set("k", secret(15, 5000)); err != nil {
		t.Fatal(err)
	}
	// A failure reading a part is the backend's error, not ErrCorrupt.
	fb.resetLog()
	fb.failGetAt, fb.failErr = 2, errInjected
	if _, err := v.Get("k"); !errors.Is(err, errInjected) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get with a failing part read = %v", err)
	}
}

func TestVaultValueLooksLikeHead(t *testing.T) {
	values := []string{
		chunkHead,
		chunkHead + "deadbeef:1:0123456789abcdef",
		chunkHead + "deadbeef:2:0123456789abcdef" + strings.Repeat("x", 5000),
	}
	for _, p := range platforms {
		for i, want := range values {
			t.Run(fmt.Sprintf("%s/%d", p.name, i), func(t *testing.T) {
				fb := newFake(p.fits)
				v := sizedVault(fb, testService, p.itemSize)
				if err := v.Set("k", want); err != nil {
					t.Fatalf("Set: %v", err)
				}
				if got, err := v.Get("k"); err != nil || got != want {
					t.Fatalf("Get = %.40q, %v; want %.40q", got, err, want)
				}
				if head, _ := fb.raw(testService, "k"); head == want {
					t.Error("value stored as its own head: it would be taken for a chunk head")
				}
				if err := v.Delete("k"); err != nil {
					t.Fatal(err)
				}
				if us := fb.users(); len(us) != 0 {
					t.Errorf("items left after Delete: %q", us)
				}
			})
		}
	}
}

func TestVaultDelete(t *testing.T) {
	for _, p := range platforms {
		for _, n := range []int{10, 8 << 10} {
			t.Run(fmt.Sprintf("%s/%d", p.name, n), func(t *testing.T) {
				fb := newFake(p.fits)
				v := sizedVault(fb, testService, p.itemSize)
				if err := v.Set("k", secret(16, n)); err != nil {
					t.Fatal(err)
				}
				if err := v.Set("other", "stays"); err != nil {
					t.Fatal(err)
				}
				if err := v.Delete("k"); err != nil {
					t.Fatalf("Delete: %v", err)
				}
				if us := fb.users(); len(us) != 1 || us[0] != "other" {
					t.Errorf("items after Delete: %q, want only other", us)
				}
				if _, err := v.Get("k"); !errors.Is(err, ErrNotFound) {
					t.Errorf("Get after Delete = %v, want ErrNotFound", err)
				}
				if err := v.Delete("k"); err != nil {
					t.Errorf("second Delete = %v, want nil", err)
				}
				if err := v.Delete("never-stored"); err != nil {
					t.Errorf("Delete(missing) = %v, want nil", err)
				}
			})
		}
	}
}

func TestVaultDeleteDamaged(t *testing.T) {
	t.Run("malformed head", func(t *testing.T) {
		fb := newFake(nil)
		fb.put(testService, "k", chunkHead+"nonsense")
		if err := sizedVault(fb, testService, 0).Delete("k"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if us := fb.users(); len(us) != 0 {
			t.Errorf("items left: %q", us)
		}
	})
	t.Run("missing part", func(t *testing.T) {
		fb := newFake(nil)
		v := sizedVault(fb, testService, 2048)
		if err := v.Set("k", secret(17, 5000)); err != nil {
			t.Fatal(err)
		}
		for _, u := range fb.users() {
			if strings.HasSuffix(u, ".1") {
				_ = fb.Delete(testService, u)
			}
		}
		if err := v.Delete("k"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if us := fb.users(); len(us) != 0 {
			t.Errorf("items left: %q", us)
		}
	})
	t.Run("backend reports corrupt", func(t *testing.T) {
		fb := newFake(nil)
		fb.put(testService, "k", "v")
		fb.failGetAt, fb.failErr = 1, ErrCorrupt
		if err := sizedVault(fb, testService, 0).Delete("k"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if us := fb.users(); len(us) != 0 {
			t.Errorf("items left: %q", us)
		}
	})
	t.Run("backend fails", func(t *testing.T) {
		fb := newFake(nil)
		fb.put(testService, "k", "v")
		fb.failGetAt, fb.failErr = 1, errInjected
		if err := sizedVault(fb, testService, 0).Delete("k"); !errors.Is(err, errInjected) {
			t.Fatalf("Delete = %v, want the backend's error", err)
		}
	})
}

func TestVaultReadBackMismatch(t *testing.T) {
	cases := []struct {
		name     string
		itemSize int
		size     int
	}{
		{"one item", 0, 3000},
		{"chunked", 2048, 5000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fb := newFake(nil)
			fb.truncate = 1000
			v := sizedVault(fb, testService, c.itemSize)
			err := v.Set("k", secret(18, c.size))
			if err == nil {
				t.Fatal("Set succeeded although the backend kept only part of the value")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Set = %v, want it to wrap ErrCorrupt", err)
			}
		})
	}
}

func TestVaultServiceIsolation(t *testing.T) {
	fb := newFake(nil)
	a := sizedVault(fb, "atl", 2048)
	b := sizedVault(fb, "atl-other", 2048)
	if err := a.Set("k", secret(19, 5000)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get("k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other service sees the value: %v", err)
	}
	if err := b.Delete("k"); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Get("k"); err != nil || got != secret(19, 5000) {
		t.Fatalf("value lost by another service's Delete: %v", err)
	}
}

func TestSetAfterGetReadsNoHeadAgain(t *testing.T) {
	fb := newFake(nil)
	if err := sizedVault(fb, testService, 10).Set("k", strings.Repeat("a", 25)); err != nil { // 3 parts
		t.Fatal(err)
	}
	v := sizedVault(fb, testService, 10)
	if got, err := v.Get("k"); err != nil || got != strings.Repeat("a", 25) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	fb.log = nil
	if err := v.Set("k", strings.Repeat("b", 15)); err != nil {
		t.Fatal(err)
	}
	// The parts of the new value, its head, the read-back (head and parts),
	// and the old parts deleted, found from the head Get read.
	want := []string{"set k#", "set k#", "set k", "get k", "get k#", "get k#", "delete k#", "delete k#", "delete k#"}
	if len(fb.log) != len(want) {
		t.Fatalf("calls %v", fb.log)
	}
	for i, w := range want {
		if !strings.HasPrefix(fb.log[i], w) || (w == "set k" || w == "get k") && fb.log[i] != w {
			t.Fatalf("call %d is %q, want %q… (all: %v)", i, fb.log[i], w, fb.log)
		}
	}
	if len(fb.items) != 3 {
		t.Fatalf("%d items left, want the head and 2 parts", len(fb.items))
	}
	// Another writer replaced the value behind this vault's back: the next
	// Set leaves that writer's parts behind, unread, and never loses data.
	if err := sizedVault(fb, testService, 10).Set("k", strings.Repeat("c", 25)); err != nil {
		t.Fatal(err)
	}
	if err := v.Set("k", "d"); err != nil {
		t.Fatal(err)
	}
	if got, err := sizedVault(fb, testService, 10).Get("k"); err != nil || got != "d" {
		t.Fatalf("after a write behind its back: %q, %v", got, err)
	}
}

func TestVaultMissingPartIsNamed(t *testing.T) {
	fb := newFake(nil)
	if err := sizedVault(fb, testService, 10).Set("k", strings.Repeat("a", 25)); err != nil { // 3 parts
		t.Fatal(err)
	}
	head, _ := fb.raw(testService, "k")
	c, ok, err := parseChunkHead(head)
	if !ok || err != nil || c.n != 3 {
		t.Fatalf("head %q: %v %v", head, ok, err)
	}
	if err := fb.Delete(testService, c.partName("k", 1)); err != nil {
		t.Fatal(err)
	}
	_, err = sizedVault(fb, testService, 10).Get("k")
	if !errors.Is(err, ErrCorrupt) || err.Error() != "stored secret is corrupt: part 2 of 3 is missing" {
		t.Fatalf("Get = %v", err)
	}
}

func TestVaultAtMostMaxParts(t *testing.T) {
	// maxParts parts are fine, written and read back; one more is refused.
	fb := newFake(nil)
	v := sizedVault(fb, testService, 10)
	exact := strings.Repeat("x", 10*maxParts)
	if err := v.Set("k", exact); err != nil {
		t.Fatalf("Set of %d parts: %v", maxParts, err)
	}
	if got, err := v.Get("k"); err != nil || got != exact {
		t.Fatalf("Get of %d parts: %v", maxParts, err)
	}
	if err := v.Set("k", exact+"y"); !errors.Is(err, ErrTooBig) {
		t.Fatalf("Set of %d parts = %v, want ErrTooBig", maxParts+1, err)
	}
}
