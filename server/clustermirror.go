package server

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/portcullis/portcullis/cluster"
)

// mirrorStorage is certmagic's storage in cluster mode: Redis (shared,
// authoritative, holding the locks) with a copy of every value in the
// data directory (the crash-safe file storage of certs/acme).
//
//   - Writes go to Redis first — a write Redis refuses fails, so that no
//     certificate is ordered or stored without the cluster knowing — then
//     to the data directory.
//   - Reads go to Redis; what Redis returns is copied to the data
//     directory in the background when it differs. While Redis is down
//     (the health check says so, or the call fails as unavailable), reads
//     are answered from the data directory: an instance restarted during
//     an outage starts with the certificates it held. A value Redis does
//     not hold is missing, whatever the data directory says (Redis is
//     authoritative) — except while Redis lost its data (the marker is
//     missing): then a value Redis lacks is answered from the data
//     directory, so that nothing is ordered again before the health check
//     has published the mirror back (publish).
//   - A background copy never overwrites what a Store or Delete of the
//     same key did after the value was read (seq, changed).
//   - Locks are Redis's only: with Redis down nothing is ordered.
type mirrorStorage struct {
	redis *cluster.Storage
	local certmagic.Storage
	down  func() bool // the health check says Redis does not answer
	log   *slog.Logger

	// lost is set by the health check from when it finds the marker
	// missing until the mirror is published back.
	lost atomic.Bool

	// wmu orders the background copies' writes with Store's and Delete's:
	// a copy checks that its value is still current and writes it under
	// wmu, so a newer value cannot be written in between.
	wmu sync.Mutex

	mu      sync.Mutex
	pending map[string]pendingCopy // values read from Redis, to copy locally
	seq     uint64                 // counts Stores and Deletes
	changed map[string]uint64      // key (or directory) → seq of its last Store or Delete
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

func newMirrorStorage(redis *cluster.Storage, local certmagic.Storage, down func() bool, log *slog.Logger) *mirrorStorage {
	m := &mirrorStorage{redis: redis, local: local, down: down, log: log,
		pending: map[string]pendingCopy{}, changed: map[string]uint64{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go m.copyLoop()
	return m
}

// String names the storage for certmagic's logs.
func (m *mirrorStorage) String() string { return "mirror(" + m.redis.String() + ")" }

// unavailable reports whether err means Redis could not answer.
func unavailable(err error) bool { return errors.Is(err, cluster.ErrUnavailable) }

// pendingCopy is a value read from Redis, to copy to the data directory
// unless its key changed after seq.
type pendingCopy struct {
	value []byte
	seq   uint64
}

// Store writes key to Redis, then to the data directory.
func (m *mirrorStorage) Store(ctx context.Context, key string, value []byte) error {
	if err := m.redis.Store(ctx, key, value); err != nil {
		return err
	}
	m.changing(key)
	if err := m.local.Store(ctx, key, value); err != nil {
		m.log.Warn("cluster: could not mirror a stored value in the data directory", "key", key, "err", err)
	}
	return nil
}

// Load reads key from Redis, or from the data directory while Redis is
// down.
func (m *mirrorStorage) Load(ctx context.Context, key string) ([]byte, error) {
	if !m.down() {
		seq := m.reading()
		v, err := m.redis.Load(ctx, key)
		if err == nil {
			m.copyLocal(key, v, seq)
			return v, nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			if lv, lerr := m.local.Load(ctx, key); lerr == nil && m.redisLost(ctx) {
				return lv, nil
			}
		}
		if !unavailable(err) {
			return nil, err
		}
	}
	return m.local.Load(ctx, key)
}

// redisLost reports whether Redis lost its data and the mirror is not
// published back yet: the health check says so, or the marker is missing
// (Redis emptied since the last check), or Redis cannot say.
func (m *mirrorStorage) redisLost(ctx context.Context) bool {
	if m.lost.Load() {
		return true
	}
	_, err := m.redis.Stat(ctx, clusterMarker)
	return errors.Is(err, fs.ErrNotExist) || unavailable(err)
}

// Delete deletes key in Redis and in the data directory.
func (m *mirrorStorage) Delete(ctx context.Context, key string) error {
	err := m.redis.Delete(ctx, key)
	m.changing(key)
	if lerr := m.local.Delete(ctx, key); lerr != nil && !errors.Is(lerr, fs.ErrNotExist) {
		m.log.Warn("cluster: could not delete a mirrored value in the data directory", "key", key, "err", lerr)
	}
	return err
}

// Exists reports whether key exists in Redis, or in the data directory
// while Redis is down.
func (m *mirrorStorage) Exists(ctx context.Context, key string) bool {
	if m.down() {
		return m.local.Exists(ctx, key)
	}
	return m.redis.Exists(ctx, key) || m.local.Exists(ctx, key) && m.redisLost(ctx)
}

// List lists Redis, or the data directory while Redis is down.
func (m *mirrorStorage) List(ctx context.Context, dir string, recursive bool) ([]string, error) {
	if !m.down() {
		keys, err := m.redis.List(ctx, dir, recursive)
		if err == nil && m.lost.Load() {
			return m.union(ctx, keys, dir, recursive), nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			if lkeys, lerr := m.local.List(ctx, dir, recursive); lerr == nil && m.redisLost(ctx) {
				return lkeys, nil
			}
		}
		if err == nil || !unavailable(err) {
			return keys, err
		}
	}
	return m.local.List(ctx, dir, recursive)
}

// Stat describes key in Redis, or in the data directory while Redis is
// down.
func (m *mirrorStorage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	if !m.down() {
		ki, err := m.redis.Stat(ctx, key)
		if errors.Is(err, fs.ErrNotExist) {
			if lki, lerr := m.local.Stat(ctx, key); lerr == nil && m.redisLost(ctx) {
				return lki, nil
			}
		}
		if err == nil || !unavailable(err) {
			return ki, err
		}
	}
	return m.local.Stat(ctx, key)
}

// union adds to keys, listed in Redis, those the data directory lists
// under dir: while Redis lost its data, what it lacks is the mirror's.
func (m *mirrorStorage) union(ctx context.Context, keys []string, dir string, recursive bool) []string {
	lkeys, err := m.local.List(ctx, dir, recursive)
	if err != nil {
		return keys
	}
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		seen[k] = true
	}
	for _, k := range lkeys {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	return keys
}

// Lock takes the lock in Redis.
func (m *mirrorStorage) Lock(ctx context.Context, name string) error { return m.redis.Lock(ctx, name) }

// TryLock tries the lock in Redis once.
func (m *mirrorStorage) TryLock(ctx context.Context, name string) (bool, error) {
	return m.redis.TryLock(ctx, name)
}

// Unlock releases the lock in Redis.
func (m *mirrorStorage) Unlock(ctx context.Context, name string) error {
	return m.redis.Unlock(ctx, name)
}

// RenewLockLease extends a lock held in Redis.
func (m *mirrorStorage) RenewLockLease(ctx context.Context, name string, d time.Duration) error {
	return m.redis.RenewLockLease(ctx, name, d)
}

// reading returns the sequence number to give copyLocal for a value
// about to be read from Redis.
func (m *mirrorStorage) reading() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seq
}

// changing records that key (a value or a directory) is being stored or
// deleted, after Redis and before the data directory: a value of it read
// earlier is not copied any more. It waits for a copy being written.
func (m *mirrorStorage) changing(key string) {
	key = strings.Trim(key, "/")
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	m.changed[key] = m.seq
	for k := range m.pending {
		if k == key || strings.HasPrefix(k, key+"/") {
			delete(m.pending, k)
		}
	}
}

// staleLocked reports whether key, or a directory above it, was stored or
// deleted after seq. The caller holds mu.
func (m *mirrorStorage) staleLocked(key string, seq uint64) bool {
	for k := key; k != "." && k != "/" && k != ""; k = path.Dir(k) {
		if m.changed[k] > seq {
			return true
		}
	}
	return false
}

// copyLocal queues v, read from Redis after reading returned seq, for
// the data directory.
func (m *mirrorStorage) copyLocal(key string, v []byte, seq uint64) {
	key = strings.Trim(key, "/")
	m.mu.Lock()
	if m.staleLocked(key, seq) {
		m.mu.Unlock()
		return
	}
	m.pending[key] = pendingCopy{value: v, seq: seq}
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// copyLoop writes the queued values that differ from the data
// directory's, until close.
func (m *mirrorStorage) copyLoop() {
	defer close(m.done)
	for {
		select {
		case <-m.stop:
			return
		case <-m.wake:
		}
		m.mu.Lock()
		batch := m.pending
		m.pending = map[string]pendingCopy{}
		m.mu.Unlock()
		ctx := context.Background()
		for k, p := range batch {
			if old, err := m.local.Load(ctx, k); err == nil && bytes.Equal(old, p.value) {
				continue
			}
			m.copy(ctx, k, p)
		}
	}
}

// copy writes p at key in the data directory unless key was stored or
// deleted since p was read.
func (m *mirrorStorage) copy(ctx context.Context, key string, p pendingCopy) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.mu.Lock()
	stale := m.staleLocked(key, p.seq)
	m.mu.Unlock()
	if stale {
		return
	}
	if err := m.local.Store(ctx, key, p.value); err != nil {
		m.log.Warn("cluster: could not mirror a value in the data directory", "key", key, "err", err)
	}
}

// close stops the background copies (what is queued is dropped: Redis
// holds it).
func (m *mirrorStorage) close() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
}

// publish stores in Redis every directory of the data directory's mirror
// of which Redis holds nothing — one certificate's certificate, key and
// metadata, one account's files — and returns how many values it stored.
// A directory Redis cannot be asked about is skipped (Redis may hold a
// newer one, stored by another instance) and reported in the error, so
// that the caller does not store the marker and tries again.
// The caller holds the republish lock.
func (m *mirrorStorage) publish(ctx context.Context) (int, error) {
	keys, err := m.local.List(ctx, "", true)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	dirs := map[string][]string{}
	for _, k := range keys {
		base := path.Base(k)
		if strings.HasSuffix(base, ".prev") || strings.HasPrefix(base, ".") || strings.HasPrefix(k, "locks/") || k == clusterMarker {
			continue
		}
		ki, err := m.local.Stat(ctx, k)
		if err != nil || !ki.IsTerminal {
			continue
		}
		dir := path.Dir(k)
		if dir == "." {
			dir = k // a top-level value is its own group
		}
		dirs[dir] = append(dirs[dir], k)
	}
	n := 0
	var skipped []error
	for dir, files := range dirs {
		// Not Exists: it says false when Redis fails to answer too.
		if _, err := m.redis.Stat(ctx, dir); !errors.Is(err, fs.ErrNotExist) {
			if err != nil {
				skipped = append(skipped, err)
			}
			continue
		}
		for _, k := range files {
			v, err := m.local.Load(ctx, k)
			if err != nil {
				continue
			}
			if err := m.redis.Store(ctx, k, v); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, errors.Join(skipped...)
}
