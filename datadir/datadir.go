// Package datadir describes portcullis's data directory: where each part
// of its state lives (the local CA, the ACME storage, the event store, the
// pid file, the control socket, the lock), its default location, and the
// lock that keeps two `portcullis serve` processes off one directory.
//
// Every other package asks a Dir for a path instead of spelling it, so
// the layout is written once.
package datadir

import (
	"os"
	"path/filepath"
)

// Dir is a data directory. Its methods only compute paths; Ensure creates
// the directory.
type Dir string

// Default is $XDG_DATA_HOME/portcullis, else ~/.local/share/portcullis,
// else "portcullis-data" in the working directory.
func Default() Dir {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return Dir(filepath.Join(d, "portcullis"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		return Dir(filepath.Join(home, ".local", "share", "portcullis"))
	}
	return "portcullis-data"
}

// The parts of a data directory, relative to it.
const (
	// CADir holds the local CA: its root certificate and key, and the
	// leaves it issued.
	CADir = "ca"
	// ACMEDir is certmagic's storage: the ACME account, certificates,
	// keys and locks.
	ACMEDir = "acme"
	// RootFile is the local CA's root certificate, inside CADir.
	RootFile = "root.pem"
	// PIDFile holds the process ID of the `serve` using the directory.
	PIDFile = "portcullis.pid"
	// LockFile is held locked by the `serve` using the directory.
	LockFile = "portcullis.lock"
	// SocketFile is the control socket of the `serve` using the
	// directory (`portcullis reload` talks to it).
	SocketFile = "portcullis.sock"
	// StoreFile is the store of security events and browser reports
	// (package store).
	StoreFile = "store.db"
)

// BackedUp are the parts a backup holds: the local CA and the ACME
// storage (certificates, keys, account).
var BackedUp = []string{CADir, ACMEDir}

// String returns the directory's path.
func (d Dir) String() string { return string(d) }

// CA is the local CA's directory.
func (d Dir) CA() string { return filepath.Join(string(d), CADir) }

// ACME is certmagic's storage directory.
func (d Dir) ACME() string { return filepath.Join(string(d), ACMEDir) }

// Root is the local CA's root certificate, the file users trust.
func (d Dir) Root() string { return filepath.Join(string(d), CADir, RootFile) }

// PID is the pid file of the running `serve`.
func (d Dir) PID() string { return filepath.Join(string(d), PIDFile) }

// Lock is the lock file of the running `serve`.
func (d Dir) Lock() string { return filepath.Join(string(d), LockFile) }

// Socket is the control socket of the running `serve`.
func (d Dir) Socket() string { return filepath.Join(string(d), SocketFile) }

// Store is the store of security events and browser reports.
func (d Dir) Store() string { return filepath.Join(string(d), StoreFile) }
