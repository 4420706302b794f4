package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/redistest"
	"github.com/portcullis/portcullis/internal/testutil"
)

// contenders campaigns for one leadership from n clients of their own.
type contenders struct {
	clients []*Client
	leads   []*Leadership
	cancels []context.CancelFunc
}

func campaign(t *testing.T, srv *redistest.Server, n int, name string, ttl time.Duration) *contenders {
	return campaignWith(t, Options{URL: srv.URL()}, n, name, ttl)
}

// campaignWith is campaign on the Redis o locates.
func campaignWith(t *testing.T, o Options, n int, name string, ttl time.Duration) *contenders {
	cs := &contenders{}
	for range n {
		c := open(t, nil, o)
		ctx, cancel := context.WithCancel(t.Context())
		cs.clients = append(cs.clients, c)
		cs.leads = append(cs.leads, c.Leader(ctx, name, ttl))
		cs.cancels = append(cs.cancels, cancel)
	}
	return cs
}

// leaders returns the indexes of the contenders that report leading. A
// leadership can pass from one contender to another between two reads;
// when two report leading, they are read again in the other order, which
// rules that out: they then both led at one moment.
func (cs *contenders) leaders() []int {
	var who []int
	for i, l := range cs.leads {
		if l.Leading() {
			who = append(who, i)
		}
	}
	if len(who) < 2 {
		return who
	}
	var again []int
	for i := len(cs.leads) - 1; i >= 0; i-- {
		if cs.leads[i].Leading() {
			again = append(again, i)
		}
	}
	if len(again) < 2 {
		return again
	}
	return who
}

// watch samples the contenders until stop is closed and fails the test
// if two ever lead at once.
func (cs *contenders) watch(t *testing.T, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if who := cs.leaders(); len(who) > 1 {
				t.Errorf("contenders %v lead at once", who)
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	return &wg
}

// TestLeader: of three contenders, exactly one leads at a time, all
// along (a watcher samples them); when the leader resigns (its context
// ends) another leads within a campaign interval; when the leader loses
// Redis (its connection closed: it can no longer renew), it stops
// leading before another starts, within ttl plus a campaign interval;
// when a leader's lease is taken from under it, it stops leading, and
// campaigns again.
func TestLeader(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	// A non-resigned lease expires at the earliest 2/3 ttl after its
	// holder stopped (it renews every third): with 2 s, a takeover within
	// a campaign interval (ttl/4) plus 700 ms of scheduling on a loaded
	// machine still proves the resignation.
	const ttl = 2 * time.Second
	const slack = 700 * time.Millisecond
	cs := campaign(t, srv, 3, "self-audit", ttl)
	stop := make(chan struct{})
	wg := cs.watch(t, stop)
	defer func() { close(stop); wg.Wait() }()

	var leader int
	// one waits until exactly one contender leads, other than except.
	one := func(what string, except int) time.Duration {
		t.Helper()
		start := time.Now()
		testutil.Eventually(t, 10*time.Second, what, func() bool {
			who := cs.leaders()
			if len(who) == 1 && who[0] != except {
				leader = who[0]
				return true
			}
			return false
		})
		return time.Since(start)
	}
	one("a first leader", -1)
	// The leadership holds: the leader renews its lease.
	first := leader
	time.Sleep(2 * ttl)
	if who := cs.leaders(); len(who) != 1 || who[0] != first {
		t.Fatalf("after 2 ttl, leaders %v; want still %d", who, first)
	}

	// The leader resigns: another takes over within a campaign interval.
	cs.cancels[first]()
	<-cs.leads[first].Done()
	took := one("a leader after the first resigned", first)
	t.Logf("new leader %v after the leader resigned", took.Round(time.Millisecond))
	if took > ttl/4+slack {
		t.Errorf("new leader %v after the leader resigned; want within a campaign interval (%v)", took, ttl/4)
	}

	// The leader loses Redis without resigning: its lease runs out, and
	// its Leading turns false before another's turns true (the watcher).
	second := leader
	if second == first {
		t.Fatal("the resigned contender leads")
	}
	cs.clients[second].rdb.Close()
	took = one("a leader after the second lost Redis", second)
	t.Logf("new leader %v after the leader lost Redis (ttl %v)", took.Round(time.Millisecond), ttl)
	if took > ttl+ttl/4+slack {
		t.Errorf("new leader %v after the leader lost Redis; want within ttl + a campaign interval (%v)", took, ttl+ttl/4)
	}
	if cs.leads[second].Leading() {
		t.Fatal("the contender without Redis still leads")
	}

	// Another instance (a bug, an operator) takes the lease from under the
	// leader: it stops leading, and leads again once that lease expires.
	third := leader
	raw := srv.Client(t)
	if err := raw.Set(t.Context(), "portcullis:leader:self-audit", "intruder", ttl).Err(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 2*ttl, "the leader to notice its lease is gone", func() bool { return !cs.leads[third].Leading() })
	one("the leader to lead again after the intruder's lease", -1)
	if leader != third {
		t.Errorf("contender %d leads; want %d, the only one left", leader, third)
	}
}

// TestLeaderClose: closing a Client resigns its leaderships and ends
// their campaigns.
func TestLeaderClose(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c, err := Open(Options{URL: srv.URL(), Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	l := c.Leader(context.Background(), "backup", time.Minute)
	testutil.Eventually(t, 5*time.Second, "leading", l.Leading)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	<-l.Done()
	if l.Leading() {
		t.Error("leading after Close")
	}
	if n := srv.Client(t).Exists(context.Background(), "portcullis:leader:backup").Val(); n != 0 {
		t.Error("the lease is still in Redis after Close: not resigned")
	}
	// A campaign started after Close ends at once.
	if l := c.Leader(context.Background(), "late", time.Second); l.Leading() {
		t.Error("leading after Close")
	} else {
		<-l.Done()
	}
}
