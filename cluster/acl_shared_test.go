package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/redistest"
	"github.com/portcullis/portcullis/store/storetest"
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

// TestDocumentedACLStore: the ACL user docs/cluster.md describes can keep
// the event store (the whole conformance suite, as that user) and claim
// alerts.
func TestDocumentedACLStore(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	const password = "correct horse battery staple"
	var cmd []any
	for _, a := range docsACL(t) {
		if strings.HasPrefix(a, ">") {
			a = ">" + password
		}
		cmd = append(cmd, a)
	}
	if err := srv.Client(t).Do(t.Context(), cmd...).Err(); err != nil {
		t.Fatal(err)
	}
	o := Options{URL: "unix://portcullis:" + strings.ReplaceAll(password, " ", "%20") + "@" + srv.Socket}
	if _, err := open(t, srv, o).ClaimAlert(t.Context(), "alert", time.Minute); err != nil {
		t.Fatal(err)
	}
	// The harness's prefixes must stay under the ACL's: portcullis:*.
	storetest.Run(t, storeHarness(srv, o, "portcullis:acl"))
}
