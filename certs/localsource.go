package certs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portcullis/portcullis/internal/atomicfile"
)

// retryDelay is how long a failed renewal waits before the next attempt
// (the previous certificate is served meanwhile).
const retryDelay = time.Minute

// Source returns a Source serving one leaf certificate for names (see
// Issue for the names accepted). The leaf is kept in memory and persisted
// in the CA directory as leaf-<hash>.pem and leaf-<hash>-key.pem (0600),
// <hash> identifying the set of names, so a restart reuses it. It is
// renewed at the first handshake after two thirds of its lifetime; that
// check is an atomic load and a time comparison, and concurrent handshakes
// share one renewal. A persisted leaf that is damaged, does not chain to
// this root, has a key file others can read or is due for renewal is
// replaced. Calling Source again with the same names returns the same
// Source.
func (ca *LocalCA) Source(names []string) (Source, error) {
	ns, err := parseNames(names)
	if err != nil {
		return nil, fmt.Errorf("local CA: %w", err)
	}
	for _, n := range ns {
		if !n.isLocal() {
			return nil, fmt.Errorf("local CA: cannot issue for %q: the local CA is constrained to localhost, *.localhost and loopback addresses; use certificate files (or ACME) for other names", n)
		}
	}
	id := leafID(ns)
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if s := ca.sources[id]; s != nil {
		return s, nil
	}
	s := &localSource{
		ca:       ca,
		names:    ns,
		certPath: filepath.Join(ca.dir, "leaf-"+id+".pem"),
		keyPath:  filepath.Join(ca.dir, "leaf-"+id+"-key.pem"),
	}
	if err := s.init(); err != nil {
		return nil, err
	}
	ca.sources[id] = s
	return s, nil
}

// localSource serves a leaf of the local CA for a fixed set of names.
type localSource struct {
	ca                *LocalCA
	names             []name
	certPath, keyPath string

	cur atomic.Pointer[leafState]
	mu  sync.Mutex // serializes renewals
}

// leafState is the certificate served and when to renew it.
type leafState struct {
	cert    *tls.Certificate
	renewAt time.Time
}

func newLeafState(c *tls.Certificate) *leafState {
	return &leafState{cert: c, renewAt: localRenewAt(c.Leaf)}
}

// localRenewAt is when a local-CA leaf is renewed: after two thirds of
// its lifetime.
func localRenewAt(leaf *x509.Certificate) time.Time {
	life := leaf.NotAfter.Sub(leaf.NotBefore)
	return leaf.NotBefore.Add(life - life/3)
}

// init loads the persisted leaf, or issues one.
func (s *localSource) init() error {
	now := s.ca.now()
	c, err := s.loadPersisted(now)
	switch {
	case err == nil:
		st := newLeafState(c)
		if now.Before(st.renewAt) {
			s.cur.Store(st)
			s.ca.log.Debug("reusing local certificate", "file", s.certPath, "not_after", c.Leaf.NotAfter)
			return nil
		}
	case !errNotExist(err):
		s.ca.log.Warn("replacing the persisted local certificate", "file", s.certPath, "err", err)
	}
	if c, err = s.ca.issue(s.names); err != nil {
		return err
	}
	s.persist(c)
	s.cur.Store(newLeafState(c))
	s.ca.log.Info("issued local certificate", "names", certNames(c.Leaf), "not_after", c.Leaf.NotAfter)
	return nil
}

// loadPersisted reads the leaf files and checks they are still usable.
func (s *localSource) loadPersisted(now time.Time) (*tls.Certificate, error) {
	c, err := loadPair(s.certPath, s.keyPath)
	if err != nil {
		return nil, err
	}
	if err := s.ca.verify(c.Leaf, now); err != nil {
		return nil, fmt.Errorf("%s: %w", s.certPath, err)
	}
	want := make([]string, len(s.names))
	for i, n := range s.names {
		want[i] = n.String()
	}
	got := certNames(c.Leaf)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		return nil, fmt.Errorf("%s: names %v, want %v", s.certPath, got, want)
	}
	return c, nil
}

// persist writes the leaf files, key first. A failure is logged: the new
// certificate is served from memory anyway, and a restart issues another.
func (s *localSource) persist(c *tls.Certificate) {
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err == nil {
		err = atomicfile.Write(s.keyPath, pemBytes("PRIVATE KEY", keyDER), 0o600)
	}
	if err == nil {
		err = atomicfile.Write(s.certPath, pemBytes("CERTIFICATE", c.Certificate[0]), 0o644)
	}
	if err != nil {
		s.ca.log.Error("cannot save the local certificate; it is served from memory", "file", s.certPath, "err", err)
	}
}

// GetCertificate returns the current leaf, renewing it first when it is
// past two thirds of its lifetime.
func (s *localSource) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	st := s.cur.Load()
	if s.ca.now().Before(st.renewAt) {
		return st.cert, nil
	}
	return s.renew(), nil
}

// renew issues a new leaf unless another handshake just did. On failure
// it keeps serving the previous leaf and retries after retryDelay.
func (s *localSource) renew() *tls.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cur.Load()
	now := s.ca.now()
	if now.Before(old.renewAt) {
		return old.cert
	}
	c, err := s.ca.issue(s.names)
	if err != nil {
		s.ca.log.Error("cannot renew the local certificate; serving the previous one", "names", certNames(old.cert.Leaf), "not_after", old.cert.Leaf.NotAfter, "err", err)
		s.cur.Store(&leafState{cert: old.cert, renewAt: now.Add(retryDelay)})
		return old.cert
	}
	s.persist(c)
	st := newLeafState(c)
	if !now.Before(st.renewAt) { // e.g. cut short by the root's expiry
		st.renewAt = now.Add(retryDelay)
	}
	s.cur.Store(st)
	s.ca.log.Info("renewed local certificate", "names", certNames(c.Leaf), "not_after", c.Leaf.NotAfter)
	return c
}

// Certificates describes the leaf currently served.
func (s *localSource) Certificates() []Info {
	st := s.cur.Load()
	info := InfoOf(st.cert.Leaf, SourceLocal)
	info.RenewAt = st.renewAt
	return []Info{info}
}
