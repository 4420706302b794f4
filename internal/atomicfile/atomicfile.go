// Package atomicfile writes files so that a reader, or the file system after
// a crash, sees either the old content or the new content, never a mix, and
// creates directories whose permissions are no looser than asked.
//
// [Write] creates a temporary file in the destination's directory (so the
// final rename never crosses a file system), with the final permissions
// applied at creation and O_EXCL (so no other process can have it open),
// writes and fsyncs it, renames it over the destination and fsyncs the
// directory so the rename itself is durable.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// failAt, when set by a test, is called before each step of Write
// ("write", "sync", "close", "rename"); an error it returns is treated as
// that step failing.
var failAt func(step string) error

func step(name string) error {
	if failAt != nil {
		return failAt(name)
	}
	return nil
}

// Write replaces the file at path with data, atomically. The file ends up
// with exactly the permission bits perm (whatever the umask). On any error
// before the rename, the temporary file is removed and the file at path,
// if any, is left untouched. An error syncing the directory after the
// rename means the new content is in place but may not survive a crash.
// When path is a symbolic link, the link itself is replaced.
func Write(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, tmp, err := createTemp(dir, base, perm.Perm())
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close() // may already be closed; the error is irrelevant then
			os.Remove(tmp)
		}
	}()
	// Apply exactly perm: the umask may have cleared bits at creation.
	if err = f.Chmod(perm.Perm()); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err = step("write"); err == nil {
		_, err = f.Write(data)
	}
	if err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", tmp, err)
	}
	if err = step("sync"); err == nil {
		err = f.Sync()
	}
	if err != nil {
		return fmt.Errorf("atomicfile: sync %s: %w", tmp, err)
	}
	if err = step("close"); err == nil {
		err = f.Close()
	}
	if err != nil {
		return fmt.Errorf("atomicfile: close %s: %w", tmp, err)
	}
	if err = step("rename"); err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("atomicfile: %s written, but syncing directory %s failed: %w", path, dir, err)
	}
	return nil
}

// createTemp creates a new file next to the destination with O_EXCL.
func createTemp(dir, base string, perm os.FileMode) (*os.File, string, error) {
	var b [8]byte
	for range 10 {
		rand.Read(b[:])
		name := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err == nil {
			return f, name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, "", fmt.Errorf("atomicfile: create temporary file: %w", err)
		}
	}
	return nil, "", fmt.Errorf("atomicfile: create temporary file in %s: too many name collisions", dir)
}

// syncDir makes a rename in dir durable. Windows cannot fsync a directory
// (and its renames are journaled by NTFS), so it is skipped there.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// EnsureDir creates path and any missing parents (with perm, less the
// umask) and, when path already exists with permission bits outside perm,
// clears those bits: a 0755 directory asked for as 0700 becomes 0700. Only
// path itself is tightened, never its parents. It is an error when path
// exists and is not a directory.
func EnsureDir(path string, perm os.FileMode) error {
	perm = perm.Perm()
	if err := os.MkdirAll(path, perm); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("atomicfile: %s is not a directory", path)
	}
	if cur := fi.Mode().Perm(); cur&^perm != 0 {
		if err := os.Chmod(path, cur&perm); err != nil {
			return fmt.Errorf("atomicfile: tighten %s from %04o to %04o: %w", path, cur, cur&perm, err)
		}
	}
	return nil
}
