package datadir

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/portcullis/portcullis/internal/atomicfile"
)

// ErrInUse is returned by Acquire when another process holds the lock.
var ErrInUse = errors.New("data directory in use")

// InUseError says which process holds a data directory's lock. It wraps
// ErrInUse.
type InUseError struct {
	Dir Dir
	// PID is the holder's process ID as its pid file says, or 0 when
	// the file is missing or unreadable.
	PID int
}

// Error implements error.
func (e *InUseError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = fmt.Sprintf("another portcullis (pid %d)", e.PID)
	}
	return fmt.Sprintf("%s already uses the data directory %s: stop it, or give this one another --data", who, e.Dir)
}

// Unwrap returns ErrInUse.
func (e *InUseError) Unwrap() error { return ErrInUse }

// A Lock is a held data directory lock, with the pid file written.
type Lock struct {
	d Dir
	f *os.File
}

// Acquire creates the directory (0700) if needed, locks it for this
// process, and writes the pid file. The lock is an advisory lock on
// LockFile held while the process lives (the kernel drops it when the
// process dies, even by SIGKILL, so a crash never leaves the directory
// locked); a second Acquire on the same directory, from this process or
// another, fails with an *InUseError naming the holder.
func (d Dir) Acquire() (*Lock, error) {
	if err := atomicfile.EnsureDir(string(d), 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	f, err := os.OpenFile(d.Lock(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, &InUseError{Dir: d, PID: d.RunningPID()}
		}
		return nil, fmt.Errorf("data directory lock %s: %w", d.Lock(), err)
	}
	if err := atomicfile.Write(d.PID(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		unlockFile(f)
		f.Close()
		return nil, fmt.Errorf("pid file: %w", err)
	}
	return &Lock{d: d, f: f}, nil
}

// Release removes the pid file and unlocks the directory.
func (l *Lock) Release() error {
	os.Remove(l.d.PID())
	err := unlockFile(l.f)
	return errors.Join(err, l.f.Close())
}

// RunningPID is the process ID in the pid file, or 0 when there is none
// or it is unreadable.
func (d Dir) RunningPID() int {
	b, err := os.ReadFile(d.PID())
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
