package backup

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

var t0 = time.Date(2026, 11, 23, 10, 15, 0, 0, time.UTC)

// scryptPair returns a passphrase recipient with a low work factor (fast
// tests) and the matching identity.
func scryptPair(t testing.TB, pass string) (age.Recipient, age.Identity) {
	t.Helper()
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(10)
	id, err := age.NewScryptIdentity(pass)
	if err != nil {
		t.Fatal(err)
	}
	return r, id
}

func x25519Pair(t testing.TB) (age.Recipient, age.Identity) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient(), id
}

// spec describes a file to create in a test tree.
type spec struct {
	data string
	mode fs.FileMode
}

// writeTree creates files (slash-separated paths) under root.
func writeTree(t testing.TB, root string, files map[string]spec) {
	t.Helper()
	for p, s := range files {
		name := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(s.data), s.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(name, s.mode); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot describes everything under dir (type, permissions, content,
// link target), for "nothing was written" assertions.
func snapshot(t testing.TB, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(name)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, name)
		line := fmt.Sprintf("%s %v", filepath.ToSlash(rel), fi.Mode())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(name)
			line += " -> " + target
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(name)
			line += fmt.Sprintf(" %q", b)
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func fileOf(p, data string, mode fs.FileMode) File {
	sum := sha256.Sum256([]byte(data))
	return File{Path: p, Mode: mode, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

// tarEntry is one hand-made tar entry.
type tarEntry struct {
	hdr  tar.Header
	data string
}

func reg(name, data string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600, Size: int64(len(data))}, data: data}
}

func manifestOf(version int, files ...File) tarEntry {
	js, err := json.Marshal(Manifest{Version: version, Created: t0, Files: files})
	if err != nil {
		panic(err)
	}
	return reg(ManifestName, string(js))
}

// buildTar writes entries as a tar archive, trusting the headers as given.
// Only the last entry may be shorter than its header's Size (a truncated
// archive).
func buildTar(entries ...tarEntry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := e.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			panic(err)
		}
		if _, err := tw.Write([]byte(e.data)); err != nil {
			panic(err)
		}
	}
	// Close fails when the last entry is shorter than its header says:
	// the archive is then truncated, as wanted.
	tw.Close()
	return buf.Bytes()
}

// encryptTo encrypts plain to r, as Create does.
func encryptTo(t testing.TB, plain []byte, r age.Recipient, armored bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := encrypt(&buf, plain, []age.Recipient{r}, armored); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// archiveOf builds a valid archive of files (path → spec).
func archiveOf(files map[string]spec) *archive {
	a := &archive{manifest: Manifest{Version: Version, Created: t0}, data: map[string][]byte{}}
	for p, s := range files {
		a.manifest.Files = append(a.manifest.Files, fileOf(p, s.data, s.mode))
		a.data[p] = []byte(s.data)
	}
	sort.Slice(a.manifest.Files, func(i, j int) bool { return a.manifest.Files[i].Path < a.manifest.Files[j].Path })
	return a
}

func tarOf(t testing.TB, a *archive) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := a.writeTar(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mode(t testing.TB, name string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// paxRecord formats one PAX extended header record.
func paxRecord(k, v string) string {
	rest := " " + k + "=" + v + "\n"
	n := len(rest) + 1
	for len(strconv.Itoa(n))+len(rest) != n {
		n++
	}
	return strconv.Itoa(n) + rest
}

// sparseTar returns a tar of first then a PAX-format GNU sparse (1.0)
// entry called name: 512 bytes of sparse map that the tar reader expands
// to a 1 TiB file of zeros. archive/tar's writer refuses to write sparse
// records, so the PAX header is written as a regular entry whose type
// flag is then patched to 'x'.
func sparseTar(first tarEntry, name string) []byte {
	records := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
		paxRecord("GNU.sparse.name", name) + paxRecord("GNU.sparse.realsize", "1099511627776")
	b := buildTar(first, reg("PaxHeaders/x", records), reg("GNUSparseFile.0/x", "0\n"+strings.Repeat("\x00", 510)))
	hdr := b[512+(len(first.data)+511)/512*512:][:512]
	hdr[156] = tar.TypeXHeader
	copy(hdr[148:156], "        ")
	sum := 0
	for _, c := range hdr {
		sum += int(c)
	}
	copy(hdr[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}
