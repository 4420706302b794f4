// Package storagetest is a conformance suite for certmagic.Storage
// implementations: what certmagic's interface documents and what
// certmagic relies on, checked the same way against any storage —
// certmagic's own FileStorage as the reference, and portcullis's Redis
// storage (package cluster).
//
// Run takes a Harness that opens instances of the storage under test:
// each instance stands for one process of a cluster, sharing the stored
// data and the locks with every other instance of the same Harness.
package storagetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
)

// Harness opens the storage under test.
type Harness struct {
	// New returns a new instance of the storage, as another process of
	// the cluster would open it. The suite calls it several times per
	// check; the harness closes what it opens when the test ends.
	New func(t *testing.T) certmagic.Storage

	// HoldAndDie takes the lock name in an instance of its own and
	// returns a function that makes that instance die while holding it:
	// it stops refreshing the lock and never unlocks it (a process
	// SIGKILLed, or in-process, a client whose refresh is cancelled and
	// whose connection is closed). Nil skips the lease expiry check.
	HoldAndDie func(t *testing.T, name string) (die func())
	// Lease is how long after its holder dies a lock is free again at
	// the latest.
	Lease time.Duration
	// Slack is how much later than Lease another instance may get the
	// lock (its polling interval, scheduling); 1 s when zero.
	Slack time.Duration

	// UnlockIsUnowned is true for a storage whose Unlock releases a lock
	// whoever calls it, such as certmagic's FileStorage (Unlock removes
	// the lock file): the check that an instance cannot release another's
	// lock is skipped, saying so.
	UnlockIsUnowned bool

	// Lockers is how many goroutines contend for one lock in the mutual
	// exclusion check, spread over three instances; 6 when zero.
	Lockers int
}

// Run runs every check as a subtest of t, in parallel. Each check works
// under its own key prefix and lock names, so checks do not see each
// other's data.
func Run(t *testing.T, h Harness) {
	if h.Slack == 0 {
		h.Slack = time.Second
	}
	if h.Lockers == 0 {
		h.Lockers = 6
	}
	for _, c := range Checks {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			c.Run(t, h, strings.ReplaceAll(t.Name(), "/", "_"))
		})
	}
}

// A Check is one property of a storage.
type Check struct {
	// Name is the subtest's name.
	Name string
	// What says what the check asserts, for reports.
	What string
	// Run checks it with keys and lock names under root.
	Run func(t *testing.T, h Harness, root string)
}

// Checks lists the suite, in order.
var Checks = []Check{
	{"StoreLoad", "Store then Load returns the bytes stored (binary, empty, 256 KiB); a second Store replaces the value; another instance reads it", storeLoad},
	{"Missing", "Load, Stat and List of a missing key fail with an error matching fs.ErrNotExist; Exists is false; Delete of a missing key succeeds", missing},
	{"Exists", "Exists is true for a value and for each directory above it, false for a partial path component", exists},
	{"Delete", "Delete removes a value; of a directory, everything below it, and nothing beside it (not dir2/…, not dir.x)", deleteDir},
	{"List", "List without recursion returns the direct children (values and directories); with recursion every value and directory below; components, not string prefixes", list},
	{"Stat", "Stat of a value: key, size, modification time, terminal; of a directory: not terminal", stat},
	{"ConcurrentStore", "concurrent Stores to one key leave one of the values whole, never a mix", concurrentStore},
	{"MutualExclusion", "N goroutines on three instances Lock one name: each gets it, never two at once", mutualExclusion},
	{"LockWaitsForContext", "Lock of a held name waits, and returns the context's error when it is done", lockHonoursContext},
	{"UnlockByNonOwner", "Unlock by an instance that does not hold the lock leaves it held", unlockByNonOwner},
	{"LeaseExpires", "a lock whose holder dies is free again within Lease+Slack, and not before it died", leaseExpires},
	{"TryLock", "TryLock (when implemented) takes a free lock and reports false for a held one", tryLock},
}

func ctx(t *testing.T) context.Context { return t.Context() }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func storeLoad(t *testing.T, h Harness, root string) {
	a, b := h.New(t), h.New(t)
	for _, v := range [][]byte{
		[]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
		{0, 1, 2, 0, 255, '\n', 0},
		{},
		randomBytes(256 << 10),
	} {
		key := root + "/certificates/ca/example.com/example.com.crt"
		if err := a.Store(ctx(t), key, v); err != nil {
			t.Fatalf("Store(%d bytes): %v", len(v), err)
		}
		for i, s := range []certmagic.Storage{a, b} {
			got, err := s.Load(ctx(t), key)
			if err != nil {
				t.Fatalf("instance %d: Load: %v", i, err)
			}
			if !bytes.Equal(got, v) {
				t.Fatalf("instance %d: Load returned %d bytes, want the %d stored", i, len(got), len(v))
			}
		}
	}
}

func missing(t *testing.T, h Harness, root string) {
	s := h.New(t)
	if err := s.Store(ctx(t), root+"/present/file", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{root + "/absent", root + "/present/absent", root + "/presen"} {
		if _, err := s.Load(ctx(t), key); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Load(%q) = %v, want an error matching fs.ErrNotExist", key, err)
		}
		if _, err := s.Stat(ctx(t), key); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q) = %v, want an error matching fs.ErrNotExist", key, err)
		}
		if s.Exists(ctx(t), key) {
			t.Errorf("Exists(%q) = true", key)
		}
		if err := s.Delete(ctx(t), key); err != nil {
			t.Errorf("Delete(%q) of a missing key = %v, want nil", key, err)
		}
	}
	for _, dir := range []string{root + "/absent", root + "/presen"} {
		for _, rec := range []bool{false, true} {
			if keys, err := s.List(ctx(t), dir, rec); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("List(%q, %v) = %q, %v, want an error matching fs.ErrNotExist", dir, rec, keys, err)
			}
		}
	}
}

func exists(t *testing.T, h Harness, root string) {
	s := h.New(t)
	key := root + "/certificates/ca/example.com/example.com.key"
	if err := s.Store(ctx(t), key, []byte("k")); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{key, root + "/certificates/ca/example.com", root + "/certificates/ca", root + "/certificates", root} {
		if !s.Exists(ctx(t), k) {
			t.Errorf("Exists(%q) = false, want true", k)
		}
	}
	for _, k := range []string{root + "/certificates/ca/example.com/example.com", root + "/certificates/c", root + "/cert", key + ".prev"} {
		if s.Exists(ctx(t), k) {
			t.Errorf("Exists(%q) = true, want false", k)
		}
	}
}

func storeAll(t *testing.T, s certmagic.Storage, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if err := s.Store(ctx(t), k, []byte(k)); err != nil {
			t.Fatalf("Store(%q): %v", k, err)
		}
	}
}

func deleteDir(t *testing.T, h Harness, root string) {
	s, other := h.New(t), h.New(t)
	storeAll(t, s, root+"/dir/a", root+"/dir/sub/b", root+"/dir/sub/deeper/c", root+"/dir2/d", root+"/dir.x", root+"/di", root+"/single")
	if err := s.Delete(ctx(t), root+"/single"); err != nil {
		t.Fatal(err)
	}
	if err := other.Delete(ctx(t), root+"/dir"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{root + "/single", root + "/dir", root + "/dir/a", root + "/dir/sub", root + "/dir/sub/deeper/c"} {
		if s.Exists(ctx(t), k) {
			t.Errorf("after Delete, Exists(%q) = true", k)
		}
		if _, err := s.Load(ctx(t), k); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after Delete, Load(%q) = %v, want fs.ErrNotExist", k, err)
		}
	}
	for _, k := range []string{root + "/dir2/d", root + "/dir.x", root + "/di"} {
		if got, err := s.Load(ctx(t), k); err != nil || string(got) != k {
			t.Errorf("Delete(dir) removed its neighbour %q: %q, %v", k, got, err)
		}
	}
}

func list(t *testing.T, h Harness, root string) {
	s := h.New(t)
	storeAll(t, s,
		root+"/certificates/ca1/a.com/a.com.crt",
		root+"/certificates/ca1/a.com/a.com.key",
		root+"/certificates/ca1/a.com/a.com.json",
		root+"/certificates/ca1/b.com/b.com.crt",
		root+"/certificates/ca2/c.com/c.com.crt",
		root+"/certificates/file",
		root+"/certificatesX/other",
		root+"/ocsp/staple",
	)
	p := root + "/certificates"
	for _, c := range []struct {
		dir       string
		recursive bool
		want      []string
	}{
		{p, false, []string{p + "/ca1", p + "/ca2", p + "/file"}},
		{p + "/ca1", false, []string{p + "/ca1/a.com", p + "/ca1/b.com"}},
		{p + "/ca1/a.com", false, []string{p + "/ca1/a.com/a.com.crt", p + "/ca1/a.com/a.com.json", p + "/ca1/a.com/a.com.key"}},
		{p, true, []string{
			p + "/ca1", p + "/ca1/a.com", p + "/ca1/a.com/a.com.crt", p + "/ca1/a.com/a.com.json", p + "/ca1/a.com/a.com.key",
			p + "/ca1/b.com", p + "/ca1/b.com/b.com.crt",
			p + "/ca2", p + "/ca2/c.com", p + "/ca2/c.com/c.com.crt",
			p + "/file",
		}},
		{root, false, []string{root + "/certificates", root + "/certificatesX", root + "/ocsp"}},
	} {
		got, err := s.List(ctx(t), c.dir, c.recursive)
		if err != nil {
			t.Errorf("List(%q, %v): %v", c.dir, c.recursive, err)
			continue
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("List(%q, %v) =\n  %q\nwant\n  %q", c.dir, c.recursive, got, c.want)
		}
	}
	// A value has no children.
	if got, err := s.List(ctx(t), p+"/file", true); err != nil || len(got) != 0 {
		t.Errorf("List of a value = %q, %v; want nothing", got, err)
	}
}

func stat(t *testing.T, h Harness, root string) {
	s := h.New(t)
	key := root + "/certificates/ca/x.com/x.com.json"
	value := []byte(`{"sans":["x.com"]}`)
	before := time.Now()
	if err := s.Store(ctx(t), key, value); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	fi, err := s.Stat(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	// File systems stamp files with a coarser clock than time.Now.
	const grain = 20 * time.Millisecond
	if fi.Key != key || fi.Size != int64(len(value)) || !fi.IsTerminal ||
		fi.Modified.Before(before.Add(-grain)) || fi.Modified.After(after.Add(grain)) {
		t.Errorf("Stat(value) = %+v; want key %q, size %d, terminal, modified between %v and %v",
			fi, key, len(value), before.Format(time.StampMicro), after.Format(time.StampMicro))
	}
	dir := root + "/certificates/ca"
	fi, err = s.Stat(ctx(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Key != dir || fi.IsTerminal {
		t.Errorf("Stat(dir) = %+v; want key %q, not terminal", fi, dir)
	}
}

func concurrentStore(t *testing.T, h Harness, root string) {
	key := root + "/contended"
	values := make([][]byte, 8)
	for i := range values {
		values[i] = bytes.Repeat([]byte{byte('a' + i)}, 64<<10)
	}
	var wg sync.WaitGroup
	for i, v := range values {
		s := h.New(t)
		wg.Go(func() {
			for range 5 {
				if err := s.Store(ctx(t), key, v); err != nil {
					t.Errorf("Store %d: %v", i, err)
					return
				}
			}
		})
	}
	stop := make(chan struct{})
	var reads sync.WaitGroup
	reader := h.New(t)
	reads.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			got, err := reader.Load(ctx(t), key)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Errorf("Load during Stores: %v", err)
				return
			}
			if !slices.ContainsFunc(values, func(v []byte) bool { return bytes.Equal(v, got) }) {
				t.Errorf("Load during Stores returned %d bytes that are none of the values stored", len(got))
				return
			}
		}
	})
	wg.Wait()
	close(stop)
	reads.Wait()
	got, err := reader.Load(ctx(t), key)
	if err != nil || !slices.ContainsFunc(values, func(v []byte) bool { return bytes.Equal(v, got) }) {
		t.Errorf("after concurrent Stores: %d bytes, %v; want one of the values", len(got), err)
	}
}

func mutualExclusion(t *testing.T, h Harness, root string) {
	instances := []certmagic.Storage{h.New(t), h.New(t), h.New(t)}
	name := root + "_lock"
	var inside, overlaps, entered atomic.Int32
	var wg sync.WaitGroup
	for i := range h.Lockers {
		s := instances[i%len(instances)]
		wg.Go(func() {
			if err := s.Lock(ctx(t), name); err != nil {
				t.Errorf("locker %d: Lock: %v", i, err)
				return
			}
			entered.Add(1)
			if inside.Add(1) > 1 {
				overlaps.Add(1)
			}
			time.Sleep(20 * time.Millisecond) // a critical section long enough for others to try
			inside.Add(-1)
			if err := s.Unlock(ctx(t), name); err != nil {
				t.Errorf("locker %d: Unlock: %v", i, err)
			}
		})
	}
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d times a locker entered while another held the lock", n)
	}
	if n := entered.Load(); int(n) != h.Lockers {
		t.Errorf("%d of %d lockers got the lock", n, h.Lockers)
	}
}

// held asserts that name cannot be locked within d by a fresh instance.
func held(t *testing.T, h Harness, name string, d time.Duration, why string) {
	t.Helper()
	s := h.New(t)
	c, cancel := context.WithTimeout(ctx(t), d)
	defer cancel()
	if err := s.Lock(c, name); err == nil {
		s.Unlock(ctx(t), name)
		t.Fatalf("%s: another instance got the lock", why)
	}
}

func lockHonoursContext(t *testing.T, h Harness, root string) {
	s := h.New(t)
	name := root + "_lock"
	if err := s.Lock(ctx(t), name); err != nil {
		t.Fatal(err)
	}
	defer s.Unlock(context.Background(), name)
	for _, other := range []certmagic.Storage{s, h.New(t)} {
		const wait = 300 * time.Millisecond
		c, cancel := context.WithTimeout(ctx(t), wait)
		start := time.Now()
		err := other.Lock(c, name)
		took := time.Since(start)
		cancel()
		if err == nil {
			t.Fatal("Lock of a held name succeeded")
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Lock of a held name returned %v; want the context's error", err)
		}
		// Generous: certmagic's FileStorage finishes a file operation
		// before it looks at the context, and CI machines are slow.
		if took > wait+5*time.Second {
			t.Errorf("Lock returned %v after its context ended", took-wait)
		}
	}
}

func unlockByNonOwner(t *testing.T, h Harness, root string) {
	if h.UnlockIsUnowned {
		t.Skip("this storage's Unlock releases a lock whoever calls it (Harness.UnlockIsUnowned)")
	}
	owner, intruder := h.New(t), h.New(t)
	name := root + "_lock"
	if err := owner.Lock(ctx(t), name); err != nil {
		t.Fatal(err)
	}
	err := intruder.Unlock(ctx(t), name)
	t.Logf("Unlock by a non-owner returned %v", err)
	held(t, h, name, 500*time.Millisecond, "after Unlock by a non-owner")
	if err := owner.Unlock(ctx(t), name); err != nil {
		t.Errorf("Unlock by the owner: %v", err)
	}
	c, cancel := context.WithTimeout(ctx(t), 5*time.Second)
	defer cancel()
	if err := intruder.Lock(c, name); err != nil {
		t.Errorf("after the owner's Unlock, Lock: %v", err)
	} else {
		intruder.Unlock(ctx(t), name)
	}
}

func leaseExpires(t *testing.T, h Harness, root string) {
	if h.HoldAndDie == nil {
		t.Skip("no Harness.HoldAndDie")
	}
	name := root + "_lock"
	die := h.HoldAndDie(t, name)
	// Alive, the holder keeps the lock past its lease: it refreshes it.
	held(t, h, name, h.Lease+h.Lease/4, "while its holder was alive, past the lease")
	die()
	died := time.Now()
	s := h.New(t)
	c, cancel := context.WithTimeout(ctx(t), h.Lease+h.Slack+5*time.Second)
	defer cancel()
	if err := s.Lock(c, name); err != nil {
		t.Fatalf("Lock after the holder died: %v", err)
	}
	defer s.Unlock(context.Background(), name)
	took := time.Since(died)
	t.Logf("lock free %v after its holder died (lease %v)", took.Round(time.Millisecond), h.Lease)
	if took > h.Lease+h.Slack {
		t.Errorf("lock free %v after its holder died; want at most Lease+Slack = %v", took, h.Lease+h.Slack)
	}
}

func tryLock(t *testing.T, h Harness, root string) {
	a, b := h.New(t), h.New(t)
	ta, ok1 := a.(certmagic.TryLocker)
	tb, ok2 := b.(certmagic.TryLocker)
	if !ok1 || !ok2 {
		t.Skipf("%T does not implement certmagic.TryLocker", a)
	}
	name := root + "_lock"
	ok, err := ta.TryLock(ctx(t), name)
	if err != nil || !ok {
		t.Fatalf("TryLock of a free lock = %v, %v", ok, err)
	}
	if ok, err := tb.TryLock(ctx(t), name); ok || err != nil {
		t.Errorf("TryLock of a held lock = %v, %v; want false, nil", ok, err)
		if ok {
			tb.Unlock(ctx(t), name)
		}
	}
	if err := ta.Unlock(ctx(t), name); err != nil {
		t.Fatal(err)
	}
	if ok, err := tb.TryLock(ctx(t), name); !ok || err != nil {
		t.Errorf("TryLock after Unlock = %v, %v", ok, err)
	} else {
		tb.Unlock(ctx(t), name)
	}
}
