package proxy

import (
	"io"
	"sync"
	"time"
)

// Defaults of NewLogBuffer.
const (
	// DefaultLogBufferSize is how many bytes of log lines a LogBuffer
	// holds before it writes them out: some 120 access-log lines.
	DefaultLogBufferSize = 32 << 10
	// DefaultLogFlushInterval is the longest a line waits in a LogBuffer.
	DefaultLogFlushInterval = time.Second
)

// LogBuffer batches log lines into few writes: the access log writes one
// line per request, and one write(2) per line cost a system call per
// request, some 2.5 % of a proxied request's CPU. Lines are written out,
// whole and in order, when the buffer is full, when the oldest line in it
// has waited the interval, and on Flush and Close. AccessLog calls Flush
// whenever no request is in flight, so lines wait only while requests
// overlap.
//
// The price is what a crash loses: lines still in the buffer when the
// process is killed (SIGKILL, the OOM killer, a fatal runtime error) are
// never written — at most the buffer's size or its interval's worth.
// Close writes them (portcullis serve closes the buffer on a reload and
// a graceful shutdown).
//
// A LogBuffer is safe for concurrent use. An idle one costs nothing: its
// timer runs only while lines wait.
type LogBuffer struct {
	out      io.Writer
	size     int
	interval time.Duration

	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer // flushes after interval; armed while buf is not empty
	armed  bool
	closed bool
	err    error // the first write error, reported by Flush and Close
}

// NewLogBuffer returns a LogBuffer writing to out. size ≤ 0 means
// DefaultLogBufferSize, interval ≤ 0 DefaultLogFlushInterval.
func NewLogBuffer(out io.Writer, size int, interval time.Duration) *LogBuffer {
	if size <= 0 {
		size = DefaultLogBufferSize
	}
	if interval <= 0 {
		interval = DefaultLogFlushInterval
	}
	b := &LogBuffer{out: out, size: size, interval: interval, buf: make([]byte, 0, size)}
	b.timer = time.AfterFunc(time.Hour, b.flushTimer)
	b.timer.Stop()
	return b
}

// Write adds p to the buffer; it is written out with the lines before
// and after it, never split. A line larger than the buffer is written at
// once. After Close, Write writes through. It never fails: a write error
// of the underlying writer is reported by Flush and Close.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.out.Write(p)
	}
	if len(b.buf)+len(p) > b.size {
		b.flushLocked()
		if len(p) > b.size {
			b.writeLocked(p)
			return len(p), nil
		}
	}
	b.buf = append(b.buf, p...)
	if !b.armed {
		b.armed = true
		b.timer.Reset(b.interval)
	}
	return len(p), nil
}

// Flush writes out the buffered lines and reports the first write error
// met so far.
func (b *LogBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	return b.err
}

// Close flushes the buffer and stops its timer; later writes go straight
// to the underlying writer. It does not close that writer.
func (b *LogBuffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	b.closed = true
	b.timer.Stop()
	return b.err
}

func (b *LogBuffer) flushTimer() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
}

// flushLocked writes the buffer out and disarms the timer.
func (b *LogBuffer) flushLocked() {
	if b.armed {
		b.timer.Stop()
		b.armed = false
	}
	if len(b.buf) == 0 {
		return
	}
	b.writeLocked(b.buf)
	b.buf = b.buf[:0]
}

func (b *LogBuffer) writeLocked(p []byte) {
	if _, err := b.out.Write(p); err != nil && b.err == nil {
		b.err = err
	}
}
