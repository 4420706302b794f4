//go:build race

package testutil

// Race reports whether the race detector is on. Allocation guards skip
// under it: its sync.Pool drops a quarter of what is put back, so
// pooled objects are allocated again at random.
const Race = true
