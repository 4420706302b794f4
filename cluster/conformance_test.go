package cluster

import (
	"log/slog"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/portcullis/portcullis/certs/acme"
	"github.com/portcullis/portcullis/cluster/storagetest"
	"github.com/portcullis/portcullis/internal/redistest"
)

// TestConformance runs the storage conformance suite against certmagic's
// FileStorage (the reference), portcullis's crash-safe file storage
// (certs/acme, the storage of a single instance) and the Redis storage.
func TestConformance(t *testing.T) {
	// FileStorage refreshes a lock file every 5 s and deems it stale after
	// 10 s without a refresh; waiters poll every second.
	const fileLease, fileSlack = 10 * time.Second, 2 * time.Second

	t.Run("FileStorage", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		storagetest.Run(t, storagetest.Harness{
			New:             func(*testing.T) certmagic.Storage { return &certmagic.FileStorage{Path: dir} },
			HoldAndDie:      fileHolder(dir),
			Lease:           fileLease,
			Slack:           fileSlack,
			UnlockIsUnowned: true,
		})
	})

	t.Run("AcmeStorage", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		storagetest.Run(t, storagetest.Harness{
			New: func(t *testing.T) certmagic.Storage {
				s, err := acme.OpenStorage(dir, slog.New(slog.DiscardHandler))
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
			// Its locks are FileStorage's, whose expiry is checked above
			// (20 s of a test slot, not spent twice).
			HoldAndDie:      nil,
			UnlockIsUnowned: true,
		})
	})

	t.Run("Redis", func(t *testing.T) {
		t.Parallel()
		srv := redistest.Start(t)
		storagetest.Run(t, redisHarness(Options{URL: srv.URL(), LockLease: 2 * time.Second, Prefix: "conformance"}))
	})
}

// redisHarness is the conformance suite's harness for the Redis storage
// on what o locates, with o's lock lease: instances are Clients of their
// own; one dies as a crashed process would (Client.kill).
func redisHarness(o Options) storagetest.Harness {
	return storagetest.Harness{
		New: func(t *testing.T) certmagic.Storage { return open(t, nil, o).Storage() },
		HoldAndDie: func(t *testing.T, name string) func() {
			c := open(t, nil, o)
			if err := c.Storage().Lock(t.Context(), name); err != nil {
				t.Fatal(err)
			}
			return c.kill
		},
		Lease: o.LockLease,
		Slack: time.Second,
	}
}

// fileHolder returns a HoldAndDie for a FileStorage in dir: a process of
// its own takes the lock, and dies by SIGKILL.
func fileHolder(dir string) func(t *testing.T, name string) func() {
	return func(t *testing.T, name string) func() {
		return startHolder(t, holderSpec{File: dir, Name: name})
	}
}
