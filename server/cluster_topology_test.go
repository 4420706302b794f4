package server

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/cluster"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/internal/redistest"
)

// TestClusterConfigTopologies: `[cluster] sentinel_master` with
// `sentinel_addrs`, and `addrs` with a tagged prefix, read from a
// configuration file, give clients that store where they should — on the
// sentinel's primary; on the one node of a Redis Cluster serving the tag.
func TestClusterConfigTopologies(t *testing.T) {
	t.Parallel()
	sentinel := redistest.StartSentinel(t)
	rc := redistest.StartCluster(t, 3)
	quoted := func(addrs []string) string {
		var q []string
		for _, a := range addrs {
			q = append(q, fmt.Sprintf("%q", a))
		}
		return strings.Join(q, ", ")
	}
	for _, tc := range []struct {
		name, section string
		key           string              // the Redis key the value is stored under
		raw           []*redistest.Server // the servers to look for it on
		holders       int                 // how many of raw must hold it
	}{
		{"sentinel", fmt.Sprintf("sentinel_master = %q\nsentinel_addrs = [%s]\nprefix = \"viasentinel\"", sentinel.Master, quoted(sentinel.Addrs())),
			"viasentinel:storage:value:k", []*redistest.Server{sentinel.Primary}, 1},
		{"redis cluster", fmt.Sprintf("addrs = [%s]\nprefix = \"{viacluster}\"", quoted(rc.Addrs())),
			"{viacluster}:storage:value:k", rc.Nodes, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgText := fmt.Sprintf("[listen]\n%s\nadmin = \"off\"\n\n[cluster]\n%s\nkey = %q\n\n%s", anyListen, tc.section, testClusterKey, localSite)
			cfg, err := config.Parse(filepath.Join(t.TempDir(), "portcullis.toml"), []byte(cfgText))
			if err != nil {
				t.Fatal(err)
			}
			o, err := clusterOptions(cfg.Cluster, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			c, err := cluster.Open(o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx := t.Context()
			if err := c.Storage().Store(ctx, "k", []byte("v")); err != nil {
				t.Fatalf("Store: %v", err)
			}
			if v, err := c.Storage().Load(ctx, "k"); err != nil || string(v) != "v" {
				t.Fatalf("Load: %q, %v", v, err)
			}
			holders := 0
			for _, s := range tc.raw {
				holders += int(s.Client(t).Exists(ctx, tc.key).Val())
			}
			if holders != tc.holders {
				t.Errorf("%s is on %d of the %d servers; want %d", tc.key, holders, len(tc.raw), tc.holders)
			}
		})
	}
}
