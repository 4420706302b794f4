package store_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/storetest"
)

// TestConformance runs the store conformance suite against Bolt, the
// reference (the Redis store of cluster mode runs it in package
// cluster).
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T, o store.Options) storetest.Store {
			b, err := store.OpenFile(filepath.Join(t.TempDir(), "store.db"), o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := b.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
					t.Error(err)
				}
			})
			return b
		},
	})
}
