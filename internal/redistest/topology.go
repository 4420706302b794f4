package redistest

// This file runs topologies of several redis-server processes, on loopback
// TCP ports (Sentinel and Redis Cluster announce addresses, not sockets):
// a primary, its replica and a sentinel; a Redis Cluster.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/internal/testutil"
)

// startTCP starts a redis-server on a free loopback TCP port (no unix
// socket) in a directory of t.TempDir; with sentinelConf, a sentinel with
// that configuration (Sentinel rewrites its configuration file, so it must
// have one). extra returns arguments that follow the defaults. A port taken
// meanwhile by another process makes redis-server exit: it is tried again
// on other ports (extra is called again, for ports of its own).
func startTCP(t testing.TB, sentinelConf string, extra func() []string) *Server {
	t.Helper()
	bin := need(t)
	dir := t.TempDir()
	var pre []string
	if sentinelConf != "" {
		conf := filepath.Join(dir, "sentinel.conf")
		pre = []string{conf, "--sentinel"}
		t.Cleanup(func() {
			if t.Failed() {
				b, _ := os.ReadFile(conf)
				t.Logf("%s, as the sentinel left it:\n%s", conf, b)
			}
		})
		if err := os.WriteFile(conf, []byte(sentinelConf), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	for range 3 {
		port := freePort(t)
		s := &Server{t: t, bin: bin, pre: pre, Dir: dir, Addr: fmt.Sprintf("127.0.0.1:%d", port)}
		s.args = append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1"}, extra()...)
		if err = s.start(); err == nil {
			s.cleanup()
			return s
		}
		if !errors.Is(err, errExited) {
			break
		}
	}
	t.Fatal(err)
	return nil
}

// port returns the TCP port of a server on TCP.
func (s *Server) port() string { return s.Addr[strings.LastIndexByte(s.Addr, ':')+1:] }

// Sentinel is a primary, its replica and one sentinel monitoring them
// (quorum 1), each a redis-server on a loopback TCP port, for
// redis.UniversalOptions{MasterName: s.Master, Addrs: s.Addrs()}.
type Sentinel struct {
	// Master is the name the sentinel knows the primary by.
	Master string
	// Primary and Replica are the data servers; Failover swaps them.
	Primary, Replica *Server
	// Sentinel is the sentinel process.
	Sentinel *Server
}

// Sentinel's timings in StartSentinel: a primary that does not answer for
// a second is down; a failover not done in 5 s is abandoned.
const (
	sentinelDownAfter       = 1000
	sentinelFailoverTimeout = 5000
)

// StartSentinel starts a primary, its replica and a sentinel monitoring
// the primary as "mymaster", and returns once the replica is in sync and
// the sentinel knows it (so that Failover can promote it). Everything is
// stopped by PID when the test ends.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	// Without a delay before a full sync: Redis waits 5 s by default, for
	// more replicas to share it. Both, since they swap roles.
	noDelay := []string{"--repl-diskless-sync-delay", "0"}
	s := &Sentinel{Master: "mymaster"}
	s.Primary = startTCP(t, "", func() []string { return noDelay })
	s.Replica = startTCP(t, "", func() []string {
		return append(noDelay, "--replicaof", "127.0.0.1", s.Primary.port())
	})
	replica := s.Replica.Client(t)
	testutil.Eventually(t, 10*time.Second, "the replica to sync with the primary", func() bool {
		info, _ := replica.Info(context.Background(), "replication").Result()
		return strings.Contains(info, "master_link_status:up")
	})
	conf := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]s 1\n"+
		"sentinel down-after-milliseconds %[1]s %[3]d\n"+
		"sentinel failover-timeout %[1]s %[4]d\n",
		s.Master, s.Primary.port(), sentinelDownAfter, sentinelFailoverTimeout)
	s.Sentinel = startTCP(t, conf, func() []string { return nil })
	sc := s.client(t)
	testutil.Eventually(t, 10*time.Second, "the sentinel to know the replica", func() bool {
		rs, _ := sc.Replicas(context.Background(), s.Master).Result()
		for _, r := range rs {
			if r["ip"]+":"+r["port"] == s.Replica.Addr && r["flags"] == "slave" && r["master-link-status"] == "ok" {
				return true
			}
		}
		return false
	})
	return s
}

// Addrs returns the sentinels' addresses.
func (s *Sentinel) Addrs() []string { return []string{s.Sentinel.Addr} }

// client returns a client of the sentinel, closed when the test ends.
func (s *Sentinel) client(t testing.TB) *redis.SentinelClient {
	c := redis.NewSentinelClient(&redis.Options{Addr: s.Sentinel.Addr})
	t.Cleanup(func() { c.Close() })
	return c
}

// MasterAddr returns the primary's address as the sentinel says it now.
func (s *Sentinel) MasterAddr(t testing.TB) string {
	t.Helper()
	a, err := s.client(t).GetMasterAddrByName(context.Background(), s.Master).Result()
	if err != nil || len(a) != 2 {
		t.Fatalf("SENTINEL GET-MASTER-ADDR-BY-NAME %s: %v, %v", s.Master, a, err)
	}
	return a[0] + ":" + a[1]
}

// Failover makes the sentinel promote the replica (SENTINEL FAILOVER) and
// returns once the sentinel names it as the primary; Primary and Replica
// are then swapped. The old primary keeps running: the sentinel makes it
// a replica of the new one some seconds later.
func (s *Sentinel) Failover(t testing.TB) {
	t.Helper()
	sc := s.client(t)
	if err := sc.Failover(context.Background(), s.Master).Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER %s: %v", s.Master, err)
	}
	testutil.Eventually(t, 10*time.Second, "the sentinel to name the replica "+s.Replica.Addr+" as the primary", func() bool {
		a, _ := sc.GetMasterAddrByName(context.Background(), s.Master).Result()
		return len(a) == 2 && a[0]+":"+a[1] == s.Replica.Addr
	})
	s.Primary, s.Replica = s.Replica, s.Primary
}

// Cluster is a Redis Cluster of primaries without replicas, each a
// redis-server on a loopback TCP port, with the 16384 slots shared out
// between them.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts a Redis Cluster of n primaries and returns once
// every node sees all n and every slot served (cluster_state:ok).
// Everything is stopped by PID when the test ends.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	const slots = 16384
	c := &Cluster{}
	bus := make([]int, n)
	for i := range n {
		c.Nodes = append(c.Nodes, startTCP(t, "", func() []string {
			bus[i] = freePort(t)
			return []string{"--cluster-enabled", "yes", "--cluster-port", fmt.Sprint(bus[i]),
				"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"}
		}))
	}
	ctx := context.Background()
	clients := make([]*redis.Client, n)
	for i, node := range c.Nodes {
		clients[i] = node.Client(t)
		lo, hi := i*slots/n, (i+1)*slots/n-1
		// Distinct epochs, as redis-cli --cluster create sets them, spare
		// the nodes resolving a collision first.
		for _, args := range [][]any{{"CLUSTER", "SET-CONFIG-EPOCH", i + 1}, {"CLUSTER", "ADDSLOTSRANGE", lo, hi}} {
			if err := clients[i].Do(ctx, args...).Err(); err != nil {
				t.Fatalf("%s: %v: %v", node.Addr, args, err)
			}
		}
	}
	for i, node := range c.Nodes[1:] {
		if err := clients[0].Do(ctx, "CLUSTER", "MEET", "127.0.0.1", node.port(), bus[i+1]).Err(); err != nil {
			t.Fatalf("CLUSTER MEET %s: %v", node.Addr, err)
		}
	}
	testutil.Eventually(t, 10*time.Second, "every node of the Redis Cluster to see all and every slot served", func() bool {
		return !slices.ContainsFunc(clients, func(cl *redis.Client) bool {
			info, _ := cl.ClusterInfo(ctx).Result()
			return !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d\r", n))
		})
	})
	return c
}

// Addrs returns the nodes' addresses.
func (c *Cluster) Addrs() []string {
	var a []string
	for _, n := range c.Nodes {
		a = append(a, n.Addr)
	}
	return a
}
