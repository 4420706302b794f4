package cluster

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/cluster/storagetest"
	"github.com/portcullis/portcullis/internal/redistest"
	"github.com/portcullis/portcullis/internal/testutil"
)

// docsFile returns the text of docs/cluster.md.
func docsFile(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "docs", "cluster.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docsACL returns the ACL SETUSER command docs/cluster.md gives.
func docsACL(t *testing.T) []string {
	sc := bufio.NewScanner(strings.NewReader(docsFile(t)))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "ACL SETUSER portcullis ") {
			return strings.Fields(line)
		}
	}
	t.Fatal("docs/cluster.md gives no ACL SETUSER portcullis line")
	return nil
}

// TestDocumentedACL: the ACL user docs/cluster.md describes can do all
// that portcullis does — store, load, list, stat, delete, lock, lead —
// logged in through the URL, and nothing outside its prefix.
func TestDocumentedACL(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	const password = "correct horse battery staple"
	args := docsACL(t)
	cmd := make([]any, len(args))
	for i, a := range args {
		if strings.HasPrefix(a, ">") {
			a = ">" + password
		}
		cmd[i] = a
	}
	admin := srv.Client(t)
	if err := admin.Do(ctx, cmd...).Err(); err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	url := "unix://portcullis:" + strings.ReplaceAll(password, " ", "%20") + "@" + srv.Socket

	c := open(t, srv, Options{URL: url})
	checkWorks(t, c)
	lead := c.Leader(ctx, "backup", time.Second)
	testutil.Eventually(t, 5*time.Second, "the ACL user to lead", lead.Leading)

	// The whole conformance suite, as that user (leases shortened).
	o := Options{URL: url, LockLease: time.Second}
	storagetest.Run(t, storagetest.Harness{
		New: func(t *testing.T) certmagic.Storage { return open(t, srv, o).Storage() },
		HoldAndDie: func(t *testing.T, name string) func() {
			c := open(t, srv, o)
			if err := c.Storage().Lock(t.Context(), name); err != nil {
				t.Fatal(err)
			}
			return c.kill
		},
		Lease: time.Second,
	})

	// Outside the prefix, and dangerous commands: refused.
	user := redis.NewClient(&redis.Options{Network: "unix", Addr: srv.Socket, Username: "portcullis", Password: password})
	defer user.Close()
	for _, refused := range [][]any{
		{"GET", "other:key"},
		{"SET", "other:key", "x"},
		{"FLUSHALL"},
		{"KEYS", "*"},
		{"CONFIG", "GET", "*"},
		{"EVAL", "return redis.call('GET', 'other:key')", "0"},
	} {
		// NOPERM, or from a script "can't access at least one of the keys".
		if err := user.Do(ctx, refused...).Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") && !strings.Contains(err.Error(), "can't access") {
			t.Errorf("%q as the portcullis user: %v; want a permission error", refused, err)
		}
	}
}

// TestDocsListChecks: docs/cluster.md's table lists every check of the
// conformance suite.
func TestDocsListChecks(t *testing.T) {
	doc := docsFile(t)
	for _, c := range storagetest.Checks {
		if !strings.Contains(doc, "| "+c.Name+" |") {
			t.Errorf("docs/cluster.md does not list the check %s", c.Name)
		}
	}
}
