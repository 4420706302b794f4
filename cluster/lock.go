package cluster

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"
)

// A lease is a Redis key holding its owner's random token, with a TTL.
// Taking it is SET NX PX; keeping it is extending the TTL only while the
// key still holds the owner's token; giving it up is deleting it only
// while it does. The compare-and-extend and compare-and-delete are Lua
// scripts, so that no other instance's lease is ever extended or deleted
// in between. An owner that dies stops extending: its lease expires.
type lease struct {
	c     *Client
	name  string // for errors
	key   string
	token string
	ttl   time.Duration
}

func newLease(c *Client, kind, name string, ttl time.Duration) *lease {
	b := make([]byte, 16)
	cryptorand.Read(b)
	return &lease{c: c, name: name, key: c.key(kind, name), token: hex.EncodeToString(b), ttl: ttl}
}

var (
	// acquireScript is SET NX PX, made idempotent: when the key already
	// holds the token (a retried request whose first reply was lost, or a
	// leader renewing) it extends the TTL instead of failing.
	acquireScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)
	// extendScript extends the TTL of KEYS[1] only if it holds ARGV[1].
	extendScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)
	// releaseScript deletes KEYS[1] only if it holds ARGV[1].
	releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)
)

// run runs script on the lease and reports whether it returned 1.
func (l *lease) run(ctx context.Context, script *redis.Script, op string, args ...any) (bool, error) {
	rctx, cancel := l.c.bound(ctx)
	defer cancel()
	n, err := script.Run(rctx, l.c.rdb, []string{l.key}, args...).Int()
	if err != nil {
		return false, l.c.fail(ctx, op, l.name, err)
	}
	return n == 1, nil
}

func (l *lease) acquire(ctx context.Context) (bool, error) {
	return l.run(ctx, acquireScript, "lock", l.token, l.ttl.Milliseconds())
}

func (l *lease) extend(ctx context.Context) (bool, error) {
	return l.run(ctx, extendScript, "extend lease", l.token, l.ttl.Milliseconds())
}

func (l *lease) release(ctx context.Context) (bool, error) {
	return l.run(ctx, releaseScript, "unlock", l.token)
}

// Errors of Unlock and RenewLockLease.
var (
	// ErrNotLocked: this instance does not hold the lock (it never took
	// it, or already released it). The lock, if another holds it, is left
	// alone.
	ErrNotLocked = errors.New("cluster: lock not held by this instance")
	// ErrLeaseLost: the lock's lease expired while this instance held it
	// (Redis was unreachable for longer than the lease, or the process
	// stalled); another instance may have taken it meanwhile.
	ErrLeaseLost = errors.New("cluster: lock lease lost: it expired while held, and another instance may have taken it")
)

// heldLock is a lock this client holds, kept alive by refresh.
type heldLock struct {
	lease *lease
	local *localLock
	stop  chan struct{} // closed to stop refresh
	done  chan struct{} // closed when refresh returns
}

// localLock queues this process's goroutines for one lock name, so that
// only one of them at a time holds or waits for the lease in Redis: the
// lock is per instance, and Unlock(name) needs one holder to release.
type localLock struct {
	ch   chan struct{}
	refs int
}

func (c *Client) enterLocal(ctx context.Context, name string, wait bool) (*localLock, error) {
	c.mu.Lock()
	ll := c.local[name]
	if ll == nil {
		ll = &localLock{ch: make(chan struct{}, 1)}
		c.local[name] = ll
	}
	ll.refs++
	c.mu.Unlock()
	if wait {
		select {
		case ll.ch <- struct{}{}:
			return ll, nil
		case <-ctx.Done():
		}
	} else {
		select {
		case ll.ch <- struct{}{}:
			return ll, nil
		default:
		}
	}
	c.dropLocal(name, ll)
	return nil, ctx.Err()
}

func (c *Client) leaveLocal(name string, ll *localLock) {
	<-ll.ch
	c.dropLocal(name, ll)
}

func (c *Client) dropLocal(name string, ll *localLock) {
	c.mu.Lock()
	if ll.refs--; ll.refs == 0 {
		delete(c.local, name)
	}
	c.mu.Unlock()
}

// pollInterval is how long Lock waits between attempts: a tenth of the
// lease, between 50 ms and 1 s, give or take a fifth so that waiters
// spread out.
func (c *Client) pollInterval() time.Duration {
	d := min(max(c.lease/10, 50*time.Millisecond), time.Second)
	return d*4/5 + rand.N(d*2/5)
}

// Lock takes the lock name, waiting until it is free or ctx is done. The
// lock is a lease of Options.LockLease, refreshed every third of it for
// as long as it is held: a holder that dies (crash, SIGKILL, network
// partition) gives it up when the lease runs out. Locks belong to the
// Client: goroutines of one process queue for a name locally, and
// another instance's Unlock cannot release it.
//
// A Redis that cannot be reached fails Lock at once with an
// *UnavailableError rather than waiting for it to come back.
func (s *Storage) Lock(ctx context.Context, name string) error {
	_, err := s.lock(ctx, name, true)
	return err
}

// TryLock takes the lock name if it is free, and reports whether it did.
func (s *Storage) TryLock(ctx context.Context, name string) (bool, error) {
	return s.lock(ctx, name, false)
}

func (s *Storage) lock(ctx context.Context, name string, wait bool) (bool, error) {
	c := s.c
	ll, err := c.enterLocal(ctx, name, wait)
	if err != nil {
		return false, fmt.Errorf("cluster: lock %s: %w", name, err)
	}
	if ll == nil {
		return false, nil // TryLock: held by another goroutine of this process
	}
	l := newLease(c, "lock", name, c.lease)
	for {
		ok, err := l.acquire(ctx)
		if err != nil {
			c.leaveLocal(name, ll)
			return false, err
		}
		if ok {
			break
		}
		if !wait {
			c.leaveLocal(name, ll)
			return false, nil
		}
		t := time.NewTimer(c.pollInterval())
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			c.leaveLocal(name, ll)
			return false, fmt.Errorf("cluster: lock %s: %w", name, ctx.Err())
		}
	}
	h := &heldLock{lease: l, local: ll, stop: make(chan struct{}), done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		l.release(context.WithoutCancel(ctx))
		c.leaveLocal(name, ll)
		return false, fmt.Errorf("cluster: lock %s: client closed", name)
	}
	c.held[name] = h
	c.wg.Add(1)
	c.mu.Unlock()
	go c.refresh(name, h)
	return true, nil
}

// refresh extends h's lease every third of it until stopped, the client
// is closed, or the lease turns out to be gone.
func (c *Client) refresh(name string, h *heldLock) {
	defer c.wg.Done()
	defer close(h.done)
	every := h.lease.ttl / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(c.ctx, every)
		ok, err := h.lease.extend(ctx)
		cancel()
		switch {
		case err != nil:
			c.log.Warn("cluster: could not refresh a lock's lease; retrying", "lock", name, "err", err)
		case !ok:
			c.log.Error("cluster: lost a lock's lease while holding it: another instance may hold it now", "lock", name)
			return
		}
	}
}

// Unlock releases the lock name, which this Client must hold. It returns
// ErrNotLocked when it does not (another instance's lock is left alone),
// and ErrLeaseLost when the lease had expired in the meantime.
func (s *Storage) Unlock(ctx context.Context, name string) error {
	c := s.c
	c.mu.Lock()
	h := c.held[name]
	delete(c.held, name)
	c.mu.Unlock()
	if h == nil {
		return fmt.Errorf("%w: %s", ErrNotLocked, name)
	}
	close(h.stop)
	<-h.done
	defer c.leaveLocal(name, h.local)
	ok, err := h.lease.release(ctx)
	if err != nil {
		return fmt.Errorf("%w (the lease expires on its own within %v)", err, h.lease.ttl)
	}
	if !ok {
		return fmt.Errorf("%w: %s", ErrLeaseLost, name)
	}
	return nil
}

// RenewLockLease checks that this Client still holds the lock lockKey
// and extends its lease (certmagic calls it between retries of long
// issuances). The lease is extended by Options.LockLease, not by
// leaseDuration: the lock is refreshed for as long as it is held anyway,
// and a longer lease would only keep a dead holder's lock longer.
func (s *Storage) RenewLockLease(ctx context.Context, lockKey string, leaseDuration time.Duration) error {
	c := s.c
	c.mu.Lock()
	h := c.held[lockKey]
	c.mu.Unlock()
	if h == nil {
		return fmt.Errorf("%w: %s", ErrNotLocked, lockKey)
	}
	ok, err := h.lease.extend(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s", ErrLeaseLost, lockKey)
	}
	return nil
}
