package reports

import (
	"math"
	"net/netip"
	"sync"
	"time"
)

// maxClients bounds the clients the rate limiter remembers. Clients whose
// bucket has refilled are forgotten first; when every remembered client is
// still limited, a new one is refused until some refill.
const maxClients = 1 << 16

// limiter is a token bucket per client: burst requests at once, then
// perMinute a minute. An IPv6 client is its /64, which one host usually
// has whole.
type limiter struct {
	mu        sync.Mutex
	rate      float64 // tokens per second
	burst     float64
	clients   map[netip.Prefix]*bucket
	lastPurge time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
	warned bool // a refusal was reported since the last allowed request
}

func newLimiter(perMinute int) *limiter {
	return &limiter{rate: float64(perMinute) / 60, burst: float64(perMinute), clients: map[netip.Prefix]*bucket{}}
}

func clientKey(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits) // an invalid address (a Unix socket peer) is the zero Prefix: one bucket
	return p
}

// allow takes a token for ip. When it refuses, first says whether this is
// the client's first refusal since it was last allowed (so that a flood is
// reported once), and retry how long until a token is back.
func (l *limiter) allow(ip netip.Addr, now time.Time) (ok, first bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := clientKey(ip)
	b := l.clients[key]
	if b == nil {
		if len(l.clients) >= maxClients || now.Sub(l.lastPurge) > time.Minute {
			l.purge(now)
		}
		if len(l.clients) >= maxClients {
			return false, false, time.Minute
		}
		b = &bucket{tokens: l.burst, last: now}
		l.clients[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		b.warned = false
		return true, false, 0
	}
	first = !b.warned
	b.warned = true
	return false, first, time.Duration(math.Ceil((1-b.tokens)/l.rate)) * time.Second
}

// purge forgets the clients whose bucket is full again.
func (l *limiter) purge(now time.Time) {
	l.lastPurge = now
	for k, b := range l.clients {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.clients, k)
		}
	}
}
