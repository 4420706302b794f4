package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"time"

	"github.com/portcullis/portcullis/events"
)

// The file's layout, in bbolt buckets:
//
//	events        time(8) seq(8)        → event value
//	reports       aggregate key         → aggregate value (JSON)
//	reports.last  last(8) aggregate key → nothing: the aggregates by last seen
//	audits        time(8) seq(8)        → audit value
//	meta          "version"             → format version (1 byte)
//
// Times are big-endian Unix nanoseconds, so keys sort by time and a cursor
// walks events, audits (and aggregates, through reports.last) oldest first
// or newest first. The audits bucket was added without a new format
// version: a build that predates it ignores it.
var (
	bucketEvents  = []byte("events")
	bucketReports = []byte("reports")
	bucketLast    = []byte("reports.last")
	bucketAudits  = []byte("audits")
	bucketMeta    = []byte("meta")
	keyVersion    = []byte("version")
)

// formatVersion is the layout above.
const formatVersion = 1

// timeKey encodes t as 8 sortable bytes; times before 1970 are 1970.
func timeKey(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 16), nanos(t))
}

func nanos(t time.Time) uint64 {
	switch {
	case t.IsZero() || t.Unix() < 0:
		return 0
	case t.Unix() >= math.MaxInt64/int64(time.Second):
		return math.MaxInt64
	}
	return uint64(t.UnixNano())
}

func fromNanos(n uint64) time.Time { return time.Unix(0, int64(n)).UTC() }

func eventKey(t time.Time, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(timeKey(t), seq)
}

// An event value is a small header that queries filter on without
// decoding JSON, then the event as JSON:
//
//	version(1)=1 severity(1) len(type) type len(site) site json
//
// with lengths as uvarints.
func encodeEvent(e events.Event) ([]byte, error) {
	js, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	v := make([]byte, 0, 2+2*binary.MaxVarintLen16+len(e.Type)+len(e.Site)+len(js))
	v = append(v, 1, byte(e.Severity))
	v = appendString(v, e.Type)
	v = appendString(v, e.Site)
	return append(v, js...), nil
}

var errCorrupt = errors.New("store: malformed record")

// eventHeader decodes an event value's header; js is the JSON after it.
func eventHeader(v []byte) (sev events.Severity, typ, site string, js []byte, err error) {
	if len(v) < 2 || v[0] != 1 {
		return 0, "", "", nil, errCorrupt
	}
	sev, rest := events.Severity(v[1]), v[2:]
	var ok bool
	if typ, rest, ok = readString(rest); !ok {
		return 0, "", "", nil, errCorrupt
	}
	if site, rest, ok = readString(rest); !ok {
		return 0, "", "", nil, errCorrupt
	}
	return sev, typ, site, rest, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readString(b []byte) (string, []byte, bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return "", nil, false
	}
	return string(b[w : w+int(n)]), b[w+int(n):], true
}

// aggKey is the identity of an aggregate: its five fields, each
// length-prefixed.
func aggKey(r Report) []byte {
	k := make([]byte, 0, 10+len(r.Site)+len(r.Type)+len(r.Directive)+len(r.Blocked)+len(r.Document))
	for _, s := range [...]string{r.Site, r.Type, r.Directive, r.Blocked, r.Document} {
		k = appendString(k, s)
	}
	return k
}

func parseAggKey(k []byte, a *Aggregate) bool {
	for _, dst := range [...]*string{&a.Site, &a.Type, &a.Directive, &a.Blocked, &a.Document} {
		var ok bool
		if *dst, k, ok = readString(k); !ok {
			return false
		}
	}
	return len(k) == 0
}

// aggValue is what an aggregate stores besides its key.
type aggValue struct {
	Count       uint64 `json:"n"`
	First       uint64 `json:"first"`
	Last        uint64 `json:"last"`
	Disposition string `json:"disposition,omitempty"`
	Sample      string `json:"sample,omitempty"`
	Source      string `json:"source,omitempty"`
}

// An audit value is a header queries filter on, then the record as JSON:
//
//	version(1)=1 len(site) site json
func encodeAudit(a AuditRecord) ([]byte, error) {
	js, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	v := make([]byte, 0, 1+binary.MaxVarintLen16+len(a.Site)+len(js))
	v = append(v, 1)
	v = appendString(v, a.Site)
	return append(v, js...), nil
}

// auditHeader decodes an audit value's header; js is the JSON after it.
func auditHeader(v []byte) (site string, js []byte, err error) {
	if len(v) < 1 || v[0] != 1 {
		return "", nil, errCorrupt
	}
	site, js, ok := readString(v[1:])
	if !ok {
		return "", nil, errCorrupt
	}
	return site, js, nil
}
