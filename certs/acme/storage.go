package acme

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/internal/atomicfile"
)

// Storage is certmagic's file storage with portcullis's write discipline:
// every value is written with internal/atomicfile (a temporary file in the
// same directory, fsync, rename, fsync of the directory), mode 0600, in
// 0700 directories. A process killed in the middle of a write leaves the
// old file or the new one, never a mix; the temporary file it may leave
// behind is removed by the next OpenStorage.
//
// A certificate and its key are two files, written one after the other
// (key first), so a process killed between the two leaves a new key beside
// the old certificate. Storage therefore keeps the previous version of
// each as NAME.prev (a hard link, made before the replacement), and
// OpenStorage puts a matching pair back together.
type Storage struct {
	*certmagic.FileStorage
}

// staleTemp is how old a temporary file must be before OpenStorage
// removes it: younger ones may belong to another process writing now.
const staleTemp = time.Minute

// OpenStorage opens (creating it 0700 if needed) the storage directory.
// It refuses a private key file ("*.key") that group or others can
// access, naming the file and the chmod that fixes it, and removes
// temporary files left by an interrupted write.
func OpenStorage(dir string, log *slog.Logger) (*Storage, error) {
	if err := atomicfile.EnsureDir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("acme storage: %w", err)
	}
	now := time.Now()
	var crts []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		switch name := d.Name(); {
		case isTemp(name):
			if fi, err := d.Info(); err == nil && now.Sub(fi.ModTime()) > staleTemp {
				os.Remove(path)
			}
		case strings.HasSuffix(name, ".key"):
			if err := certs.CheckKeyPerm(path); err != nil {
				return fmt.Errorf("acme storage: %w", err)
			}
		case strings.HasSuffix(name, ".crt"):
			crts = append(crts, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := repairPairs(crts, log); err != nil {
		return nil, err
	}
	return &Storage{FileStorage: &certmagic.FileStorage{Path: dir}}, nil
}

// isPairFile reports whether a storage key is a certificate or its key.
func isPairFile(key string) bool {
	return strings.HasPrefix(key, "certificates/") && (strings.HasSuffix(key, ".crt") || strings.HasSuffix(key, ".key"))
}

// repairPairs finds certificates whose key does not match (a write
// interrupted between the two files) and restores the previous version
// of the file that makes the pair match again. Only pairs whose key was
// written after the certificate are parsed: the key is written first, so
// a complete write leaves the certificate as new as the key or newer.
func repairPairs(crts []string, log *slog.Logger) error {
	for _, crt := range crts {
		key := strings.TrimSuffix(crt, ".crt") + ".key"
		if !newer(key, crt) || pairOK(crt, key) {
			continue
		}
		for _, fix := range []struct{ file, prevCrt, prevKey string }{
			{key, crt, key + ".prev"}, // the key was replaced, the certificate not yet
			{crt, crt + ".prev", key}, // the certificate was replaced alone
		} {
			if !pairOK(fix.prevCrt, fix.prevKey) {
				continue
			}
			prev := fix.file + ".prev"
			data, err := os.ReadFile(prev)
			if err != nil {
				return fmt.Errorf("acme storage: %w", err)
			}
			if err := atomicfile.Write(fix.file, data, 0o600); err != nil {
				return fmt.Errorf("acme storage: %w", err)
			}
			log.Warn("acme storage: certificate and key did not match (a write was interrupted); restored the previous version",
				"file", fix.file)
			break
		}
	}
	return nil
}

// newer reports whether file a was modified after file b.
func newer(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && fa.ModTime().After(fb.ModTime())
}

// pairOK reports whether the certificate and key files exist and match.
func pairOK(crt, key string) bool {
	c, err1 := os.ReadFile(crt)
	k, err2 := os.ReadFile(key)
	if err1 != nil || err2 != nil {
		return false
	}
	_, err := tls.X509KeyPair(c, k)
	return err == nil
}

// isTemp reports whether name is an atomicfile temporary file.
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// Store writes value at key atomically, 0600 in 0700 directories.
func (s *Storage) Store(_ context.Context, key string, value []byte) error {
	file := s.Filename(key)
	if err := mkdirs(s.Path, filepath.Dir(file)); err != nil {
		return err
	}
	if isPairFile(key) {
		prev := file + ".prev"
		if err := os.Remove(prev); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("acme storage: %w", err)
		}
		if err := os.Link(file, prev); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("acme storage: keeping the previous version: %w", err)
		}
	}
	return atomicfile.Write(file, value, 0o600)
}

// mkdirs creates dir and its missing parents below root, each 0700.
func mkdirs(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("acme storage: %s is outside %s", dir, root)
	}
	cur := root
	for part := range strings.SplitSeq(rel, string(filepath.Separator)) {
		if part == "." || part == "" {
			continue
		}
		cur = filepath.Join(cur, part)
		if err := atomicfile.EnsureDir(cur, 0o700); err != nil {
			return fmt.Errorf("acme storage: %w", err)
		}
	}
	return nil
}

// String names the storage in certmagic's logs and lock keys.
func (s *Storage) String() string { return "portcullis:" + s.Path }
