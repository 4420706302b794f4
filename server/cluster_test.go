package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/certs/acme"
	"github.com/portcullis/portcullis/cluster"
	"github.com/portcullis/portcullis/cluster/storagetest"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/events/eventstest"
	"github.com/portcullis/portcullis/internal/pebbletest"
	"github.com/portcullis/portcullis/internal/redistest"
	"github.com/portcullis/portcullis/internal/testutil"
)

// testClusterKey is the cluster secret of the tests (32 bytes or more).
const testClusterKey = "portcullis-cluster-test-key-0123456789"

// clusterCheck is the tests' health-check interval of Redis.
const clusterCheck = 100 * time.Millisecond

// node is one `serve` instance of a test cluster, in process.
type node struct {
	srv  *Server
	dir  string // the instance's data directory's parent
	logs *testutil.Buffer
	rec  *eventstest.Recorder
	once sync.Once // stop
}

// clusterTOML is an instance's configuration: [cluster] on redisURL, and
// the sites given.
func clusterTOML(redisURL, listen, extra, sites string) string {
	return fmt.Sprintf(`
[listen]
%s
admin = "off"

[cluster]
redis = %q
key = %q
lock_lease = "2s"

[audit]
enabled = false

%s
%s
`, listen, redisURL, testClusterKey, extra, sites)
}

// localSite is a site with a certificate from the local CA.
const localSite = `
[[site]]
name = "local"
hosts = ["localhost"]
upstream = "demo"
`

const anyListen = "https = \"127.0.0.1:0\"\nhttp = \"127.0.0.1:0\""

// startNode starts an instance from cfgText with its data in dir ("" for
// a new one); it is shut down when the test ends.
func startNode(t *testing.T, dir, cfgText string) *node {
	t.Helper()
	n, err := newNode(t, dir, cfgText)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func newNode(t *testing.T, dir, cfgText string) (*node, error) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	n := &node{dir: dir, logs: &testutil.Buffer{}, rec: &eventstest.Recorder{}}
	cfg, err := config.Parse(filepath.Join(dir, "portcullis.toml"), []byte(cfgText))
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	n.srv, err = New(cfg, Options{DataDir: filepath.Join(dir, "data"), Logger: log, AccessLog: io.Discard,
		OnEvent: n.rec.Sink, ClusterCheck: clusterCheck})
	if err != nil {
		return nil, err
	}
	if err := n.srv.Start(); err != nil {
		n.stop()
		return nil, err
	}
	t.Cleanup(func() {
		n.stop()
		if t.Failed() {
			t.Logf("log of the instance in %s:\n%s", dir, n.logs.String())
		}
	})
	return n, nil
}

// startNodes starts instances at once, one per configuration, each in
// its directory of dirs ("" for a new one).
func startNodes(t *testing.T, dirs, cfgs []string) []*node {
	t.Helper()
	nodes := make([]*node, len(cfgs))
	errs := make([]error, len(cfgs))
	var wg sync.WaitGroup
	for i := range cfgs {
		wg.Go(func() { nodes[i], errs[i] = newNode(t, dirs[i], cfgs[i]) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return nodes
}

func (n *node) stop() {
	n.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n.srv.Shutdown(ctx)
	})
}

// saw reports whether the instance emitted an event of type typ.
func (n *node) saw(typ string) bool {
	for _, e := range n.rec.All() {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// clusterUp returns portcullis_cluster_up as the instance exposes it, or
// -1 when it has none.
func (n *node) clusterUp(t *testing.T) float64 {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(n.srv.metrics)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "portcullis_cluster_up" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return -1
}

// localClient trusts roots and sends every request to addr.
func localClient(roots *x509.CertPool, cache tls.ClientSessionCache) *tls.Config {
	return &tls.Config{RootCAs: roots, ServerName: "localhost", ClientSessionCache: cache, MinVersion: tls.VersionTLS12}
}

// get makes one HTTPS request on a new connection to addr and reports the
// connection's state.
func get(addr string, c *tls.Config) (tls.ConnectionState, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, c)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", HealthPath)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body) // the session ticket arrives with the response
	if err != nil {
		return tls.ConnectionState{}, err
	}
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		return tls.ConnectionState{}, fmt.Errorf("%s: %s %q", addr, resp.Status, body)
	}
	return conn.ConnectionState(), nil
}

// TestClusterLocalCAAndTickets: three instances on one Redis have one root
// (the one the first created), and a TLS session from one resumes on each
// of the others; a Redis restarted empty gets that root back, not a new
// one.
func TestClusterLocalCAAndTickets(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	cfg := clusterTOML(rs.URL(), anyListen, "", localSite)
	nodes := startNodes(t, []string{"", "", ""}, []string{cfg, cfg, cfg})
	root := nodes[0].srv.LocalCA().Root()
	for i, n := range nodes {
		if got := n.srv.LocalCA().Root(); !got.Equal(root) {
			t.Fatalf("instance %d has root %q, instance 0 %q", i, got.Subject.CommonName, root.Subject.CommonName)
		}
		// Mirrored in the data directory, for `ca path` and restarts
		// without Redis.
		b, err := os.ReadFile(n.srv.LocalCA().RootPath())
		if err != nil || !strings.Contains(string(b), "BEGIN CERTIFICATE") {
			t.Fatalf("instance %d: root file: %v", i, err)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)

	for i, from := range nodes {
		for j, to := range nodes {
			if i == j {
				continue
			}
			c := localClient(pool, tls.NewLRUClientSessionCache(4))
			first, err := get(from.srv.HTTPSAddr(), c)
			if err != nil {
				t.Fatal(err)
			}
			if first.DidResume {
				t.Fatal("a new session cache resumed")
			}
			second, err := get(to.srv.HTTPSAddr(), c)
			if err != nil {
				t.Fatal(err)
			}
			if !second.DidResume {
				t.Errorf("a session from instance %d did not resume on instance %d (%s)", i, j, tls.VersionName(second.Version))
			}
		}
	}

	// Redis loses everything: the root is published back, and an
	// instance joining now gets it.
	rs.Kill()
	rs.Restart()
	raw := rs.Client(t)
	testutil.Eventually(t, 10*time.Second, "the root published back to Redis", func() bool {
		n, _ := raw.Exists(context.Background(), "portcullis:ca:root").Result()
		return n == 1
	})
	late := startNode(t, "", cfg)
	if got := late.srv.LocalCA().Root(); !got.Equal(root) {
		t.Errorf("an instance joining after Redis restarted empty has root %q, want %q", got.Subject.CommonName, root.Subject.CommonName)
	}
}

// TestClusterRedisRestartUnderLoad: requests to three instances, on new
// connections (full handshakes and resumptions), while Redis is killed
// and restarted empty, twice: none fails; each instance reports the outage
// and the recovery (event, metric).
func TestClusterRedisRestartUnderLoad(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	cfg := clusterTOML(rs.URL(), anyListen, "", localSite)
	nodes := []*node{startNode(t, "", cfg), startNode(t, "", cfg), startNode(t, "", cfg)}
	pool := x509.NewCertPool()
	pool.AddCert(nodes[0].srv.LocalCA().Root())
	for _, n := range nodes {
		if up := n.clusterUp(t); up != 1 {
			t.Fatalf("portcullis_cluster_up = %v before the outage", up)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			c := localClient(pool, tls.NewLRUClientSessionCache(4))
			for i := w; ctx.Err() == nil; i++ {
				if _, err := get(nodes[i%len(nodes)].srv.HTTPSAddr(), c); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(1)
			}
		})
	}
	for range 2 {
		time.Sleep(300 * time.Millisecond) // load before, during and after: not a wait for a condition
		rs.Kill()
		testutil.Eventually(t, 5*time.Second, "every instance to see Redis down", func() bool {
			for _, n := range nodes {
				if n.clusterUp(t) != 0 {
					return false
				}
			}
			return true
		})
		down := ok.Load()
		testutil.Eventually(t, 5*time.Second, "requests served while Redis is down", func() bool { return ok.Load() >= down+len64(nodes) })
		rs.Restart()
		testutil.Eventually(t, 10*time.Second, "every instance to see Redis back", func() bool {
			for _, n := range nodes {
				if n.clusterUp(t) != 1 {
					return false
				}
			}
			return true
		})
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	wg.Wait()
	if failed.Load() > 0 || ok.Load() == 0 {
		t.Fatalf("%d requests failed (first: %v), %d succeeded", failed.Load(), firstErr.Load(), ok.Load())
	}
	t.Logf("%d requests, none failed, across two Redis restarts", ok.Load())
	for i, n := range nodes {
		if !n.saw(events.ClusterUnavailable) || !n.saw(events.ClusterRecovered) {
			t.Errorf("instance %d: no %s and %s events", i, events.ClusterUnavailable, events.ClusterRecovered)
		}
	}
	// What Redis lost is back: the ticket ring and the root.
	raw := rs.Client(t)
	testutil.Eventually(t, 5*time.Second, "the ticket ring and the root back in Redis", func() bool {
		n, _ := raw.Exists(context.Background(), "portcullis:tickets:ring", "portcullis:ca:root").Result()
		return n == 2
	})
}

func len64[T any](s []T) int64 { return int64(len(s)) }

// TestClusterRedisDownAtStart: an instance restarted while Redis is down
// serves from its data directory (the cluster's root, mirrored), reports
// it, and recovers when Redis is back, publishing the root to an empty
// Redis; an instance without local state and a local-CA site refuses to
// start rather than create a second root.
func TestClusterRedisDownAtStart(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	cfg := clusterTOML(rs.URL(), anyListen, "", localSite)
	dir := t.TempDir()
	first := startNode(t, dir, cfg)
	root := first.srv.LocalCA().Root()
	first.stop()
	rs.Kill()

	n := startNode(t, dir, cfg)
	if got := n.srv.LocalCA().Root(); !got.Equal(root) {
		t.Fatalf("restarted without Redis on root %q, want the cluster's %q", got.Subject.CommonName, root.Subject.CommonName)
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	if _, err := get(n.srv.HTTPSAddr(), localClient(pool, nil)); err != nil {
		t.Fatalf("not serving with Redis down: %v", err)
	}
	if !n.saw(events.ClusterUnavailable) || n.clusterUp(t) != 0 {
		t.Errorf("Redis down at start: event seen %v, portcullis_cluster_up %v", n.saw(events.ClusterUnavailable), n.clusterUp(t))
	}
	if !strings.Contains(n.logs.String(), "Redis unavailable") {
		t.Error("Redis down at start is not logged")
	}

	if _, err := newNode(t, "", cfg); err == nil || !strings.Contains(err.Error(), "no copy of the cluster's local CA") {
		t.Errorf("a new instance with a local-CA site and Redis down: %v", err)
	}

	rs.Restart()
	testutil.Eventually(t, 10*time.Second, "recovery", func() bool { return n.saw(events.ClusterRecovered) && n.clusterUp(t) == 1 })
	raw := rs.Client(t)
	testutil.Eventually(t, 5*time.Second, "the root published back", func() bool {
		k, _ := raw.Exists(context.Background(), "portcullis:ca:root").Result()
		return k == 1
	})
	if late := startNode(t, "", cfg); !late.srv.LocalCA().Root().Equal(root) {
		t.Error("an instance joining after the recovery got another root")
	}
	if strings.Contains(n.logs.String(), testClusterKey) {
		t.Error("the cluster key is in the log")
	}
}

// freeListen returns listen addresses on ports free now, so that Pebble
// can be told where to validate before the instance binds them.
func freeListen(t *testing.T) (listen string, httpPort, tlsPort int) {
	t.Helper()
	var ports [2]int
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	return fmt.Sprintf("https = \"127.0.0.1:%d\"\nhttp = \"127.0.0.1:%d\"", ports[1], ports[0]), ports[0], ports[1]
}

// acmeClusterSite is an [acme] section on ca and one ACME site for name.
func acmeClusterSite(t *testing.T, dir string, ca *pebbletest.CA, name string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "acme-api-root.pem"), ca.ClientRootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`
[acme]
ca = %q
ca_root = "acme-api-root.pem"
email = "ops@example.com"
challenges = ["http-01"]
renew_check_interval = "1s"

[[site]]
name = "acme"
hosts = [%q]
upstream = "demo"
[site.cert]
source = "acme"
`, ca.DirectoryURL(), name)
}

// servesIssued waits until n serves a certificate for name issued by ca,
// and returns it.
func servesIssued(t *testing.T, n *node, ca *pebbletest.CA, name string, within time.Duration) *x509.Certificate {
	t.Helper()
	roots := ca.IssuerRoots(t)
	var leaf *x509.Certificate
	testutil.Eventually(t, within, "instance to serve the certificate of "+name, func() bool {
		conn, err := tls.Dial("tcp", n.srv.HTTPSAddr(), &tls.Config{RootCAs: roots, ServerName: name})
		if err != nil {
			return false
		}
		defer conn.Close()
		leaf = conn.ConnectionState().PeerCertificates[0]
		return true
	})
	return leaf
}

// TestClusterOneOrder: three instances asking for the same name at once
// make one order at the CA, and all serve the certificate it issued.
func TestClusterOneOrder(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	ca := pebbletest.Start(t, pebbletest.Options{})
	name := fmt.Sprintf("site%d.portcullis.test", acmeNames.Add(1))
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	listens := make([]string, 3)
	for i := range listens {
		var httpPort, tlsPort int
		listens[i], httpPort, tlsPort = freeListen(t)
		if i == 0 {
			ca.Validate(httpPort, tlsPort) // any instance answers the challenge: it is in the shared storage
		}
	}
	cfgs := make([]string, 3)
	for i := range cfgs {
		cfgs[i] = clusterTOML(rs.URL(), listens[i], "", acmeClusterSite(t, dirs[i], ca, name))
	}
	nodes := startNodes(t, dirs, cfgs)
	var serial string
	for i, n := range nodes {
		leaf := servesIssued(t, n, ca, name, 30*time.Second)
		if i == 0 {
			serial = leaf.SerialNumber.String()
		} else if leaf.SerialNumber.String() != serial {
			t.Errorf("instance %d serves serial %s, instance 0 %s", i, leaf.SerialNumber, serial)
		}
	}
	if o, iss := ca.OrdersCreated(), ca.Issued(); o != 1 || iss != 1 {
		t.Errorf("%d orders created and %d certificates issued for one name on three instances, want 1 and 1", o, iss)
	}
	// The certificate is mirrored in each data directory.
	for i, d := range dirs {
		found := false
		testutil.Eventually(t, 5*time.Second, fmt.Sprintf("instance %d's mirror", i), func() bool {
			filepath.WalkDir(filepath.Join(d, "data"), func(p string, e os.DirEntry, err error) error {
				found = found || err == nil && strings.HasSuffix(p, name+".crt")
				return nil
			})
			return found
		})
	}
}

// The helper process of TestClusterKilledHolder: a `serve` instance built
// from the configuration in PORTCULLIS_TEST_CLUSTER_CONFIG, run until it
// is killed.
func TestClusterHelperProcess(t *testing.T) {
	file := os.Getenv("PORTCULLIS_TEST_CLUSTER_CONFIG")
	if file == "" {
		t.Skip("the helper process of TestClusterKilledHolder")
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, Options{DataDir: filepath.Join(filepath.Dir(file), "data"), AccessLog: io.Discard,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	select {} // until SIGKILL
}

// TestClusterKilledHolder: the instance holding a name's issuance lock
// (its order failing and retried, the CA down) is SIGKILLed;
// another instance, waiting on the lock, takes it once the lease (2 s)
// expires and completes the order.
func TestClusterKilledHolder(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	ca := pebbletest.Start(t, pebbletest.Options{})
	name := fmt.Sprintf("site%d.portcullis.test", acmeNames.Add(1))
	odir := t.TempDir()
	listen, httpPort, tlsPort := freeListen(t) // the other instance's, where Pebble validates
	ca.Validate(httpPort, tlsPort)
	ca.SetDown(true) // every ACME request fails (503) until the holder is dead

	dir := t.TempDir()
	file := filepath.Join(dir, "portcullis.toml")
	if err := os.WriteFile(file, []byte(clusterTOML(rs.URL(), anyListen, "", acmeClusterSite(t, dir, ca, name))), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterHelperProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "PORTCULLIS_TEST_CLUSTER_CONFIG="+file)
	out := &testutil.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("the holder's output:\n%s", out.String())
		}
	})
	raw := rs.Client(t)
	lock := "portcullis:lock:issue_cert_" + name
	testutil.Eventually(t, 20*time.Second, "the helper to hold the issuance lock", func() bool {
		n, _ := raw.Exists(context.Background(), lock).Result()
		return n == 1
	})

	// Another instance asks for the same name and waits on the lock.
	other := startNode(t, odir, clusterTOML(rs.URL(), listen, "", acmeClusterSite(t, odir, ca, name)))
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true
	ca.SetDown(false)
	start := time.Now()
	servesIssued(t, other, ca, name, 30*time.Second)
	t.Logf("the other instance served the certificate %v after the holder was killed", time.Since(start).Round(time.Millisecond))
	if o := ca.OrdersCreated(); o != 1 {
		t.Errorf("%d orders created, want 1", o)
	}
}

// TestClusterOptions: [cluster] maps to the cluster package's options:
// a URL with the credentials given apart, Sentinel, Redis Cluster, TLS.
func TestClusterOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   config.Cluster
		url  string // want, for a URL
		chk  func(o cluster.Options) string
	}{
		{name: "url", in: config.Cluster{Redis: "redis://r:6379/0"}, url: "redis://r:6379/0"},
		{name: "credentials apart", in: config.Cluster{Redis: "redis://r:6379/0", Username: "portcullis", Password: "p@ss:w/rd"},
			url: "redis://portcullis:p%40ss%3Aw%2Frd@r:6379/0"},
		{name: "unix", in: config.Cluster{Redis: "unix:///run/redis.sock?db=1", Password: "pw"}, url: "unix://:pw@/run/redis.sock?db=1"},
		{name: "sentinel", in: config.Cluster{SentinelMaster: "m", SentinelAddrs: []string{"s1:26379", "s2:26379"}, Password: "pw", TLS: true},
			chk: func(o cluster.Options) string {
				if r := o.Redis; r == nil || r.MasterName != "m" || len(r.Addrs) != 2 || r.Password != "pw" || r.TLSConfig == nil || r.IsClusterMode {
					return fmt.Sprintf("%+v", r)
				}
				return ""
			}},
		{name: "redis cluster", in: config.Cluster{Addrs: []string{"n1:6379", "n2:6379"}, Prefix: "{p}"},
			chk: func(o cluster.Options) string {
				if r := o.Redis; r == nil || r.MasterName != "" || !r.IsClusterMode || r.TLSConfig != nil {
					return fmt.Sprintf("%+v", r)
				}
				return ""
			}},
	} {
		tc.in.Key = testClusterKey
		o, err := clusterOptions(&tc.in, slog.Default())
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tc.url != "" && o.URL != tc.url {
			t.Errorf("%s: URL %q, want %q", tc.name, o.URL, tc.url)
		}
		if tc.chk != nil {
			if msg := tc.chk(o); msg != "" {
				t.Errorf("%s: %s", tc.name, msg)
			}
		}
	}
}

// TestClusterRedisLog: go-redis's own log lines reach the server's log,
// failures at Warn, with the passwords masked.
func TestClusterRedisLog(t *testing.T) {
	buf := &testutil.Buffer{}
	routeRedisLog(slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), "hunter2", "redis://u:urlsecret@r:6379")
	redisLogger{}.Printf(context.Background(), "redis: dial %s: connection refused (auth %s, %s)", "r:6379", "hunter2", "urlsecret")
	redisLogger{}.Printf(context.Background(), "redis: pool: %d connections", 3)
	out := buf.String()
	if strings.Contains(out, "hunter2") || strings.Contains(out, "urlsecret") {
		t.Errorf("a password is logged:\n%s", out)
	}
	if !strings.Contains(out, `level=WARN msg="cluster: go-redis: redis: dial r:6379: connection refused (auth REDACTED, REDACTED)"`) ||
		!strings.Contains(out, `level=DEBUG msg="cluster: go-redis: redis: pool: 3 connections"`) {
		t.Errorf("go-redis's lines not logged as expected:\n%s", out)
	}
}

// TestClusterMirrorConformance: the storage serve gives certmagic in
// cluster mode (Redis, mirrored in the data directory) passes the storage
// conformance suite, each instance with a data directory of its own.
func TestClusterMirrorConformance(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	storagetest.Run(t, storagetest.Harness{
		New: func(t *testing.T) certmagic.Storage {
			c, err := cluster.Open(cluster.Options{URL: rs.URL(), Key: testClusterKey, Prefix: "mirror"})
			if err != nil {
				t.Fatal(err)
			}
			local, err := acme.OpenStorage(t.TempDir(), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			// The marker present: Redis has not lost its data, so it is
			// authoritative.
			if err := c.Storage().Store(context.Background(), clusterMarker, []byte("now")); err != nil {
				t.Fatal(err)
			}
			m := newMirrorStorage(c.Storage(), local, func() bool { return false }, slog.New(slog.DiscardHandler))
			t.Cleanup(func() { m.close(); c.Close() })
			return m
		},
		// Its locks are the Redis storage's, whose expiry the cluster
		// package's conformance run checks.
	})
}

// TestClusterRepublishACME: an ACME certificate survives Redis losing
// everything without a second order: an instance restarted while Redis
// is down serves it from its data directory; Redis restarted empty gets
// it back from that mirror; an instance joining then loads it from Redis.
func TestClusterRepublishACME(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	ca := pebbletest.Start(t, pebbletest.Options{})
	name := fmt.Sprintf("site%d.portcullis.test", acmeNames.Add(1))
	dir := t.TempDir()
	listen, httpPort, tlsPort := freeListen(t)
	ca.Validate(httpPort, tlsPort)
	cfg := clusterTOML(rs.URL(), listen, "", acmeClusterSite(t, dir, ca, name))
	first := startNode(t, dir, cfg)
	serial := servesIssued(t, first, ca, name, 30*time.Second).SerialNumber
	first.stop()
	rs.Kill()

	again := startNode(t, dir, cfg)
	if got := servesIssued(t, again, ca, name, 10*time.Second).SerialNumber; got.Cmp(serial) != 0 {
		t.Fatalf("restarted without Redis, serves serial %s, want %s", got, serial)
	}
	rs.Restart()
	testutil.Eventually(t, 10*time.Second, "recovery", func() bool { return again.saw(events.ClusterRecovered) })
	raw := rs.Client(t)
	testutil.Eventually(t, 10*time.Second, "the certificate published back to Redis", func() bool {
		keys, _ := raw.ZRangeArgs(context.Background(), redis.ZRangeArgs{Key: "portcullis:storage:index", Start: "-", Stop: "+", ByLex: true}).Result()
		for _, k := range keys {
			if strings.HasSuffix(k, name+".key") {
				return true
			}
		}
		return false
	})
	jdir := t.TempDir()
	joiner := startNode(t, jdir, clusterTOML(rs.URL(), anyListen, "", acmeClusterSite(t, jdir, ca, name)))
	if got := servesIssued(t, joiner, ca, name, 10*time.Second).SerialNumber; got.Cmp(serial) != 0 {
		t.Errorf("an instance joining after the republish serves serial %s, want %s", got, serial)
	}
	if o := ca.OrdersCreated(); o != 1 {
		t.Errorf("%d orders, want 1: the certificate was ordered again", o)
	}
}

// TestClusterTicketKeysFollowConfig: the handshakes use the session ticket
// keys of the listener's configuration as they are now, not a copy made
// when serving began (http.Server.ServeTLS's clone would keep the keys of
// then, and a rotation of the cluster's ring would never reach them).
func TestClusterTicketKeysFollowConfig(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	cfg := clusterTOML(rs.URL(), anyListen, "", localSite)
	nodes := startNodes(t, []string{"", ""}, []string{cfg, cfg})
	pool := x509.NewCertPool()
	pool.AddCert(nodes[0].srv.LocalCA().Root())
	resumes := func() bool {
		t.Helper()
		c := localClient(pool, tls.NewLRUClientSessionCache(4))
		if _, err := get(nodes[0].srv.HTTPSAddr(), c); err != nil {
			t.Fatal(err)
		}
		st, err := get(nodes[1].srv.HTTPSAddr(), c)
		if err != nil {
			t.Fatal(err)
		}
		return st.DidResume
	}
	if !resumes() {
		t.Fatal("no resumption across instances with the cluster's keys")
	}
	k1, k2 := [32]byte{1}, [32]byte{2}
	nodes[0].srv.tlsConf.SetSessionTicketKeys([][32]byte{k1})
	nodes[1].srv.tlsConf.SetSessionTicketKeys([][32]byte{k2})
	if resumes() {
		t.Error("resumed across instances whose keys now differ: the handshakes do not use the configuration's keys")
	}
	nodes[1].srv.tlsConf.SetSessionTicketKeys([][32]byte{k1})
	if !resumes() {
		t.Error("no resumption once both configurations hold the same new key")
	}
}
