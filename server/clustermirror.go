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
//     authoritative); when Redis lost everything, the health check
//     publishes the mirror back (publish).
//   - Locks are Redis's only: with Redis down nothing is ordered.
type mirrorStorage struct {
	redis *cluster.Storage
	local certmagic.Storage
	down  func() bool // the health check says Redis does not answer
	log   *slog.Logger

	mu      sync.Mutex
	pending map[string][]byte // values read from Redis, to copy locally
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

func newMirrorStorage(redis *cluster.Storage, local certmagic.Storage, down func() bool, log *slog.Logger) *mirrorStorage {
	m := &mirrorStorage{redis: redis, local: local, down: down, log: log, pending: map[string][]byte{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go m.copyLoop()
	return m
}

// String names the storage for certmagic's logs.
func (m *mirrorStorage) String() string { return "mirror(" + m.redis.String() + ")" }

// unavailable reports whether err means Redis could not answer.
func unavailable(err error) bool { return errors.Is(err, cluster.ErrUnavailable) }

// Store writes key to Redis, then to the data directory.
func (m *mirrorStorage) Store(ctx context.Context, key string, value []byte) error {
	if err := m.redis.Store(ctx, key, value); err != nil {
		return err
	}
	if err := m.local.Store(ctx, key, value); err != nil {
		m.log.Warn("cluster: could not mirror a stored value in the data directory", "key", key, "err", err)
	}
	return nil
}

// Load reads key from Redis, or from the data directory while Redis is
// down.
func (m *mirrorStorage) Load(ctx context.Context, key string) ([]byte, error) {
	if !m.down() {
		v, err := m.redis.Load(ctx, key)
		if err == nil {
			m.copyLocal(key, v)
			return v, nil
		}
		if !unavailable(err) {
			return nil, err
		}
	}
	return m.local.Load(ctx, key)
}

// Delete deletes key in Redis and in the data directory.
func (m *mirrorStorage) Delete(ctx context.Context, key string) error {
	err := m.redis.Delete(ctx, key)
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
	return m.redis.Exists(ctx, key)
}

// List lists Redis, or the data directory while Redis is down.
func (m *mirrorStorage) List(ctx context.Context, dir string, recursive bool) ([]string, error) {
	if !m.down() {
		keys, err := m.redis.List(ctx, dir, recursive)
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
		if err == nil || !unavailable(err) {
			return ki, err
		}
	}
	return m.local.Stat(ctx, key)
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

// copyLocal queues a value read from Redis for the data directory.
func (m *mirrorStorage) copyLocal(key string, v []byte) {
	m.mu.Lock()
	m.pending[key] = v
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
		m.pending = map[string][]byte{}
		m.mu.Unlock()
		ctx := context.Background()
		for k, v := range batch {
			if old, err := m.local.Load(ctx, k); err == nil && bytes.Equal(old, v) {
				continue
			}
			if err := m.local.Store(ctx, k, v); err != nil {
				m.log.Warn("cluster: could not mirror a value in the data directory", "key", k, "err", err)
			}
		}
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
	for dir, files := range dirs {
		if m.redis.Exists(ctx, dir) {
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
	return n, nil
}
