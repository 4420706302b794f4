package pebbletest

import (
	"bytes"
	"encoding/binary"
	"io"
	"log"
	"net"
	"strings"
	"testing"
	"time"
)

// encodeName returns name in wire form, or false if it is not a valid
// name (empty label, label over 63 octets, name over 255 octets).
func encodeName(name string) ([]byte, bool) {
	var b []byte
	if name != "" {
		for label := range strings.SplitSeq(name, ".") {
			if label == "" || len(label) > 63 {
				return nil, false
			}
			b = append(b, byte(len(label)))
			b = append(b, label...)
		}
	}
	b = append(b, 0)
	return b, len(b) <= dnsMaxName
}

// query builds a DNS query message with id, flags and qdcount, followed by
// the wire-form name and qtype/class (IN).
func query(id, flags, qdcount uint16, wireName []byte, qtype uint16) []byte {
	m := binary.BigEndian.AppendUint16(nil, id)
	m = binary.BigEndian.AppendUint16(m, flags)
	m = binary.BigEndian.AppendUint16(m, qdcount)
	m = append(m, 0, 0, 0, 0, 0, 0)
	m = append(m, wireName...)
	m = binary.BigEndian.AppendUint16(m, qtype)
	return binary.BigEndian.AppendUint16(m, dnsClassIN)
}

func mustName(t testing.TB, name string) []byte {
	t.Helper()
	b, ok := encodeName(name)
	if !ok {
		t.Fatalf("bad test name %q", name)
	}
	return b
}

// response is a decoded answer.
type response struct {
	id, flags, qd, an uint16
	question          []byte // as echoed
	addr              []byte // the A record's address, if any
}

func (r response) rcode() uint16 { return r.flags & 0xF }

// decode parses a response of answer, checking its structure; the test
// side's own reading of the format, independent of answer's code paths.
func decode(t testing.TB, resp []byte) response {
	t.Helper()
	if len(resp) < dnsHeaderLen {
		t.Fatalf("response of %d bytes has no header", len(resp))
	}
	r := response{
		id:    binary.BigEndian.Uint16(resp[0:]),
		flags: binary.BigEndian.Uint16(resp[2:]),
		qd:    binary.BigEndian.Uint16(resp[4:]),
		an:    binary.BigEndian.Uint16(resp[6:]),
	}
	if ns, ar := binary.BigEndian.Uint16(resp[8:]), binary.BigEndian.Uint16(resp[10:]); ns != 0 || ar != 0 {
		t.Fatalf("response has %d authority and %d additional records", ns, ar)
	}
	rest := resp[dnsHeaderLen:]
	if r.qd == 1 {
		q, err := parseQuestion(resp, dnsHeaderLen)
		if err != nil {
			t.Fatalf("response question: %v", err)
		}
		r.question = q.raw
		rest = rest[len(q.raw):]
	}
	switch r.an {
	case 0:
	case 1:
		want := []byte{0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4}
		if len(rest) != len(want)+4 || !bytes.Equal(rest[:len(want)], want) {
			t.Fatalf("answer record % x, want % x and 4 address bytes", rest, want)
		}
		r.addr = rest[len(want):]
		rest = nil
	default:
		t.Fatalf("response has %d answers", r.an)
	}
	if len(rest) != 0 {
		t.Fatalf("response has %d trailing bytes", len(rest))
	}
	return r
}

func TestAnswer(t *testing.T) {
	t.Parallel()
	const rd = flagRD
	long := strings.Repeat("a", 63)
	tooLong := append(bytes.Repeat(append([]byte{63}, long...), 4), 0) // 257 octets
	tests := []struct {
		name      string
		query     []byte
		wantErr   string
		wantRcode uint16
		wantAddr  bool
	}{
		{"A", query(7, rd, 1, mustName(t, "site.test"), dnsTypeA), "", 0, true},
		{"A mixed case", query(7, rd, 1, mustName(t, "Site.TEST"), dnsTypeA), "", 0, true},
		{"A longest name", query(7, 0, 1, mustName(t, long+"."+long+"."+long+"."+strings.Repeat("b", 61)), dnsTypeA), "", 0, true},
		{"AAAA", query(7, rd, 1, mustName(t, "site.test"), 28), "", 0, false},
		{"TXT", query(7, rd, 1, mustName(t, "_acme-challenge.site.test"), 16), "", 0, false},
		{"invalid", query(7, rd, 1, mustName(t, "invalid"), dnsTypeA), "", rcodeNXDomain, false},
		{"under invalid", query(7, rd, 1, mustName(t, "a.b.INVALID"), dnsTypeA), "", rcodeNXDomain, false},
		{"not under invalid", query(7, rd, 1, mustName(t, "notinvalid"), dnsTypeA), "", 0, true},
		{"root", query(7, rd, 1, mustName(t, ""), dnsTypeA), "", 0, true},
		{"no question", query(7, rd, 0, nil, dnsTypeA)[:dnsHeaderLen], "", rcodeFormErr, false},
		{"two questions", query(7, rd, 2, mustName(t, "a.test"), dnsTypeA), "", rcodeFormErr, false},
		{"opcode status", query(7, 2<<opcodeShift, 1, mustName(t, "a.test"), dnsTypeA), "", rcodeNotImp, false},
		{"pointer in question", query(7, rd, 1, []byte{0xC0, 12}, dnsTypeA), "", rcodeFormErr, false},
		{"extended label", query(7, rd, 1, []byte{0x41, 0}, dnsTypeA), "", rcodeFormErr, false},
		{"label past end", query(7, rd, 1, nil, dnsTypeA)[:dnsHeaderLen+0], "", rcodeFormErr, false},
		{"truncated label", append(query(7, rd, 1, nil, 0)[:dnsHeaderLen], 5, 'a', 'b'), "", rcodeFormErr, false},
		{"truncated type", append(query(7, rd, 1, nil, 0)[:dnsHeaderLen], 1, 'a', 0, 0), "", rcodeFormErr, false},
		{"name too long", query(7, rd, 1, tooLong, dnsTypeA), "", rcodeFormErr, false},
		{"empty", nil, "shorter than the 12-byte header", 0, false},
		{"short header", []byte{1, 2, 3, 4, 5}, "5 bytes is shorter", 0, false},
		{"a response", query(7, flagQR, 1, mustName(t, "a.test"), dnsTypeA), "is a response", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, err := answer(tt.query)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("answer: %v, want an error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("answer: %v", err)
			}
			r := decode(t, resp)
			if r.id != 7 || r.flags&flagQR == 0 || r.flags&flagRD != binary.BigEndian.Uint16(tt.query[2:])&flagRD {
				t.Errorf("header id %d flags %#04x: want id 7, QR set, RD copied", r.id, r.flags)
			}
			if r.rcode() != tt.wantRcode {
				t.Errorf("rcode %d, want %d", r.rcode(), tt.wantRcode)
			}
			if tt.wantRcode == 0 || tt.wantRcode == rcodeNXDomain {
				if q := tt.query[dnsHeaderLen:]; !bytes.Equal(r.question, q) {
					t.Errorf("question echoed as % x, want % x", r.question, q)
				}
			}
			if got := r.addr != nil; got != tt.wantAddr {
				t.Fatalf("answer present %v, want %v", got, tt.wantAddr)
			}
			if tt.wantAddr && !bytes.Equal(r.addr, loopbackA[:]) {
				t.Errorf("address %v, want 127.0.0.1", net.IP(r.addr))
			}
		})
	}
}

func FuzzAnswer(f *testing.F) {
	f.Add(query(1, flagRD, 1, []byte("\x04site\x04test\x00"), dnsTypeA))
	f.Add(query(2, 0, 1, []byte("\x01x\x07invalid\x00"), dnsTypeA))
	f.Add(query(3, 0, 1, []byte("\x00"), 28))
	f.Add(query(4, 0, 1, []byte{0xC0, 12}, dnsTypeA))
	f.Add(query(5, 0, 1, []byte{0x3f, 'a'}, dnsTypeA))
	f.Add(query(6, 4<<opcodeShift, 1, []byte("\x00"), dnsTypeA))
	f.Add(query(7, flagQR, 1, []byte("\x00"), dnsTypeA))
	f.Add(append(query(8, 0, 1, []byte("\x01a\x00"), dnsTypeA), 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0))
	f.Add([]byte{0, 1, 0})
	f.Fuzz(func(t *testing.T, msg []byte) {
		resp, err := answer(msg)
		if err != nil {
			if len(msg) >= dnsHeaderLen && msg[2]&0x80 == 0 {
				t.Fatalf("answer refused a query with a complete header: %v", err)
			}
			return
		}
		if len(msg) < dnsHeaderLen || msg[2]&0x80 != 0 {
			t.Fatal("answer accepted a message without a header or with QR set")
		}
		again, _ := answer(msg)
		if !bytes.Equal(resp, again) {
			t.Fatal("answer is not deterministic")
		}
		r := decode(t, resp)
		if r.id != binary.BigEndian.Uint16(msg) || r.flags&flagQR == 0 {
			t.Fatalf("header id %d flags %#04x for query id %d", r.id, r.flags, binary.BigEndian.Uint16(msg))
		}
		switch r.rcode() {
		case 0, rcodeNXDomain:
			q, err := parseQuestion(msg, dnsHeaderLen)
			if err != nil || r.qd != 1 || !bytes.Equal(r.question, q.raw) {
				t.Fatalf("rcode %d with question % x, query question % x (%v)", r.rcode(), r.question, q.raw, err)
			}
			under := q.name == "invalid" || strings.HasSuffix(q.name, ".invalid")
			if under != (r.rcode() == rcodeNXDomain) {
				t.Fatalf("rcode %d for %q", r.rcode(), q.name)
			}
			wantAddr := !under && q.qtype == dnsTypeA && q.class == dnsClassIN
			if (r.addr != nil) != wantAddr || wantAddr && !bytes.Equal(r.addr, loopbackA[:]) {
				t.Fatalf("address %v for %q type %d class %d", r.addr, q.name, q.qtype, q.class)
			}
		case rcodeFormErr, rcodeNotImp:
			if r.qd != 0 || r.an != 0 {
				t.Fatalf("error rcode %d with %d questions, %d answers", r.rcode(), r.qd, r.an)
			}
		default:
			t.Fatalf("unexpected rcode %d", r.rcode())
		}
	})
}

// FuzzNameRoundTrip checks that any valid name and type comes back
// unchanged in the response, answered as documented.
func FuzzNameRoundTrip(f *testing.F) {
	f.Add("site.test", uint16(dnsTypeA))
	f.Add("A.B.Invalid", uint16(dnsTypeA))
	f.Add("", uint16(28))
	f.Add("xn--bcher-kva.example", uint16(16))
	f.Add(strings.Repeat("a", 63)+".b", uint16(dnsTypeA))
	f.Fuzz(func(t *testing.T, name string, qtype uint16) {
		wire, ok := encodeName(name)
		if !ok {
			return
		}
		resp, err := answer(query(42, flagRD, 1, wire, qtype))
		if err != nil {
			t.Fatalf("answer(%q): %v", name, err)
		}
		r := decode(t, resp)
		q, err := parseQuestion(resp, dnsHeaderLen)
		if err != nil || q.name != strings.ToLower(name) || q.qtype != qtype {
			t.Fatalf("question came back as %q type %d (%v), want %q type %d", q.name, q.qtype, err, strings.ToLower(name), qtype)
		}
		lower := strings.ToLower(name)
		nx := lower == "invalid" || strings.HasSuffix(lower, ".invalid")
		if nx != (r.rcode() == rcodeNXDomain) || !nx && r.rcode() != 0 {
			t.Fatalf("rcode %d for %q", r.rcode(), name)
		}
		if want := !nx && qtype == dnsTypeA; (r.addr != nil) != want {
			t.Fatalf("address %v for %q type %d", r.addr, name, qtype)
		}
	})
}

func TestResolverServer(t *testing.T) {
	t.Parallel()
	r, err := startResolver(log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	conn, err := net.Dial("tcp", r.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	exchange := func(msg []byte) (response, error) {
		t.Helper()
		out := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
		if _, err := conn.Write(append(out, msg...)); err != nil {
			t.Fatal(err)
		}
		var size [2]byte
		if _, err := io.ReadFull(conn, size[:]); err != nil {
			return response{}, err
		}
		resp := make([]byte, binary.BigEndian.Uint16(size[:]))
		if _, err := io.ReadFull(conn, resp); err != nil {
			t.Fatal(err)
		}
		return decode(t, resp), nil
	}
	// Two queries on one connection, as DNS over TCP allows.
	for i, name := range []string{"one.test", "two.test"} {
		resp, err := exchange(query(uint16(i), 0, 1, mustName(t, name), dnsTypeA))
		if err != nil || !bytes.Equal(resp.addr, loopbackA[:]) {
			t.Fatalf("query %d for %s: %+v, %v", i, name, resp, err)
		}
	}
	// A message that is not a query ends the connection.
	if resp, err := exchange(query(9, flagQR, 1, mustName(t, "a.test"), dnsTypeA)); err == nil {
		t.Fatalf("a response sent as a query was answered: %+v", resp)
	}
}
