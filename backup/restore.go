package backup

import (
	"archive/tar"
	"bufio"
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
	"slices"
	"sort"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/portcullis/portcullis/internal/atomicfile"
)

// ErrWrongIdentity is returned by [Restore] when none of the identities
// (passphrase or keys) can decrypt the backup.
var ErrWrongIdentity = errors.New("cannot decrypt backup: wrong passphrase or identity")

// RestoreOptions configures [Restore].
type RestoreOptions struct {
	// Identities decrypt the backup: age.NewScryptIdentity for a
	// passphrase, or X25519 identities (see [ParseIdentities]). At least
	// one is required.
	Identities []age.Identity
	// Force overwrites existing files whose content differs from the
	// backup. Without it, such files are a [ConflictError] and nothing is
	// written.
	Force bool
	// MaxSize caps the size of the decrypted archive ([DefaultMaxSize]
	// when zero or negative).
	MaxSize int64
}

// ConflictError lists the existing files whose content differs from the
// backup, when [RestoreOptions.Force] is not set. Nothing was written.
type ConflictError struct {
	// Paths are slash-separated, relative to the root, sorted.
	Paths []string
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("backup: %d existing file(s) differ from the backup, nothing was restored (use Force to overwrite them): %s",
		len(e.Paths), strings.Join(e.Paths, ", "))
}

// Restore decrypts the backup read from r and writes its files under root
// (created when missing), after validating the whole archive and checking
// for conflicts with existing files; see the package documentation for
// the checks and the permissions. Armored and binary backups are both
// accepted. It returns the backup's manifest.
func Restore(r io.Reader, root string, o RestoreOptions) (*Manifest, error) {
	if len(o.Identities) == 0 {
		return nil, errors.New("backup: no identities: give the passphrase or the age private key the backup was made for")
	}
	maxSize := o.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	plain, err := decrypt(r, o.Identities, maxSize)
	if err != nil {
		return nil, err
	}
	a, err := readArchive(plain)
	if err != nil {
		return nil, err
	}
	writes, err := plan(root, a, o.Force)
	if err != nil {
		return nil, err
	}
	if err := apply(root, a, writes); err != nil {
		return nil, err
	}
	return &a.manifest, nil
}

// decrypt returns the plaintext of an armored or binary age file, at most
// maxSize bytes.
func decrypt(r io.Reader, ids []age.Identity, maxSize int64) ([]byte, error) {
	br := bufio.NewReaderSize(r, 2048)
	in := io.Reader(br)
	if head, _ := br.Peek(2048); bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte(armor.Header)) {
		in = armor.NewReader(br)
	}
	dec, err := age.Decrypt(in, ids...)
	if err != nil {
		return nil, decryptError(err, "not an age-encrypted file, or its header is damaged")
	}
	plain, err := io.ReadAll(io.LimitReader(dec, maxSize+1))
	if err != nil {
		return nil, decryptError(err, "the encrypted data is corrupted")
	}
	if int64(len(plain)) > maxSize {
		return nil, fmt.Errorf("backup: the decrypted archive exceeds the %d-byte limit (RestoreOptions.MaxSize)", maxSize)
	}
	return plain, nil
}

// decryptError explains an error of age or of its armor reader; what
// describes other errors.
func decryptError(err error, what string) error {
	var noMatch *age.NoIdentityMatchError
	var armorErr *armor.Error
	switch {
	case errors.As(err, &noMatch):
		return ErrWrongIdentity
	case errors.As(err, &armorErr):
		return fmt.Errorf("cannot decrypt backup: %w", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("cannot decrypt backup: the file is truncated: %w", err)
	}
	return fmt.Errorf("cannot decrypt backup: %s: %w", what, err)
}

// readArchive parses and validates a decrypted archive. Whatever it
// accepts has safe paths ([checkPath]), regular files only, and contents
// matching the manifest exactly.
func readArchive(b []byte) (*archive, error) {
	tr := tar.NewReader(bytes.NewReader(b))
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("backup: not a backup archive: reading the first entry: %w", err)
	}
	if hdr.Name != ManifestName || hdr.Typeflag != tar.TypeReg || isSparse(hdr) {
		return nil, fmt.Errorf("backup: not a backup archive: the first entry is %q, not the manifest %q", hdr.Name, ManifestName)
	}
	if hdr.Size > int64(len(b)) {
		return nil, fmt.Errorf("backup: manifest: size %d exceeds the archive", hdr.Size)
	}
	// The contents of regular, non-sparse entries cannot add up to more
	// than the archive itself: this bounds memory whatever the headers say.
	total := hdr.Size
	js, err := io.ReadAll(tr)
	if err != nil {
		return nil, fmt.Errorf("backup: manifest: %w", err)
	}
	a := &archive{data: map[string][]byte{}}
	if err := json.Unmarshal(js, &a.manifest); err != nil {
		return nil, fmt.Errorf("backup: manifest: %w", err)
	}
	if a.manifest.Version != Version {
		return nil, fmt.Errorf("backup: manifest version %d is not supported (this portcullis reads version %d)", a.manifest.Version, Version)
	}
	want, err := checkManifest(a.manifest.Files)
	if err != nil {
		return nil, err
	}
	for i := 1; ; i++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("backup: entry %d: %w", i, err)
		}
		f, err := checkEntry(hdr, want, a.data)
		if err == nil && hdr.Size > int64(len(b))-total {
			err = errors.New("its size exceeds the archive")
		}
		if err != nil {
			return nil, fmt.Errorf("backup: entry %d (%q): %w", i, hdr.Name, err)
		}
		total += hdr.Size
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("backup: entry %d (%q): %w", i, hdr.Name, err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.SHA256 {
			return nil, fmt.Errorf("backup: entry %d (%q): SHA-256 does not match the manifest", i, hdr.Name)
		}
		a.data[hdr.Name] = data
	}
	if len(a.data) != len(want) {
		var missing []string
		for p := range want {
			if _, ok := a.data[p]; !ok {
				missing = append(missing, p)
			}
		}
		sort.Strings(missing)
		return nil, fmt.Errorf("backup: %d file(s) of the manifest are missing from the archive: %s", len(missing), strings.Join(missing, ", "))
	}
	return a, nil
}

// checkManifest validates the manifest's file list and indexes it by path.
func checkManifest(files []File) (map[string]File, error) {
	want := make(map[string]File, len(files))
	for i, f := range files {
		if err := checkPath(f.Path); err != nil {
			return nil, fmt.Errorf("backup: manifest file %d: %w", i, err)
		}
		if f.Path == ManifestName {
			return nil, fmt.Errorf("backup: manifest file %d: %q is reserved for the manifest", i, f.Path)
		}
		if _, dup := want[f.Path]; dup {
			return nil, fmt.Errorf("backup: manifest file %d: %q is listed twice", i, f.Path)
		}
		if f.Mode&^fs.ModePerm != 0 {
			return nil, fmt.Errorf("backup: manifest file %d (%q): mode %v is not plain permission bits", i, f.Path, f.Mode)
		}
		if f.Size < 0 {
			return nil, fmt.Errorf("backup: manifest file %d (%q): negative size %d", i, f.Path, f.Size)
		}
		if len(f.SHA256) != 2*sha256.Size || strings.ToLower(f.SHA256) != f.SHA256 {
			return nil, fmt.Errorf("backup: manifest file %d (%q): sha256 %q is not 64 lowercase hexadecimal digits", i, f.Path, f.SHA256)
		}
		if _, err := hex.DecodeString(f.SHA256); err != nil {
			return nil, fmt.Errorf("backup: manifest file %d (%q): sha256 %q is not 64 lowercase hexadecimal digits", i, f.Path, f.SHA256)
		}
		want[f.Path] = f
	}
	// A path cannot be both a file and a directory.
	for p := range want {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, ok := want[d]; ok {
				return nil, fmt.Errorf("backup: manifest: %q is a file but also the directory of %q", d, p)
			}
		}
	}
	return want, nil
}

// checkEntry validates a tar header against the manifest and the entries
// already read, returning the manifest's description of it.
func checkEntry(hdr *tar.Header, want map[string]File, seen map[string][]byte) (File, error) {
	if err := checkPath(hdr.Name); err != nil {
		return File{}, err
	}
	if hdr.Typeflag != tar.TypeReg {
		return File{}, fmt.Errorf("is a %s, only regular files are allowed", typeName(hdr.Typeflag))
	}
	if isSparse(hdr) {
		return File{}, errors.New("is a sparse file, only regular files are allowed")
	}
	f, ok := want[hdr.Name]
	if !ok {
		return File{}, errors.New("is not in the manifest")
	}
	if _, dup := seen[hdr.Name]; dup {
		return File{}, errors.New("appears twice")
	}
	if hdr.Size != f.Size {
		return File{}, fmt.Errorf("size %d does not match the manifest's %d", hdr.Size, f.Size)
	}
	return f, nil
}

// isSparse reports whether hdr describes a PAX-format GNU sparse file,
// whose content the tar reader expands from holes (a few header bytes can
// claim terabytes of zeros). Old-format GNU sparse files have their own
// type flag.
func isSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func typeName(t byte) string {
	switch t {
	case tar.TypeDir:
		return "directory"
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar, tar.TypeBlock:
		return "device"
	case tar.TypeFifo:
		return "named pipe"
	case tar.TypeGNUSparse:
		return "sparse file"
	}
	return fmt.Sprintf("entry of type %q", t)
}

// plan compares the archive with the files under root and returns the
// paths to write (sorted); identical files are skipped. Conflicts (without
// force) and anything in the way are errors, found before any write.
func plan(root string, a *archive, force bool) ([]string, error) {
	if fi, err := os.Stat(root); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("backup: root %s is not a directory", root)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("backup: root: %w", err)
	}
	var writes, conflicts, problems []string
	for _, f := range a.manifest.Files {
		st, err := compare(root, f.Path, a.data[f.Path])
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case st == identical:
		case st == differs && !force:
			conflicts = append(conflicts, f.Path)
		default:
			writes = append(writes, f.Path)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("backup: nothing was restored: %s", strings.Join(problems, "; "))
	}
	if len(conflicts) > 0 {
		sort.Strings(conflicts)
		return nil, &ConflictError{Paths: conflicts}
	}
	sort.Strings(writes)
	return writes, nil
}

// existing is what a restored file finds at its place.
type existing int

const (
	missing existing = iota
	identical
	differs
)

// compare tells whether root/p is missing, identical to data or different.
// Anything but a directory on the way, or a non-regular file at p, is an
// error: Restore never writes through links.
func compare(root, p string, data []byte) (existing, error) {
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(d)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if !fi.IsDir() {
			return 0, fmt.Errorf("%s is %s, not a directory; move it away", d, kind(fi.Mode()))
		}
	}
	name := filepath.Join(root, filepath.FromSlash(p))
	fi, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return missing, nil
	}
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is %s, not a regular file; move it away", p, kind(fi.Mode()))
	}
	if fi.Size() != int64(len(data)) {
		return differs, nil
	}
	cur, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	if bytes.Equal(cur, data) {
		return identical, nil
	}
	return differs, nil
}

// kind describes a file type for error messages.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a regular file"
	}
	return "a special file"
}

// apply creates the directories (0700) and writes the planned files.
func apply(root string, a *archive, writes []string) error {
	dirs := map[string]bool{".": true}
	for _, f := range a.manifest.Files {
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	sorted := make([]string, 0, len(dirs))
	for d := range dirs {
		sorted = append(sorted, d)
	}
	sort.Strings(sorted) // parents before children
	for _, d := range sorted {
		if err := atomicfile.EnsureDir(filepath.Join(root, filepath.FromSlash(d)), 0o700); err != nil {
			return fmt.Errorf("backup: restore stopped before writing any file: %w", err)
		}
	}
	modes := make(map[string]fs.FileMode, len(a.manifest.Files))
	for _, f := range a.manifest.Files {
		modes[f.Path] = restoreMode(f.Path, f.Mode)
	}
	for i, p := range writes {
		if err := atomicfile.Write(filepath.Join(root, filepath.FromSlash(p)), a.data[p], modes[p]); err != nil {
			return fmt.Errorf("backup: restore stopped at %s after writing %d of %d files: %w", p, i, len(writes), err)
		}
	}
	return nil
}

// restoreMode is the mode a restored file gets: the archived one, never
// looser than 0644, and 0600 for private keys.
func restoreMode(p string, archived fs.FileMode) fs.FileMode {
	if isPrivateKey(p) {
		return 0o600
	}
	return archived.Perm() & 0o644
}

// isPrivateKey reports whether the file at slash-separated path p holds a
// private key (or an ACME account), by its name or place.
func isPrivateKey(p string) bool {
	base := path.Base(p)
	if strings.HasSuffix(base, ".key") || strings.HasSuffix(base, "-key.pem") {
		return true
	}
	if strings.HasPrefix(p, "acme/accounts/") || strings.Contains(p, "/acme/accounts/") {
		return true
	}
	return slices.Contains(strings.Split(path.Dir(p), "/"), "keys")
}
