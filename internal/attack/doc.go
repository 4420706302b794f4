// Package attack is the security regression suite: known attacks on a
// reverse proxy, each sent as raw bytes to the portcullis binary built
// from this tree, with what the client got and what the upstream saw
// both asserted.
//
// The package has no code of its own, only tests. They run `portcullis
// serve` on loopback in front of a recording upstream written for the
// purpose: a TCP listener that keeps every byte it receives and parses
// requests leniently itself, since net/http's server would normalise away
// what the tests must observe (duplicate headers, framing, folding). A
// client speaks HTTP/1.1 over raw sockets, plain or over crypto/tls, and
// HTTP/2 with golang.org/x/net/http2's Framer and hpack.
//
// Each table row is one attack: its name, the bytes sent, the client's
// expected answer (status, key headers, whether the connection is
// closed) and what the upstream must have seen (nothing, or exactly one
// well-framed request with the given line, headers and body).
package attack
