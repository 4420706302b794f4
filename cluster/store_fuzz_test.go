package cluster

import (
	"testing"
)

// FuzzStoreRecord: what the event store reads back from Redis — a sorted
// set member, an aggregate's fields — comes from whoever can write to
// Redis. Nothing of it panics; what opens is exactly what was sealed.
func FuzzStoreRecord(f *testing.F) {
	s := &EventStore{c: &Client{seal: newSealer([]byte(testKey))}, id: "00c0ffee"}
	good := s.member("store:events", 1772366400000000000, []byte(`{"type":"host.rejected"}`))
	f.Add(good, "1", "1772366400000000000", "1772366400000000001")
	f.Add(good[:memberHead], "x", "", "-1")
	f.Add("9999999999999999999"+good[19:], "18446744073709551615", "0000000000000000000", "9223372036854775807")
	f.Fuzz(func(t *testing.T, m, count, first, last string) {
		if ns, v, err := s.openMember("store:events", m); err == nil {
			// Only a seed opens (each fuzzing process seals its own, with
			// a nonce of its own): its head and value are bound together.
			if m[:memberHead] != good[:memberHead] || ns != 1772366400000000000 || string(v) != `{"type":"host.rejected"}` {
				t.Fatalf("%q opened as %d %q", m, ns, v)
			}
		}
		s.aggregate("id", m, count, first, last)
	})
}
