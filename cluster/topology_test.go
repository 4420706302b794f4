package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/cluster/storagetest"
	"github.com/portcullis/portcullis/internal/redistest"
	"github.com/portcullis/portcullis/internal/testutil"
)

// This file runs the package on Redis Sentinel and on a Redis Cluster,
// which Options.Redis hands to go-redis's UniversalOptions unchanged.

// sentinelOptions returns Options that reach s's primary through its
// sentinel, with prefix and lease.
func sentinelOptions(s *redistest.Sentinel, prefix string, lease time.Duration) Options {
	return Options{Redis: &redis.UniversalOptions{MasterName: s.Master, Addrs: s.Addrs()}, Prefix: prefix, LockLease: lease}
}

// checkLeader checks leadership on the Redis o locates: of three
// contenders one leads (never two: a watcher samples them all along),
// and when it resigns another takes over.
func checkLeader(t *testing.T, o Options) {
	cs := campaignWith(t, o, 3, "topology", time.Second)
	stop := make(chan struct{})
	wg := cs.watch(t, stop)
	defer func() { close(stop); wg.Wait() }()
	leader := -1
	one := func(what string, except int) {
		t.Helper()
		testutil.Eventually(t, 5*time.Second, what, func() bool {
			who := cs.leaders()
			if len(who) == 1 && who[0] != except {
				leader = who[0]
				return true
			}
			return false
		})
	}
	one("a leader", -1)
	first := leader
	cs.cancels[first]()
	<-cs.leads[first].Done()
	one("another leader after the first resigned", first)
}

// TestClusterSentinel: through a sentinel (MasterName and the sentinel's
// address), the storage passes the conformance suite, leadership works,
// and what is stored is on the primary, and replicated.
func TestClusterSentinel(t *testing.T) {
	t.Parallel()
	s := redistest.StartSentinel(t)
	o := sentinelOptions(s, "sentinel", 2*time.Second)
	t.Run("Conformance", func(t *testing.T) {
		t.Parallel()
		storagetest.Run(t, redisHarness(o))
	})
	t.Run("Leader", func(t *testing.T) {
		t.Parallel()
		checkLeader(t, o)
	})
	t.Run("OnThePrimary", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		if err := open(t, nil, o).Storage().Store(ctx, "where", []byte("here")); err != nil {
			t.Fatal(err)
		}
		if n := s.Primary.Client(t).Exists(ctx, "sentinel:storage:value:where").Val(); n != 1 {
			t.Fatal("the value stored is not on the primary")
		}
		replica := s.Replica.Client(t)
		testutil.Eventually(t, 5*time.Second, "the value to reach the replica", func() bool {
			return replica.Exists(ctx, "sentinel:storage:value:where").Val() == 1
		})
	})
}

// TestClusterSentinelFailover: the sentinel promotes the replica
// (SENTINEL FAILOVER) while a Client is open, and the old primary keeps
// running, writable, until the sentinel demotes it later: once go-redis
// has followed the switch, every Store lands on the new primary; what was
// stored before is read back; a lock held before is still held; a new
// Client finds the new primary.
func TestClusterSentinelFailover(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := redistest.StartSentinel(t)
	o := sentinelOptions(s, "failover", 0) // 30 s leases: the lock outlives the switch
	c := open(t, nil, o)
	st := c.Storage()
	const n = 20
	for i := range n {
		if err := st.Store(ctx, fmt.Sprintf("before/%d", i), fmt.Appendf(nil, "value %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Lock(ctx, "held"); err != nil {
		t.Fatal(err)
	}
	// Only what reached the replica survives a failover.
	if got, err := s.Primary.Client(t).Do(ctx, "WAIT", 1, 5000).Int(); err != nil || got != 1 {
		t.Fatalf("WAIT for the replica: %d, %v", got, err)
	}
	old := s.Primary.Addr

	start := time.Now()
	s.Failover(t)
	switched := time.Now()
	if s.Primary.Addr == old {
		t.Fatal("the primary did not change")
	}
	primary := s.Primary.Client(t)
	onPrimary := func(key string) bool {
		return primary.Exists(ctx, "failover:storage:value:"+key).Val() == 1
	}
	testutil.Eventually(t, 10*time.Second, "a Store to land on the new primary", func() bool {
		return st.Store(ctx, "after", []byte("after")) == nil && onPrimary("after")
	})
	t.Logf("the sentinel switched %v after SENTINEL FAILOVER; Stores land on the new primary %v after that",
		switched.Sub(start).Round(time.Millisecond), time.Since(switched).Round(time.Millisecond))
	for i := range n {
		key := fmt.Sprintf("after/%d", i)
		if err := st.Store(ctx, key, []byte("after")); err != nil {
			t.Fatalf("Store after the failover: %v", err)
		}
		if !onPrimary(key) {
			t.Fatalf("%s stored after go-redis followed the failover is not on the new primary", key)
		}
	}
	for i := range n {
		key := fmt.Sprintf("before/%d", i)
		if v, err := st.Load(ctx, key); err != nil || string(v) != fmt.Sprintf("value %d", i) {
			t.Errorf("Load %s after the failover: %q, %v", key, v, err)
		}
		if !onPrimary(key) {
			t.Errorf("%s stored before the failover is not on the new primary", key)
		}
	}
	other := open(t, nil, o).Storage()
	if ok, err := other.TryLock(ctx, "held"); ok || err != nil {
		t.Errorf("TryLock of a lock held across the failover = %v, %v; want false, nil", ok, err)
	}
	if v, err := other.Load(ctx, "after"); err != nil || string(v) != "after" {
		t.Errorf("a new Client's Load after the failover: %q, %v", v, err)
	}
	if err := st.Unlock(ctx, "held"); err != nil {
		t.Errorf("Unlock after the failover: %v", err)
	}
}

// TestClusterRedisCluster: on a three-node Redis Cluster, with a prefix
// holding a hash tag, the storage passes the conformance suite and
// leadership works; every key is on one node, although the cluster
// spreads other keys; Open refuses a prefix without a hash tag, whose keys
// would be spread over slots that a MULTI or a script cannot span.
func TestClusterRedisCluster(t *testing.T) {
	t.Parallel()
	rc := redistest.StartCluster(t, 3)
	o := Options{Redis: &redis.UniversalOptions{Addrs: rc.Addrs()}, Prefix: "{portcullis}", LockLease: 2 * time.Second}
	t.Run("Conformance", func(t *testing.T) {
		t.Parallel()
		storagetest.Run(t, redisHarness(o))
	})
	t.Run("Leader", func(t *testing.T) {
		t.Parallel()
		checkLeader(t, o)
	})
	t.Run("OneSlot", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		st := open(t, nil, o).Storage()
		for i := range 20 {
			if err := st.Store(ctx, fmt.Sprintf("slot/%d", i), []byte("v")); err != nil {
				t.Fatal(err)
			}
		}
		raw := redis.NewClusterClient(&redis.ClusterOptions{Addrs: rc.Addrs()})
		defer raw.Close()
		for i := range 20 {
			if err := raw.Set(ctx, fmt.Sprintf("spread:%d", i), "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		var ours, spread []int // keys per node
		for _, n := range rc.Nodes {
			c := n.Client(t)
			ours = append(ours, len(c.Keys(ctx, "{portcullis}:*").Val()))
			spread = append(spread, len(c.Keys(ctx, "spread:*").Val()))
		}
		if nodesWith(ours) != 1 {
			t.Errorf("the prefix's keys per node: %v; want all on one", ours)
		}
		if nodesWith(spread) < 2 {
			t.Errorf("keys without a tag per node: %v; want them spread (is this a cluster?)", spread)
		}
	})
	t.Run("RefusesWithoutHashTag", func(t *testing.T) {
		t.Parallel()
		for _, o := range []Options{
			{Redis: &redis.UniversalOptions{Addrs: rc.Addrs()}},
			{Redis: &redis.UniversalOptions{Addrs: rc.Addrs()}, Prefix: "portcullis"},
			{Redis: &redis.UniversalOptions{Addrs: rc.Addrs()[:1], IsClusterMode: true}, Prefix: "{}portcullis"},
		} {
			o.Key = testKey
			if c, err := Open(o); err == nil || !strings.Contains(err.Error(), "hash tag") {
				t.Errorf("Open(prefix %q) = %v; want an error asking for a hash tag", o.Prefix, err)
				if c != nil {
					c.Close()
				}
			}
		}
		// Why: the keys of one Store, untagged, are in different slots.
		raw := redis.NewClusterClient(&redis.ClusterOptions{Addrs: rc.Addrs()})
		defer raw.Close()
		err := raw.Eval(t.Context(), "return 1", []string{"portcullis:storage:index", "portcullis:storage:value:x"}).Err()
		if err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
			t.Errorf("a script on two untagged keys: %v; want CROSSSLOT", err)
		}
	})
}

// nodesWith counts the nodes holding at least one key.
func nodesWith(counts []int) int {
	n := 0
	for _, c := range counts {
		if c > 0 {
			n++
		}
	}
	return n
}
