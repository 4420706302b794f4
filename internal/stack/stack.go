// Package stack grows the calling goroutine's stack ahead of need, so
// that a request handler pays for one cheap stack copy at its top
// instead of an expensive one deep in the proxy.
//
// A goroutine starts with a small stack (2–8 KiB, as the runtime's
// average) and grows by copying it whole to a block twice the size; the
// copy adjusts every frame on the stack, so its cost grows with the
// depth at which the stack overflows. net/http's HTTP/2 server runs each
// request on a new goroutine, which overflowed its 8 KiB start some ten
// frames deep, in shield's address parsing: the copy cost ~45,000
// instructions a request, 12 % of what portcullis spent proxying an
// HTTP/2 request (docs/benchmarks.md, issue 17). Growing at the first
// handler, a few frames deep, costs ~17,000.
package stack

// Reserve is how much stack Grow asks for. A proxied request needs less
// than 16 KiB; Reserve makes a stack of 8 KiB or less grow to 16 KiB at
// once and leaves a 16 KiB one as it is (a larger request would grow it
// to 32 KiB, and a second copy).
const Reserve = 10 << 10

// Grow makes sure the calling goroutine has Reserve bytes of stack below
// its caller's frame: if it has not, the runtime grows the stack now,
// while it is shallow. When the stack is already large enough it costs
// the zeroing of Reserve bytes, a few hundred instructions.
//
//go:noinline
func Grow() {
	var buf [Reserve]byte
	use(buf[:])
}

// use keeps buf, and so Grow's frame, from being optimized away.
//
//go:noinline
func use([]byte) {}
