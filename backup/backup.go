package backup

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Version is the manifest format version this package writes and reads.
const Version = 1

// ManifestName is the name of the first tar entry, which holds the
// [Manifest] as JSON.
const ManifestName = "portcullis-backup.json"

// DefaultMaxSize is the default cap on the size of the (decrypted) tar
// archive, for both [Create] and [Restore]: 256 MiB.
const DefaultMaxSize int64 = 256 << 20

// Manifest describes a backup. It is stored as JSON in the first tar
// entry.
type Manifest struct {
	// Version is the format version, [Version].
	Version int `json:"version"`
	// Created is when the backup was made (UTC).
	Created time.Time `json:"created"`
	// Files lists the archived files, sorted by Path.
	Files []File `json:"files"`
}

// File describes one archived file.
type File struct {
	// Path is slash-separated and relative to the backup root.
	Path string `json:"path"`
	// Mode holds the file's permission bits when it was archived.
	Mode fs.FileMode `json:"mode"`
	// Size is the content length in bytes.
	Size int64 `json:"size"`
	// SHA256 is the lowercase hexadecimal SHA-256 of the content.
	SHA256 string `json:"sha256"`
}

// Options configures [Create].
type Options struct {
	// Paths are the subtrees of the root to archive, slash-separated and
	// relative to it (for example "ca" and "acme"). A missing one is
	// skipped. Empty means everything under the root.
	Paths []string
	// Exclude, when set, is called with the slash-separated path of every
	// file and directory relative to the root; returning true leaves it
	// (and, for a directory, everything under it) out of the backup. Use
	// it for lock files, for example. atomicfile temporary files are
	// always left out.
	Exclude func(rel string) bool
	// Recipients receive the backup: one age.NewScryptRecipient for a
	// passphrase, or X25519 public keys (see [ParseRecipients]). At least
	// one is required.
	Recipients []age.Recipient
	// Armor selects ASCII-armored (PEM-like) output.
	Armor bool
	// Now is the clock (time.Now when nil); it dates the manifest.
	Now func() time.Time
	// MaxSize caps the size of the tar archive before encryption
	// ([DefaultMaxSize] when zero or negative), so that Create fails
	// rather than write a backup that Restore would refuse.
	MaxSize int64
}

// archive is a backup's plaintext content: the manifest and, for every
// manifest file, its content.
type archive struct {
	manifest Manifest
	data     map[string][]byte // by File.Path
}

// Create archives the files under root (see [Options]), encrypts the
// archive to o.Recipients and writes it to w. It returns the manifest of
// what it archived. Nothing is written to w when reading the files fails.
func Create(w io.Writer, root string, o Options) (*Manifest, error) {
	if len(o.Recipients) == 0 {
		return nil, errors.New("backup: no recipients: give a passphrase or at least one age public key")
	}
	maxSize := o.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	a, err := collect(root, o, maxSize)
	if err != nil {
		return nil, err
	}
	a.manifest.Created = now().UTC()
	var plain bytes.Buffer
	if err := a.writeTar(&plain); err != nil {
		return nil, err
	}
	if int64(plain.Len()) > maxSize {
		return nil, fmt.Errorf("backup: the archive of %s would be %d bytes, over the %d-byte limit (Options.MaxSize)", root, plain.Len(), maxSize)
	}
	if err := encrypt(w, plain.Bytes(), o.Recipients, o.Armor); err != nil {
		return nil, err
	}
	return &a.manifest, nil
}

// encrypt writes plain to w, age-encrypted to recipients.
func encrypt(w io.Writer, plain []byte, recipients []age.Recipient, armored bool) error {
	out := w
	var aw io.WriteCloser
	if armored {
		aw = armor.NewWriter(w)
		out = aw
	}
	ew, err := age.Encrypt(out, recipients...)
	if err != nil {
		return fmt.Errorf("backup: encrypt: %w", err)
	}
	if _, err := ew.Write(plain); err != nil {
		return fmt.Errorf("backup: write encrypted archive: %w", err)
	}
	if err := ew.Close(); err != nil {
		return fmt.Errorf("backup: write encrypted archive: %w", err)
	}
	if aw != nil {
		if err := aw.Close(); err != nil {
			return fmt.Errorf("backup: write armored archive: %w", err)
		}
	}
	return nil
}

// collect reads the files to archive. maxSize bounds the total content
// read, so a stray huge file cannot exhaust memory.
func collect(root string, o Options, maxSize int64) (*archive, error) {
	base, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("backup: root: %w", err)
	}
	fi, err := os.Stat(base)
	if err != nil {
		return nil, fmt.Errorf("backup: root: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("backup: root %s is not a directory", root)
	}
	paths := o.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	a := &archive{manifest: Manifest{Version: Version}, data: map[string][]byte{}}
	var total int64
	for i, p := range paths {
		if p != "." {
			if err := checkPath(p); err != nil {
				return nil, fmt.Errorf("backup: Options.Paths[%d]: %w", i, err)
			}
		}
		top := filepath.Join(base, filepath.FromSlash(p))
		if _, err := os.Lstat(top); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		err := filepath.WalkDir(top, func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			rel, err := filepath.Rel(base, name)
			if err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			rel = filepath.ToSlash(rel)
			if rel == "." {
				return nil
			}
			if skip(rel, d, o.Exclude) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			switch {
			case d.IsDir():
				return nil
			case d.Type()&fs.ModeSymlink != 0:
				return fmt.Errorf("backup: %s is a symbolic link; links are not archived (exclude it, or replace it with the file it points to)", name)
			case !d.Type().IsRegular():
				return nil // socket, device, named pipe: not state
			}
			if err := checkPath(rel); err != nil {
				return fmt.Errorf("backup: %s cannot be archived: %w", name, err)
			}
			if _, dup := a.data[rel]; dup {
				return nil // overlapping Paths
			}
			data, mode, err := readRegular(name, maxSize-total)
			if err != nil {
				return err
			}
			total += int64(len(data))
			sum := sha256.Sum256(data)
			a.data[rel] = data
			a.manifest.Files = append(a.manifest.Files, File{
				Path: rel, Mode: mode, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
			})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(a.manifest.Files, func(i, j int) bool { return a.manifest.Files[i].Path < a.manifest.Files[j].Path })
	return a, nil
}

// skip reports whether a walked entry is left out of the backup.
func skip(rel string, d fs.DirEntry, exclude func(string) bool) bool {
	if !d.IsDir() && (rel == ManifestName || isTempFile(d.Name())) {
		return true
	}
	return exclude != nil && exclude(rel)
}

// isTempFile reports whether name is an atomicfile temporary file
// (".<base>.tmp-<hex>").
func isTempFile(name string) bool {
	ok, _ := path.Match(".*.tmp-*", name)
	return ok
}

// readRegular reads the regular file name, at most limit bytes, checking
// that it is still the regular file the walk saw (not replaced by a link).
func readRegular(name string, limit int64) ([]byte, fs.FileMode, error) {
	before, err := os.Lstat(name)
	if err != nil {
		return nil, 0, fmt.Errorf("backup: %w", err)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("backup: %w", err)
	}
	if !fi.Mode().IsRegular() || !os.SameFile(before, fi) {
		return nil, 0, fmt.Errorf("backup: %s was replaced while being archived; try again", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, 0, fmt.Errorf("backup: read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, 0, fmt.Errorf("backup: the files to archive exceed the size limit (Options.MaxSize) at %s", name)
	}
	return data, fi.Mode().Perm(), nil
}

// writeTar writes the archive's tar form: the manifest entry, then one
// entry per manifest file in manifest order.
func (a *archive) writeTar(w io.Writer) error {
	js, err := json.MarshalIndent(a.manifest, "", "  ")
	if err != nil {
		return fmt.Errorf("backup: encode manifest: %w", err)
	}
	js = append(js, '\n')
	tw := tar.NewWriter(w)
	entry := func(name string, mode fs.FileMode, data []byte) error {
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     name,
			Mode:     int64(mode.Perm()),
			Size:     int64(len(data)),
			ModTime:  a.manifest.Created,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("backup: archive %s: %w", name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("backup: archive %s: %w", name, err)
		}
		return nil
	}
	if err := entry(ManifestName, 0o600, js); err != nil {
		return err
	}
	for _, f := range a.manifest.Files {
		if err := entry(f.Path, f.Mode, a.data[f.Path]); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("backup: finish archive: %w", err)
	}
	return nil
}

// checkPath is the safety predicate for archive paths: p must be a
// non-empty, clean, relative, slash-separated path that stays inside the
// root on every operating system.
func checkPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("path %q contains a NUL byte", p)
	case strings.ContainsRune(p, '\\'):
		return fmt.Errorf("path %q contains a backslash", p)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %q is absolute", p)
	case path.Clean(p) != p:
		return fmt.Errorf("path %q is not clean (it should be %q)", p, path.Clean(p))
	case p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("path %q leaves the root", p)
	case !filepath.IsLocal(filepath.FromSlash(p)):
		return fmt.Errorf("path %q is not a local path on this system", p)
	}
	return nil
}
