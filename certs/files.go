package certs

import (
	"context"
	"crypto/tls"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

const defaultPollInterval = 2 * time.Second

// FileSourceOptions configures NewFileSource. The zero value is ready to
// use.
type FileSourceOptions struct {
	// Logger receives reload events (slog.Default() when nil).
	Logger *slog.Logger
	// Now is the clock used for expiry warnings (time.Now when nil).
	Now func() time.Time
	// PollInterval is how often Start checks the files (2s when zero).
	PollInterval time.Duration
}

// FileSource serves a certificate chain and private key loaded from PEM
// files, and reloads them when they change (see Start and Reload). The
// certificate file holds the leaf first, then any intermediates; the key
// file holds one private key (PKCS #8, SEC 1 or PKCS #1, unencrypted) and
// must not be accessible by group or others. Both may be the same file.
// It is safe for concurrent use.
type FileSource struct {
	certFile, keyFile string
	log               *slog.Logger
	now               func() time.Time
	interval          time.Duration

	cur atomic.Pointer[tls.Certificate]

	mu   sync.Mutex // serializes reloads; guards seen
	seen fingerprint
}

// NewFileSource loads certFile and keyFile. It fails, naming the file,
// when either cannot be read or parsed, when the key file is accessible by
// group or others, or when the key does not match the first certificate.
// An expired certificate is loaded with a warning (a renewed one may be on
// its way). Call Start to reload on change.
func NewFileSource(certFile, keyFile string, opts FileSourceOptions) (*FileSource, error) {
	s := &FileSource{
		certFile: certFile,
		keyFile:  keyFile,
		log:      opts.Logger,
		now:      opts.Now,
		interval: opts.PollInterval,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.interval <= 0 {
		s.interval = defaultPollInterval
	}
	s.seen = s.fingerprint() // before reading: a change while reading is seen by the next poll
	c, err := loadPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	s.warnValidity(c)
	s.cur.Store(c)
	return s, nil
}

// GetCertificate returns the current certificate.
func (s *FileSource) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return s.cur.Load(), nil
}

// Certificates describes the current certificate (its leaf).
func (s *FileSource) Certificates() []Info {
	return []Info{InfoOf(s.cur.Load().Leaf, SourceFiles)}
}

// Reload reads both files again. On success the new certificate is served
// from the next handshake on and an Info event gives its names and expiry;
// on failure (unreadable, unparsable, half-written, mismatched) the
// previous certificate stays, an Error event names the file, and the error
// is returned.
func (s *FileSource) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = s.fingerprint()
	return s.reloadLocked()
}

func (s *FileSource) reloadLocked() error {
	c, err := loadPair(s.certFile, s.keyFile)
	if err != nil {
		old := s.cur.Load().Leaf
		s.log.Error("certificate reload failed; still serving the previous certificate",
			"cert", s.certFile, "key", s.keyFile, "err", err, "previous_not_after", old.NotAfter)
		return err
	}
	s.cur.Store(c)
	s.log.Info("certificate reloaded", "cert", s.certFile, "names", certNames(c.Leaf), "not_after", c.Leaf.NotAfter)
	s.warnValidity(c)
	return nil
}

// Start polls both files every PollInterval until ctx is done, and
// reloads when either one's size, modification time, mode or identity
// (device and inode, so a rename is seen) changes. A failed reload is retried at
// the next change, not at every poll. Start blocks; run it in a goroutine.
func (s *FileSource) Start(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.poll()
		}
	}
}

// poll reloads when the files changed since the last look.
func (s *FileSource) poll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	fp := s.fingerprint()
	if fp == s.seen {
		return
	}
	s.seen = fp
	s.reloadLocked() // logs its error
}

// warnValidity logs a certificate that is expired or not yet valid.
func (s *FileSource) warnValidity(c *tls.Certificate) {
	now := s.now()
	switch {
	case !now.Before(c.Leaf.NotAfter):
		s.log.Warn("certificate has expired", "cert", s.certFile, "not_after", c.Leaf.NotAfter)
	case now.Before(c.Leaf.NotBefore):
		s.log.Warn("certificate is not valid yet", "cert", s.certFile, "not_before", c.Leaf.NotBefore)
	}
}

// fingerprint is what polling compares: the stat results of both files.
type fingerprint struct{ cert, key fileStat }

type fileStat struct {
	size     int64
	mtime    int64       // Unix nanoseconds
	mode     os.FileMode // so that a chmod fixing the key's permissions is seen
	dev, ino uint64
	err      string // a stat error, e.g. the file is missing
}

func (s *FileSource) fingerprint() fingerprint {
	return fingerprint{statFile(s.certFile), statFile(s.keyFile)}
}

func statFile(path string) fileStat {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStat{err: err.Error()}
	}
	dev, ino := fileIdentity(fi)
	return fileStat{size: fi.Size(), mtime: fi.ModTime().UnixNano(), mode: fi.Mode(), dev: dev, ino: ino}
}
