package cluster

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of TicketOptions.
const (
	// DefaultTicketRotate is how often the cluster's session ticket key
	// changes.
	DefaultTicketRotate = 12 * time.Hour
	// DefaultTicketKeep is how many former keys still decrypt tickets.
	DefaultTicketKeep = 2
)

// TicketOptions configure Client.TicketKeys. The zero value is ready to
// use.
type TicketOptions struct {
	// Rotate is how often a new key starts encrypting tickets;
	// DefaultTicketRotate when 0.
	Rotate time.Duration
	// Keep is how many former keys still decrypt tickets (so a ticket
	// resumes for about Keep × Rotate after it was issued);
	// DefaultTicketKeep when 0, none when negative.
	Keep int
	// Poll is how often the ring is read from Redis (and rotated when
	// due); Rotate/4, at most a minute, when 0. It is capped at Rotate/4.
	Poll time.Duration
	// Now is the clock that decides when a rotation is due (time.Now when
	// nil).
	Now func() time.Time
	// OnError, when not nil, receives each failure to read or rotate the
	// ring after TicketKeys returned (Redis down, a ring sealed under
	// another cluster key). The ring held stays in use meanwhile, and the
	// poll is retried with a backoff. Failures are logged to Options.Log
	// too.
	OnError func(error)
}

// TicketKeys is this instance's copy of the cluster's TLS session ticket
// keys, kept up to date from Redis. Apply it to the tls.Config of every
// server that should resume sessions issued by another instance.
type TicketKeys struct {
	c    *Client
	opts TicketOptions
	key  string // the Redis hash
	stop chan struct{}
	done chan struct{}

	refresh sync.Mutex // one Refresh at a time, so an older ring never lands after a newer

	mu      sync.Mutex
	ring    *ticketRing
	configs []*tls.Config

	closeOnce sync.Once
}

// A ticketRing is the shared key ring. keys[0] is the next key: it
// already decrypts, so that an instance that picks the ring up late
// still resumes the tickets of one that rotated first. keys[1] is the
// current key, the one that encrypts, and keys[2:] are the former ones,
// newest first. Generation counts rotations; rotated is when the last
// one happened.
type ticketRing struct {
	gen     uint64
	rotated time.Time
	keys    [][32]byte
}

// tlsKeys is the ring in tls.Config.SetSessionTicketKeys's order: the
// encrypting key first.
func (r *ticketRing) tlsKeys() [][32]byte {
	out := make([][32]byte, 0, len(r.keys))
	out = append(out, r.keys[1], r.keys[0])
	return append(out, r.keys[2:]...)
}

// marshal is rotated (Unix ns, 8 bytes) followed by the keys.
func (r *ticketRing) marshal() []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(r.rotated.UnixNano()))
	for _, k := range r.keys {
		b = append(b, k[:]...)
	}
	return b
}

func unmarshalRing(gen uint64, b []byte) (*ticketRing, error) {
	if len(b) < 8+2*32 || (len(b)-8)%32 != 0 {
		return nil, fmt.Errorf("cluster: session ticket keys: malformed ring of %d bytes", len(b))
	}
	r := &ticketRing{gen: gen, rotated: time.Unix(0, int64(binary.BigEndian.Uint64(b)))}
	for b = b[8:]; len(b) > 0; b = b[32:] {
		r.keys = append(r.keys, [32]byte(b[:32]))
	}
	return r, nil
}

func newTicketKey() [32]byte {
	var k [32]byte
	rand.Read(k[:])
	return k
}

// rotated returns r after one rotation at now: a new next key, the next
// key encrypting, and at most keep former keys.
func (r *ticketRing) rotate(now time.Time, keep int) *ticketRing {
	keys := append([][32]byte{newTicketKey()}, r.keys...)
	return &ticketRing{gen: r.gen + 1, rotated: now, keys: keys[:min(len(keys), keep+2)]}
}

// ringAD is what a ring of generation gen is sealed for: binding the
// generation, stored in the clear beside it, to the sealed keys.
func ringAD(gen uint64) string { return "cluster:tickets:ring:" + strconv.FormatUint(gen, 10) }

// casRingScript replaces the ring only if its generation is still
// ARGV[1] ("" for no ring yet): of instances that rotate at once, one
// wins and the others read its ring.
var casRingScript = redis.NewScript(`
local g = redis.call('HGET', KEYS[1], 'gen') or ''
if g ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'gen', ARGV[2], 'ring', ARGV[3])
return 1
`)

// TicketKeys returns the cluster's session ticket keys, creating the
// ring in Redis if there is none, and keeps them up to date until Close
// (or the Client's Close): every Poll it reads the ring, and rotates it
// when Rotate has passed since the last rotation.
//
// Rotation is a compare-and-set on the ring's generation rather than the
// leader's job: any instance that finds it due may rotate, exactly one
// succeeds per generation, and the others read its ring. That needs no
// leadership campaign (whose lease would have to outlive its holder's
// failure before anyone rotates), and a ring that Redis lost (restarted
// empty) is written back from the first instance that still holds it.
//
// TicketKeys fails when Redis cannot be read or the ring there cannot be
// opened (an *OpenError: another cluster key); it never replaces a ring
// it cannot open.
func (c *Client) TicketKeys(ctx context.Context, opts TicketOptions) (*TicketKeys, error) {
	if opts.Rotate <= 0 {
		opts.Rotate = DefaultTicketRotate
	}
	switch {
	case opts.Keep == 0:
		opts.Keep = DefaultTicketKeep
	case opts.Keep < 0:
		opts.Keep = 0
	}
	if opts.Poll <= 0 {
		opts.Poll = min(opts.Rotate/4, time.Minute)
	}
	opts.Poll = max(min(opts.Poll, opts.Rotate/4), time.Millisecond)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	tk := &TicketKeys{c: c, opts: opts, key: c.key("tickets", "ring"), stop: make(chan struct{}), done: make(chan struct{})}
	if err := tk.Refresh(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errors.New("cluster: session ticket keys: client closed")
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go tk.poll()
	return tk, nil
}

// Apply sets cfg's session ticket keys to the ring (the current key
// first), and sets them again whenever the ring changes, until Close.
// cfg must be the configuration the server uses, not one it clones
// (http.Server.ServeTLS clones its TLSConfig: apply to the clone, or
// serve with tls.NewListener).
func (tk *TicketKeys) Apply(cfg *tls.Config) {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	tk.configs = append(tk.configs, cfg)
	cfg.SetSessionTicketKeys(tk.ring.tlsKeys())
}

// Close stops following the ring; the configurations keep the keys they
// have. It may be called more than once.
func (tk *TicketKeys) Close() {
	tk.closeOnce.Do(func() { close(tk.stop) })
	<-tk.done
}

// Refresh reads the ring from Redis now, rotates it if due, and applies
// a changed ring; the poll does the same every TicketOptions.Poll.
func (tk *TicketKeys) Refresh(ctx context.Context) error {
	tk.refresh.Lock()
	defer tk.refresh.Unlock()
	c := tk.c
	for range 3 {
		rctx, cancel := c.bound(ctx)
		v, err := c.rdb.HMGet(rctx, tk.key, "gen", "ring").Result()
		cancel()
		if err != nil {
			return c.fail(ctx, "load session ticket keys", "", err)
		}
		var stored *ticketRing
		expect := ""
		if s, ok := v[0].(string); ok {
			expect = s
			gen, err := strconv.ParseUint(s, 10, 64)
			sealed, _ := v[1].(string)
			if err != nil {
				return fmt.Errorf("cluster: session ticket keys: malformed generation %q", s)
			}
			plain, err := c.seal.open(ringAD(gen), []byte(sealed))
			if err != nil {
				return err
			}
			if stored, err = unmarshalRing(gen, plain); err != nil {
				return err
			}
		}
		next := stored
		if next == nil {
			tk.mu.Lock()
			next = tk.ring // Redis lost the ring: write back ours
			tk.mu.Unlock()
			if next == nil {
				next = &ticketRing{gen: 1, rotated: tk.opts.Now(), keys: [][32]byte{newTicketKey(), newTicketKey()}}
			}
		}
		if now := tk.opts.Now(); !now.Before(next.rotated.Add(tk.opts.Rotate)) {
			next = next.rotate(now, tk.opts.Keep)
		}
		if next != stored {
			rctx, cancel := c.bound(ctx)
			sealed := c.seal.seal(ringAD(next.gen), next.marshal())
			ok, err := casRingScript.Run(rctx, c.rdb, []string{tk.key}, expect, next.gen, sealed).Int()
			cancel()
			if err != nil {
				return c.fail(ctx, "store session ticket keys", "", err)
			}
			if ok != 1 {
				continue // another instance wrote first: read its ring
			}
		}
		tk.set(next)
		return nil
	}
	return errors.New("cluster: session ticket keys: the ring kept changing while being rotated")
}

// set makes r the ring held, and applies it if it changed.
func (tk *TicketKeys) set(r *ticketRing) {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	if old := tk.ring; old != nil && old.gen == r.gen && equalKeys(old.keys, r.keys) {
		return
	}
	tk.ring = r
	keys := r.tlsKeys()
	for _, cfg := range tk.configs {
		cfg.SetSessionTicketKeys(keys)
	}
}

func equalKeys(a, b [][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// generation returns the generation of the ring held.
func (tk *TicketKeys) generation() uint64 {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	return tk.ring.gen
}

// poll refreshes every Poll; after a failure it retries sooner, after
// one second, then twice as long each time up to Poll (and a minute).
func (tk *TicketKeys) poll() {
	c := tk.c
	defer c.wg.Done()
	defer close(tk.done)
	retry := time.Duration(0)
	t := time.NewTimer(tk.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-tk.stop:
			return
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		err := tk.Refresh(c.ctx)
		if err == nil {
			retry = 0
			t.Reset(tk.opts.Poll)
			continue
		}
		if c.ctx.Err() != nil {
			return
		}
		c.log.Warn("cluster: could not refresh the session ticket keys; keeping the ones held", "err", err)
		if tk.opts.OnError != nil {
			tk.opts.OnError(err)
		}
		retry = min(max(2*retry, time.Second), tk.opts.Poll, time.Minute)
		t.Reset(retry)
	}
}
