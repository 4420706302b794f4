package cluster

import (
	"context"
	"sync"
	"time"
)

// Leadership is one instance's campaign to lead name: to be the one
// instance doing work that must happen once per cluster (self-audits,
// backups, renewal checks). Leading reports the outcome at any time.
type Leadership struct {
	name  string
	lease *lease
	done  chan struct{}

	mu         sync.Mutex
	validUntil time.Time // Leading is true before it
}

// Leader starts campaigning for the leadership name, with the lease
// mechanism of locks (Storage.Lock): the leader holds a lease of ttl
// (Options.LockLease when ttl <= 0) and renews it every third of ttl;
// the others try to take it every quarter of ttl. A leader that stops
// renewing — it died, or cannot reach Redis — loses the lease when ttl
// runs out and another instance takes over; an instance that finds its
// lease gone (it stalled past the ttl) campaigns again.
//
// Leading turns false before the lease can expire in Redis (it counts
// the ttl from before each renewal was sent, less a margin for clock
// drift), so two instances never both report leading, as long as their
// clocks run at nearly the same rate. Work that must not overlap should
// check Leading again before each step, and should be idempotent anyway.
//
// The campaign runs until ctx is done or the Client is closed; then the
// instance resigns (deleting its lease if it holds it), so another can
// take over at once, and Done is closed.
func (c *Client) Leader(ctx context.Context, name string, ttl time.Duration) *Leadership {
	if ttl <= 0 {
		ttl = c.lease
	}
	l := &Leadership{name: name, lease: newLease(c, "leader", name, ttl), done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		close(l.done)
		return l
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go l.campaign(ctx, c)
	return l
}

// Leading reports whether this instance leads now.
func (l *Leadership) Leading() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Now().Before(l.validUntil)
}

// Done is closed when the campaign has ended and the lease is resigned.
func (l *Leadership) Done() <-chan struct{} { return l.done }

// Name returns the leadership's name.
func (l *Leadership) Name() string { return l.name }

func (l *Leadership) setValid(t time.Time) (was bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	was = now.Before(l.validUntil)
	l.validUntil = t
	return was
}

func (l *Leadership) campaign(ctx context.Context, c *Client) {
	defer c.wg.Done()
	defer close(l.done)
	ttl := l.lease.ttl
	// Redlock's margin: the holder's clock may run a little faster than
	// Redis's.
	drift := ttl/100 + 2*time.Millisecond
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
		case <-c.ctx.Done():
		case <-t.C:
			sent := time.Now()
			actx, cancel := context.WithTimeout(ctx, ttl/3)
			ok, err := l.lease.acquire(actx) // takes the lease, or renews ours
			cancel()
			var was bool
			switch {
			case err != nil:
				// Unknown outcome: Leading runs out on its own.
				c.log.Warn("cluster: leadership campaign could not reach Redis", "leader", l.name, "err", err)
				was = l.Leading()
			case ok:
				if was = l.setValid(sent.Add(ttl - drift)); !was {
					c.log.Info("cluster: leading", "leader", l.name)
				}
			default:
				if was = l.setValid(time.Time{}); was {
					c.log.Warn("cluster: lost the leadership's lease; campaigning again", "leader", l.name)
				}
			}
			if was || ok {
				t.Reset(ttl / 3)
			} else {
				t.Reset(ttl / 4)
			}
			continue
		}
		break
	}
	if l.setValid(time.Time{}) {
		c.log.Info("cluster: resigning leadership", "leader", l.name)
	}
	rctx, cancel := context.WithTimeout(context.Background(), time.Second)
	l.lease.release(rctx)
	cancel()
}
