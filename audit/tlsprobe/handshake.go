package tlsprobe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"time"
)

// Options configure Handshake and Probe.
type Options struct {
	// Timeout bounds each connection (dial, hello, answer); default 5s.
	Timeout time.Duration
	// ServerName is sent as SNI; empty means the host of addr unless it is an
	// IP address.
	ServerName string
	// Dial opens the TCP connections; default a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Concurrency is how many handshakes Probe runs at once against the
	// target; default 8.
	Concurrency int
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Dial == nil {
		var d net.Dialer
		o.Dial = d.DialContext
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	return o
}

// serverName picks the SNI name for a hello to addr.
func serverName(h Hello, o Options, addr string) string {
	if h.ServerName != "" {
		return h.ServerName
	}
	if o.ServerName != "" {
		return o.ServerName
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || net.ParseIP(host) != nil {
		return ""
	}
	return host
}

// Handshake connects to addr (host:port), sends one ClientHello built from h
// and reads the answer: the ServerHello (a HelloRetryRequest counts as one,
// see ServerHello.HelloRetryRequest) plus, when cheap, the key exchange
// parameters and TLS 1.3 EncryptedExtensions. It never completes the
// handshake and always closes the connection.
//
// An alert comes back as *AlertError; a connection closed without an answer
// as ErrClosed (wrapped); see Refused. An answer that contradicts the offer
// (a version, suite, group or protocol not offered) is an error.
func Handshake(ctx context.Context, addr string, h Hello, o Options) (*ServerHello, error) {
	o = o.withDefaults()
	ch, err := buildClientHello(h, serverName(h, o, addr))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	conn, err := o.Dial(ctx, "tcp", addr)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	recordVersion := TLS10 // what most clients put on the first record
	if h.Version == SSL30 {
		recordVersion = SSL30
	}
	if _, err := conn.Write(records(recordHandshake, recordVersion, ch.msg)); err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("sending ClientHello: %w", err))
	}
	sh, err := readFlight(bufio.NewReader(conn), ch)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	if sh.FlightError != nil && ctx.Err() != nil {
		sh.FlightError = ctxErr(ctx, sh.FlightError)
	}
	return sh, nil
}

// ctxErr prefers the context's error (cancellation, timeout) over the I/O
// error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) { // the deadline passed before the context noticed
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	return err
}

// check rejects answers that contradict the offer.
func (ch *clientHello) check(sh *ServerHello) error {
	if sh.Version > ch.version {
		return fmt.Errorf("server chose %v, above the offered %v", sh.Version, ch.version)
	}
	if sh.Version < SSL30 {
		return fmt.Errorf("server chose version %v", sh.Version)
	}
	if !slices.Contains(ch.suites, sh.Suite) {
		return fmt.Errorf("server chose cipher suite %s, which was not offered", SuiteName(sh.Suite))
	}
	if sh.Compression != 0 {
		return fmt.Errorf("server chose compression method %d; only null (0) was offered", sh.Compression)
	}
	if sh.ALPN != "" && !slices.Contains(ch.alpn, sh.ALPN) {
		return fmt.Errorf("server chose application protocol %q, which was not offered", sh.ALPN)
	}
	if sh.Version < TLS13 {
		return nil
	}
	if sh.HelloRetryRequest {
		if !slices.Contains(ch.groups, sh.Group) {
			return fmt.Errorf("HelloRetryRequest selects group %s, which was not offered", GroupName(sh.Group))
		}
		if ch.shares[sh.Group] != nil {
			return fmt.Errorf("HelloRetryRequest selects group %s, for which a key share was sent", GroupName(sh.Group))
		}
		return nil
	}
	if ch.shares[sh.Group] == nil {
		return fmt.Errorf("server key_share is for group %s, for which no key share was sent", GroupName(sh.Group))
	}
	return nil
}
