package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testClusterKey = "0123456789abcdef0123456789abcdef" // 32 bytes

// TestClusterDecode: each way of locating Redis decodes to its fields, the
// defaults filled in; no [cluster], no Cluster.
func TestClusterDecode(t *testing.T) {
	t.Setenv("PORTCULLIS_CLUSTER_KEY", testClusterKey)
	t.Setenv("REDIS_PASSWORD", "s3cret")
	dir := t.TempDir()
	pem := filepath.Join(dir, "x.pem")
	if err := os.WriteFile(pem, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := Parse("p.toml", []byte(minimalSite)); err != nil || c.Cluster != nil {
		t.Fatalf("no [cluster]: %+v, %v", c.Cluster, err)
	}
	key := "key = \"${PORTCULLIS_CLUSTER_KEY}\"\n"
	for _, tc := range []struct {
		name, file string
		want       Cluster
	}{
		{"url", "redis = \"redis://redis.internal:6379/0\"\n" + key,
			Cluster{Redis: "redis://redis.internal:6379/0", Key: testClusterKey, Prefix: "portcullis", LockLease: 30 * time.Second}},
		{"unix", "redis = \"unix:///run/redis/redis.sock?db=2\"\n" + key + "prefix = \"edge\"\nlock_lease = \"5s\"\n",
			Cluster{Redis: "unix:///run/redis/redis.sock?db=2", Key: testClusterKey, Prefix: "edge", LockLease: 5 * time.Second}},
		{"tls", "redis = \"rediss://redis.internal:6380\"\nusername = \"portcullis\"\npassword = \"${REDIS_PASSWORD}\"\n" + key +
			"ca_file = \"" + pem + "\"\ncert_file = \"" + pem + "\"\nkey_file = \"" + pem + "\"\n",
			Cluster{Redis: "rediss://redis.internal:6380", Username: "portcullis", Password: "s3cret", Key: testClusterKey,
				CAFile: pem, CertFile: pem, KeyFile: pem, Prefix: "portcullis", LockLease: 30 * time.Second}},
		{"sentinel", "sentinel_master = \"mymaster\"\nsentinel_addrs = [\"10.0.0.1:26379\", \"10.0.0.2:26379\"]\ntls = true\n" + key,
			Cluster{SentinelMaster: "mymaster", SentinelAddrs: []string{"10.0.0.1:26379", "10.0.0.2:26379"}, TLS: true,
				Key: testClusterKey, Prefix: "portcullis", LockLease: 30 * time.Second}},
		{"redis cluster", "addrs = [\"10.0.0.1:6379\", \"10.0.0.2:6379\"]\nprefix = \"{portcullis}\"\n" + key,
			Cluster{Addrs: []string{"10.0.0.1:6379", "10.0.0.2:6379"}, Key: testClusterKey, Prefix: "{portcullis}", LockLease: 30 * time.Second}},
	} {
		// Built in code (no file): ca_file need only exist.
		c, err := parse("", []byte("[cluster]\n"+tc.file+minimalSite), os.LookupEnv, nil)
		if err == nil {
			err = c.Validate()
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(*c.Cluster, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, *c.Cluster, tc.want)
		}
	}
}

// TestClusterBad: every bad value is one problem, at its file, line and
// key, and no message shows the key or a password.
func TestClusterBad(t *testing.T) {
	t.Setenv("PORTCULLIS_CLUSTER_KEY", testClusterKey)
	t.Setenv("SHORT_KEY", "tooshort")
	key := "\nkey = \"${PORTCULLIS_CLUSTER_KEY}\""
	for _, tc := range []struct{ file, want string }{
		{"[cluster]" + key, `p.toml:1: cluster.redis: missing: say where Redis is`},
		{"[cluster]\nredis = \"redis://r:6379\"", `p.toml:1: cluster.key: missing: the cluster key`},
		{"[cluster]\nredis = \"redis://r:6379\"\nkey = \"${SHORT_KEY}\"", `p.toml:3: cluster.key: has 8 bytes, fewer than 32`},
		{"[cluster]\nredis = \"redis://r:6379\"\nkey = \"${NOT_SET_ANYWHERE}\"", `p.toml:3: cluster.key: environment variable NOT_SET_ANYWHERE is not set`},
		{"[cluster]\nredis = \"http://r:6379\"" + key, `p.toml:2: cluster.redis: scheme "http" is not redis://, rediss:// or unix://`},
		{"[cluster]\nredis = \"redis://:hunter2@/0\"" + key, `p.toml:2: cluster.redis: "redis://:xxxxx@/0" has no host`},
		{"[cluster]\nredis = \"unix://\"" + key, `p.toml:2: cluster.redis: "unix:" has no socket path`},
		{"[cluster]\nredis = \"redis://:hunter2@r:%zz\"" + key, `p.toml:2: cluster.redis: is not a URL (the value is not shown`},
		{"[cluster]\nredis = \"rediss://r:6380?skip_verify=true\"" + key, `p.toml:2: cluster.redis: skip_verify would send`},
		{"[cluster]\nredis = \"redis://r:6379\"\naddrs = [\"a:1\"]\nprefix = \"{p}\"" + key, `p.toml:2: cluster.redis: set one of redis, addrs and sentinel_master, not several`},
		{"[cluster]\nredis = \"redis://u:hunter2@r:6379\"\npassword = \"x\"" + key, `p.toml:3: cluster.password: the URL holds a user too`},
		{"[cluster]\nredis = \"rediss://r:6380\"\ntls = true" + key, `p.toml:3: cluster.tls: only used with addrs or sentinel_master`},
		{"[cluster]\nredis = \"redis://r:6379\"\nca_file = \"testdata/internal-ca.pem\"" + key, `p.toml:3: cluster.ca_file: only used with TLS`},
		{"[cluster]\nredis = \"rediss://r:6380\"\nca_file = \"nonexistent.pem\"" + key, `p.toml:3: cluster.ca_file: cannot read "nonexistent.pem"`},
		{"[cluster]\nredis = \"rediss://r:6380\"\ncert_file = \"c.pem\"" + key, `p.toml:1: cluster.key_file: missing: cert_file is set`},
		{"[cluster]\nsentinel_master = \"m\"" + key, `p.toml:1: cluster.sentinel_addrs: missing: sentinel_master needs`},
		{"[cluster]\nsentinel_addrs = [\"s:26379\"]" + key, `p.toml:1: cluster.sentinel_master: missing: sentinel_addrs is set`},
		{"[cluster]\naddrs = [\"a:1\", \"b\"]\nprefix = \"{p}\"" + key, `p.toml:2: cluster.addrs: item 2: "b" is not host:port`},
		{"[cluster]\naddrs = [\"a:1\", \"b:2\"]" + key, `p.toml:1: cluster.prefix: with a Redis Cluster the prefix must hold a hash tag`},
		{"[cluster]\naddrs = [\"a:1\"]" + key, `p.toml:1: cluster.prefix: with a Redis Cluster the prefix must hold a hash tag`},
		{"[cluster]\nredis = \"redis://r:6379\"\nprefix = \"a b\"" + key, `p.toml:3: cluster.prefix: "a b" is not a key prefix`},
		{"[cluster]\nredis = \"redis://r:6379\"\nlock_lease = \"500ms\"" + key, `p.toml:3: cluster.lock_lease: 500ms is less than a second`},
		{"[cluster]\nredis = \"redis://r:6379\"\nlock_lease = \"soon\"" + key, `p.toml:3: cluster.lock_lease: "soon" is not a duration`},
		{"[cluster]\nredis = \"redis://r:6379\"\nttl = \"5s\"" + key, `p.toml:3: cluster.ttl: unknown key`},
		{"[cluster]\nredis = 6379" + key, `p.toml:2: cluster.redis: must be a string, not an integer`},
		{"cluster = \"redis://r\"", `p.toml:1: cluster: must be a table, not a string`},
	} {
		_, err := Parse("p.toml", []byte(tc.file+"\n"+minimalSite))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s", tc.file, err, tc.want)
			continue
		}
		if strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("%q: more than one problem:\n%v", tc.file, err)
		}
		for _, secret := range []string{testClusterKey, "tooshort", "hunter2"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%q: the message shows a secret: %v", tc.file, err)
			}
		}
	}
}
