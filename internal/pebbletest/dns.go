package pebbletest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"time"
)

// DNS constants (RFC 1035 §3.2 and §4.1.1).
const (
	dnsHeaderLen   = 12
	dnsMaxName     = 255 // octets of a name in wire form, length octets included
	dnsTypeA       = 1
	dnsClassIN     = 1
	rcodeFormErr   = 1
	rcodeNXDomain  = 3
	rcodeNotImp    = 4
	flagQR         = 0x8000
	flagAA         = 0x0400
	flagRD         = 0x0100
	flagRA         = 0x0080
	opcodeShift    = 11
	compressionTag = 0xC0
)

// loopbackA is the address every resolvable name has.
var loopbackA = [4]byte{127, 0, 0, 1}

// dnsQuestion is the one question of a query.
type dnsQuestion struct {
	name  string // lower case, labels joined by dots, no trailing dot
	qtype uint16
	class uint16
	raw   []byte // the question as sent: name, type and class
}

// answer returns the response to a DNS query message: every name resolves
// to 127.0.0.1 (an A record, no AAAA), except "invalid" and names under it
// (RFC 6761 §6.4), which do not exist. A message too broken to answer (no
// complete header, or a response) gives an error; other malformed queries
// get a FORMERR response.
func answer(query []byte) ([]byte, error) {
	if len(query) < dnsHeaderLen {
		return nil, fmt.Errorf("DNS message of %d bytes is shorter than the %d-byte header", len(query), dnsHeaderLen)
	}
	flags := binary.BigEndian.Uint16(query[2:4])
	if flags&flagQR != 0 {
		return nil, errors.New("DNS message is a response (QR bit set at offset 2), not a query")
	}
	opcode := flags >> opcodeShift & 0xF
	respFlags := flagQR | opcode<<opcodeShift | flagAA | flags&flagRD | flagRA
	header := func(rcode uint16, qd, an uint16) []byte {
		h := make([]byte, dnsHeaderLen, dnsHeaderLen+dnsMaxName+32)
		copy(h[0:2], query[0:2])
		binary.BigEndian.PutUint16(h[2:4], respFlags|rcode)
		binary.BigEndian.PutUint16(h[4:6], qd)
		binary.BigEndian.PutUint16(h[6:8], an)
		return h
	}
	if opcode != 0 {
		return header(rcodeNotImp, 0, 0), nil
	}
	if n := binary.BigEndian.Uint16(query[4:6]); n != 1 {
		return header(rcodeFormErr, 0, 0), nil
	}
	q, err := parseQuestion(query, dnsHeaderLen)
	if err != nil {
		return header(rcodeFormErr, 0, 0), nil
	}
	if q.name == "invalid" || strings.HasSuffix(q.name, ".invalid") {
		return append(header(rcodeNXDomain, 1, 0), q.raw...), nil
	}
	if q.qtype != dnsTypeA || q.class != dnsClassIN {
		return append(header(0, 1, 0), q.raw...), nil
	}
	resp := append(header(0, 1, 1), q.raw...)
	resp = append(resp,
		compressionTag, dnsHeaderLen, // the name: a pointer to the question's
		0, dnsTypeA, 0, dnsClassIN,
		0, 0, 0, 0, // TTL: do not cache
		0, byte(len(loopbackA)))
	return append(resp, loopbackA[:]...), nil
}

// parseQuestion parses the question starting at offset off of msg.
// Compression pointers are refused: a query has no earlier name to point
// to.
func parseQuestion(msg []byte, off int) (dnsQuestion, error) {
	start := off
	var labels []string
	for {
		if off >= len(msg) {
			return dnsQuestion{}, fmt.Errorf("question name runs past the end of the message at offset %d", off)
		}
		n := int(msg[off])
		if n == 0 {
			off++
			break
		}
		if n&compressionTag != 0 {
			return dnsQuestion{}, fmt.Errorf("label at offset %d is a pointer or extended label (0x%02x), not allowed in a query", off, msg[off])
		}
		if off+1+n > len(msg) {
			return dnsQuestion{}, fmt.Errorf("label of %d octets at offset %d runs past the end of the message", n, off)
		}
		labels = append(labels, strings.ToLower(string(msg[off+1:off+1+n])))
		off += 1 + n
		if off-start+1 > dnsMaxName {
			return dnsQuestion{}, fmt.Errorf("question name at offset %d is longer than %d octets", start, dnsMaxName)
		}
	}
	if off+4 > len(msg) {
		return dnsQuestion{}, fmt.Errorf("question type and class at offset %d are truncated", off)
	}
	return dnsQuestion{
		name:  strings.Join(labels, "."),
		qtype: binary.BigEndian.Uint16(msg[off:]),
		class: binary.BigEndian.Uint16(msg[off+2:]),
		raw:   msg[start : off+4],
	}, nil
}

// resolver is a DNS server on 127.0.0.1 speaking DNS over TCP (RFC 1035
// §4.2.2: each message preceded by its 2-byte length), which is how
// Pebble's validator queries a custom resolver.
type resolver struct {
	ln  net.Listener
	log *log.Logger

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// startResolver starts a resolver on an ephemeral loopback port.
func startResolver(logger *log.Logger) (*resolver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the DNS resolver: %w", err)
	}
	r := &resolver{ln: ln, log: logger, conns: make(map[net.Conn]struct{})}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

// addr returns the resolver's host:port.
func (r *resolver) addr() string { return r.ln.Addr().String() }

func (r *resolver) serve() {
	defer r.wg.Done()
	for {
		conn, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			conn.Close()
			return
		}
		r.conns[conn] = struct{}{}
		r.wg.Add(1)
		r.mu.Unlock()
		go r.handle(conn)
	}
}

// handle answers the queries arriving on conn until it closes.
func (r *resolver) handle(conn net.Conn) {
	defer func() {
		conn.Close()
		r.mu.Lock()
		delete(r.conns, conn)
		r.mu.Unlock()
		r.wg.Done()
	}()
	var size [2]byte
	for {
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.ReadFull(conn, size[:]); err != nil {
			return
		}
		query := make([]byte, binary.BigEndian.Uint16(size[:]))
		if _, err := io.ReadFull(conn, query); err != nil {
			r.log.Printf("pebbletest DNS: reading a query: %v", err)
			return
		}
		resp, err := answer(query)
		if err != nil {
			r.log.Printf("pebbletest DNS: %v", err)
			return
		}
		out := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(resp)), uint16(len(resp)))
		if _, err := conn.Write(append(out, resp...)); err != nil {
			return
		}
	}
}

// close stops the resolver and waits for its goroutines.
func (r *resolver) close() {
	r.mu.Lock()
	r.closed = true
	r.ln.Close()
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
