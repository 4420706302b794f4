package cluster

import (
	"strings"
	"testing"

	"github.com/portcullis/portcullis/cluster/internal/redistest"
)

// TestDocumentedACLShared: the ACL user docs/cluster.md describes can
// also keep session ticket keys and the shared CA.
func TestDocumentedACLShared(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	const password = "correct horse battery staple"
	var cmd []any
	for _, a := range docsACL(t) {
		if strings.HasPrefix(a, ">") {
			a = ">" + password
		}
		cmd = append(cmd, a)
	}
	if err := srv.Client(t).Do(ctx, cmd...).Err(); err != nil {
		t.Fatal(err)
	}
	c := open(t, srv, Options{URL: "unix://portcullis:" + strings.ReplaceAll(password, " ", "%20") + "@" + srv.Socket})
	tk, err := c.TicketKeys(ctx, TicketOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Close()
	if err := tk.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.SharedCA(ctx, newCA); err != nil {
		t.Fatal(err)
	}
}
