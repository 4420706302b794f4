package cluster

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/redistest"
)

// op is one storage call, for the failure tests.
type op struct {
	name string
	call func(ctx context.Context, c *Client) error
}

// ops calls every Client and Storage method that talks to Redis.
var ops = []op{
	{"Ping", func(ctx context.Context, c *Client) error { return c.Ping(ctx) }},
	{"Store", func(ctx context.Context, c *Client) error { return c.Storage().Store(ctx, "a/b", []byte("v")) }},
	{"Load", func(ctx context.Context, c *Client) error { _, err := c.Storage().Load(ctx, "a/b"); return err }},
	{"Stat", func(ctx context.Context, c *Client) error { _, err := c.Storage().Stat(ctx, "a/b"); return err }},
	{"List", func(ctx context.Context, c *Client) error { _, err := c.Storage().List(ctx, "a", true); return err }},
	{"Delete", func(ctx context.Context, c *Client) error { return c.Storage().Delete(ctx, "x") }},
	{"Lock", func(ctx context.Context, c *Client) error {
		err := c.Storage().Lock(ctx, "l")
		if err == nil {
			err = c.Storage().Unlock(ctx, "l")
		}
		return err
	}},
	{"TryLock", func(ctx context.Context, c *Client) error {
		ok, err := c.Storage().TryLock(ctx, "t")
		if ok {
			err = c.Storage().Unlock(ctx, "t")
		}
		return err
	}},
}

// checkUnavailable runs every op against a Redis that is down or hung,
// all at once (a hung Redis takes seconds per call): each must fail
// within limit with an *UnavailableError.
func checkUnavailable(t *testing.T, c *Client, limit time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	for _, o := range ops {
		wg.Go(func() {
			start := time.Now()
			err := o.call(t.Context(), c)
			took := time.Since(start)
			var ue *UnavailableError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUnavailable) {
				t.Errorf("%s: %v (%T); want an *UnavailableError", o.name, err, err)
			}
			if took > limit {
				t.Errorf("%s took %v to fail; want at most %v", o.name, took, limit)
			}
			t.Logf("%s failed after %v: %v", o.name, took.Round(time.Millisecond), err)
		})
	}
	wg.Go(func() {
		if c.Storage().Exists(t.Context(), "a/b") {
			t.Error("Exists = true with Redis unavailable")
		}
	})
	wg.Wait()
}

// checkWorks runs every op, each of which must succeed at the first try.
func checkWorks(t *testing.T, c *Client) {
	t.Helper()
	for _, o := range ops {
		if err := o.call(t.Context(), c); err != nil {
			t.Errorf("%s: %v", o.name, err)
		}
	}
}

// TestRedisDown: with Redis killed, every call fails fast with an
// *UnavailableError; once Redis is back on the same socket (empty: it
// keeps nothing), calls succeed again, on the same Client, without
// retries by the caller.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := open(t, srv, Options{})
	checkWorks(t, c)
	for range 2 {
		srv.Kill()
		checkUnavailable(t, c, time.Second)
		srv.Restart()
		checkWorks(t, c)
	}
}

// TestRedisHung: a Redis that accepts connections but answers nothing
// (SIGSTOP) fails every call within the read timeout, with an
// *UnavailableError, instead of hanging it; after SIGCONT calls succeed.
func TestRedisHung(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := open(t, srv, Options{})
	checkWorks(t, c)
	srv.Pause()
	checkUnavailable(t, c, DefaultCallTimeout+time.Second)
	srv.Resume()
	checkWorks(t, c)
}

// TestLeaseLostWithRedis: a lock held while Redis restarts empty is gone;
// its holder's Unlock says so (ErrLeaseLost), and the lock can be taken
// again.
func TestLeaseLostWithRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := open(t, srv, Options{LockLease: time.Second})
	st := c.Storage()
	if err := st.Lock(t.Context(), "issue"); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	srv.Restart()
	if err := st.Unlock(t.Context(), "issue"); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Unlock after Redis lost the lease = %v; want ErrLeaseLost", err)
	}
	if err := st.Unlock(t.Context(), "issue"); !errors.Is(err, ErrNotLocked) {
		t.Errorf("second Unlock = %v; want ErrNotLocked", err)
	}
	other := open(t, srv, Options{})
	if ok, err := other.Storage().TryLock(t.Context(), "issue"); !ok || err != nil {
		t.Errorf("TryLock after the lease was lost = %v, %v", ok, err)
	}
}
