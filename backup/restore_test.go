package backup

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestRestorePermissions(t *testing.T) {
	t.Parallel()
	// The archive claims loose modes; Restore tightens them.
	a := archiveOf(map[string]spec{
		"ca/root.pem":                     {"root", 0o644},
		"ca/root-key.pem":                 {"root key", 0o644},
		"ca/script.sh":                    {"#!/bin/sh", 0o777},
		"ca/private.txt":                  {"p", 0o400},
		"ca/group.txt":                    {"g", 0o640},
		"acme/certificates/x/x.key":       {"k", 0o666},
		"acme/accounts/acme-v02/reg.json": {"{}", 0o644},
		"keys/signing":                    {"s", 0o644},
	})
	want := map[string]fs.FileMode{
		"ca/root.pem":                     0o644,
		"ca/root-key.pem":                 0o600,
		"ca/script.sh":                    0o644,
		"ca/private.txt":                  0o400,
		"ca/group.txt":                    0o640,
		"acme/certificates/x/x.key":       0o600,
		"acme/accounts/acme-v02/reg.json": 0o600,
		"keys/signing":                    0o600,
		".":                               0o700,
		"ca":                              0o700, // existed as 0755: tightened
		"acme":                            0o700,
		"acme/certificates/x":             0o700,
		"acme/accounts/acme-v02":          0o700,
		"keys":                            0o700,
	}
	r, id := x25519Pair(t)
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "ca"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(root, "ca"), 0o755)
	if _, err := Restore(bytes.NewReader(encryptTo(t, tarOf(t, a), r, false)), root, RestoreOptions{Identities: []age.Identity{id}}); err != nil {
		t.Fatal(err)
	}
	for p, w := range want {
		if got := mode(t, filepath.Join(root, filepath.FromSlash(p))); got != w {
			t.Errorf("%s: mode %04o, want %04o", p, got, w)
		}
	}
}

func TestRestoreDecryptErrors(t *testing.T) {
	t.Parallel()
	passR, _ := scryptPair(t, "right")
	_, wrongPass := scryptPair(t, "wrong")
	xR, xI := x25519Pair(t)
	_, otherI := x25519Pair(t)
	plain := tarOf(t, archiveOf(map[string]spec{"ca/root.pem": {"root", 0o644}}))
	byPass := encryptTo(t, plain, passR, false)
	byKey := encryptTo(t, plain, xR, false)
	byKeyArmored := encryptTo(t, plain, xR, true)
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 1
		return c
	}
	tests := []struct {
		name     string
		input    []byte
		ids      []age.Identity
		wrongKey bool
		wantErr  string
	}{
		{"wrong passphrase", byPass, []age.Identity{wrongPass}, true, ""},
		{"wrong key", byKey, []age.Identity{otherI}, true, ""},
		{"passphrase for a key backup", byKey, []age.Identity{wrongPass}, true, ""},
		{"key for a passphrase backup", byPass, []age.Identity{xI}, true, ""},
		{"corrupted ciphertext", flip(byKey, len(byKey)-3), []age.Identity{xI}, false, "the encrypted data is corrupted"},
		{"corrupted header MAC", flip(byKey, bytes.Index(byKey, []byte("\n--- "))+6), []age.Identity{xI}, false, "cannot decrypt backup"},
		{"truncated", byKey[:len(byKey)-20], []age.Identity{xI}, false, "cannot decrypt backup"},
		{"armored and truncated", byKeyArmored[:len(byKeyArmored)-40], []age.Identity{xI}, false, "cannot decrypt backup"},
		{"not age at all", plain, []age.Identity{xI}, false, "not an age-encrypted file"},
		{"empty", nil, []age.Identity{xI}, false, "cannot decrypt backup"},
		{"no identities", byKey, nil, false, "no identities"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := filepath.Join(t.TempDir(), "root")
			_, err := Restore(bytes.NewReader(tt.input), root, RestoreOptions{Identities: tt.ids})
			if tt.wrongKey {
				if !errors.Is(err, ErrWrongIdentity) || err.Error() != "cannot decrypt backup: wrong passphrase or identity" {
					t.Fatalf("err = %v, want ErrWrongIdentity", err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, ErrWrongIdentity) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if _, err := os.Lstat(root); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("root was created by a failed restore (%v)", err)
			}
		})
	}
}

func TestRestoreExisting(t *testing.T) {
	t.Parallel()
	backup := map[string]spec{
		"ca/root.pem":     {"root v2", 0o644},
		"ca/root-key.pem": {"key v2", 0o600},
		"acme/a.crt":      {"same", 0o600},
	}
	tests := []struct {
		name          string
		existing      map[string]spec
		force         bool
		wantConflicts []string // nil: success
		want          map[string]string
	}{
		{
			name:     "identical files are fine",
			existing: map[string]spec{"ca/root.pem": {"root v2", 0o644}, "acme/a.crt": {"same", 0o600}, "unrelated": {"u", 0o600}},
			want:     map[string]string{"ca/root.pem": "root v2", "ca/root-key.pem": "key v2", "acme/a.crt": "same", "unrelated": "u"},
		},
		{
			name:          "conflicts without Force write nothing",
			existing:      map[string]spec{"ca/root.pem": {"root v1", 0o644}, "ca/root-key.pem": {"key v1, longer", 0o600}, "acme/a.crt": {"same", 0o600}},
			wantConflicts: []string{"ca/root-key.pem", "ca/root.pem"},
		},
		{
			name:     "Force overwrites",
			existing: map[string]spec{"ca/root.pem": {"root v1", 0o644}, "ca/root-key.pem": {"key v1", 0o644}, "unrelated": {"u", 0o600}},
			force:    true,
			want:     map[string]string{"ca/root.pem": "root v2", "ca/root-key.pem": "key v2", "acme/a.crt": "same", "unrelated": "u"},
		},
	}
	r, id := x25519Pair(t)
	enc := encryptTo(t, tarOf(t, archiveOf(backup)), r, true)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			writeTree(t, root, tt.existing)
			before := snapshot(t, root)
			identical := map[string]os.FileInfo{}
			for p, s := range tt.existing {
				if b, ok := backup[p]; ok && b.data == s.data {
					fi, _ := os.Stat(filepath.Join(root, filepath.FromSlash(p)))
					identical[p] = fi
				}
			}
			_, err := Restore(bytes.NewReader(enc), root, RestoreOptions{Identities: []age.Identity{id}, Force: tt.force})
			if tt.wantConflicts != nil {
				var ce *ConflictError
				if !errors.As(err, &ce) || !reflect.DeepEqual(ce.Paths, tt.wantConflicts) {
					t.Fatalf("err = %v, want conflicts %q", err, tt.wantConflicts)
				}
				if after := snapshot(t, root); after != before {
					t.Errorf("a conflicting restore changed the tree:\n%s\nwas:\n%s", after, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for p, w := range tt.want {
				b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
				if err != nil || string(b) != w {
					t.Errorf("%s = %q, %v; want %q", p, b, err, w)
				}
			}
			for p, fi := range identical {
				now, err := os.Stat(filepath.Join(root, filepath.FromSlash(p)))
				if err != nil || !os.SameFile(fi, now) {
					t.Errorf("identical file %s was rewritten", p)
				}
			}
			if got := mode(t, filepath.Join(root, "ca", "root-key.pem")); got != 0o600 {
				t.Errorf("overwritten key mode %04o, want 0600", got)
			}
		})
	}
}

// TestRestoreThroughLinks checks that Restore never writes through a link
// already in the root, even with Force.
func TestRestoreThroughLinks(t *testing.T) {
	t.Parallel()
	r, id := x25519Pair(t)
	enc := encryptTo(t, tarOf(t, archiveOf(map[string]spec{"ca/root.pem": {"root", 0o644}})), r, false)
	tests := []struct {
		name    string
		link    string // path under root that becomes a link to outside
		wantErr string
	}{
		{"linked directory", "ca", "ca is a symbolic link, not a directory"},
		{"linked file", "ca/root.pem", "ca/root.pem is a symbolic link, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			root, outside := filepath.Join(parent, "root"), filepath.Join(parent, "outside")
			writeTree(t, parent, map[string]spec{"outside/root.pem": {"outside", 0o644}, "root/keep": {"k", 0o600}})
			target := outside
			if strings.HasSuffix(tt.link, ".pem") {
				target = filepath.Join(outside, "root.pem")
				os.Mkdir(filepath.Join(root, "ca"), 0o700)
			}
			if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(tt.link))); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, parent)
			_, err := Restore(bytes.NewReader(enc), root, RestoreOptions{Identities: []age.Identity{id}, Force: true})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if after := snapshot(t, parent); after != before {
				t.Errorf("tree changed:\n%s\nwas:\n%s", after, before)
			}
		})
	}
}

// TestRestoreRejectsBadArchives feeds hand-made, encrypted tars to Restore:
// each must fail before anything is written, inside or outside the root.
func TestRestoreRejectsBadArchives(t *testing.T) {
	t.Parallel()
	ok := fileOf("ca/root.pem", "root", 0o644)
	evil := func(p string) []byte {
		return buildTar(manifestOf(1, ok, fileOf(p, "pwned", 0o644)), reg("ca/root.pem", "root"), reg(p, "pwned"))
	}
	link := tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "ca/link.pem", Linkname: "../../outside/x"}}
	hardlink := tarEntry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "ca/hard.pem", Linkname: "/etc/passwd"}}
	dir := tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "ca", Mode: 0o755}}
	valid := buildTar(manifestOf(1, ok), reg("ca/root.pem", "root"))
	huge := reg("ca/root.pem", "")
	huge.hdr.Size = 1 << 40
	hugeManifest := reg(ManifestName, "")
	hugeManifest.hdr.Size = 1 << 40
	tests := []struct {
		name    string
		tar     []byte
		wantErr string
	}{
		{"traversal", evil("../outside/x"), `"../outside/x" leaves the root`},
		{"absolute", evil("/etc/x"), "is absolute"},
		{"deep traversal", evil("a/../../b"), "not clean"},
		{"backslash traversal", evil(`..\outside\x`), "backslash"},
		{"NUL in manifest path", buildTar(manifestOf(1, ok, fileOf("ca/x\x00.pem", "", 0o644)), reg("ca/root.pem", "root")), "NUL"},
		{"symlink entry", buildTar(manifestOf(1, ok, fileOf("ca/link.pem", "", 0o644)), reg("ca/root.pem", "root"), link), "symbolic link"},
		{"hard link entry", buildTar(manifestOf(1, ok, fileOf("ca/hard.pem", "", 0o644)), reg("ca/root.pem", "root"), hardlink), "hard link"},
		{"directory entry", buildTar(manifestOf(1, ok), dir, reg("ca/root.pem", "root")), "is a directory, only regular files"},
		{"no manifest", buildTar(reg("ca/root.pem", "root")), "not the manifest"},
		{"manifest not first", buildTar(reg("ca/root.pem", "root"), manifestOf(1, ok)), "not the manifest"},
		{"empty tar", buildTar(), "reading the first entry"},
		{"unsupported version", buildTar(manifestOf(2, ok), reg("ca/root.pem", "root")), "manifest version 2 is not supported"},
		{"manifest not JSON", buildTar(reg(ManifestName, "{"), reg("ca/root.pem", "root")), "manifest"},
		{"content differs from the manifest", buildTar(manifestOf(1, ok), reg("ca/root.pem", "evil")), "SHA-256 does not match"},
		{"size differs from the manifest", buildTar(manifestOf(1, ok), reg("ca/root.pem", "root!")), "size 5 does not match"},
		{"duplicate entry", buildTar(manifestOf(1, ok), reg("ca/root.pem", "root"), reg("ca/root.pem", "root")), "appears twice"},
		{"duplicate in manifest", buildTar(manifestOf(1, ok, ok), reg("ca/root.pem", "root")), "listed twice"},
		{"extra entry", buildTar(manifestOf(1, ok), reg("ca/root.pem", "root"), reg("ca/extra", "x")), "not in the manifest"},
		{"missing entry", buildTar(manifestOf(1, ok, fileOf("ca/gone", "x", 0o600))), "missing from the archive: ca/gone"},
		{"file and directory", buildTar(manifestOf(1, ok, fileOf("ca/root.pem/x", "x", 0o600)), reg("ca/root.pem", "root"), reg("ca/root.pem/x", "x")), "also the directory"},
		{"reserved name", buildTar(manifestOf(1, fileOf(ManifestName, "x", 0o600)), reg(ManifestName, "x")), "reserved"},
		{"special mode", buildTar(manifestOf(1, fileOf("ca/root.pem", "root", 0o644|fs.ModeSetuid)), reg("ca/root.pem", "root")), "not plain permission bits"},
		{"bad checksum text", buildTar(manifestOf(1, File{Path: "a", SHA256: strings.Repeat("Z", 64)}), reg("a", "")), "64 lowercase hexadecimal"},
		{"truncated in the manifest", valid[:600], "manifest"},
		{"truncated in a header", valid[:1200], "entry 1"},
		{"truncated in file data", valid[:1538], "entry 1"},
		{"huge size", buildTar(manifestOf(1, ok), huge), "size 1099511627776 does not match"},
		{"sparse entry", sparseTar(manifestOf(1, File{Path: "ca/root.pem", Size: 1 << 40, SHA256: strings.Repeat("0", 64)}), "ca/root.pem"), "sparse file"},
		{"huge manifest", buildTar(hugeManifest), "exceeds the archive"},
	}
	r, id := x25519Pair(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			root := filepath.Join(parent, "root")
			writeTree(t, parent, map[string]spec{"root/keep": {"k", 0o600}, "outside/keep": {"o", 0o600}})
			before := snapshot(t, parent)
			_, err := Restore(bytes.NewReader(encryptTo(t, tt.tar, r, false)), root, RestoreOptions{Identities: []age.Identity{id}, Force: true})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if after := snapshot(t, parent); after != before {
				t.Errorf("a rejected restore changed the tree:\n%s\nwas:\n%s", after, before)
			}
			// The unit under Restore rejects the plaintext the same way.
			if _, err := readArchive(tt.tar); err == nil {
				t.Errorf("readArchive accepted it")
			}
		})
	}
	// The baseline is accepted, so the rejections above are meaningful.
	if _, err := readArchive(valid); err != nil {
		t.Fatalf("valid archive rejected: %v", err)
	}
}

func TestRestoreMaxSize(t *testing.T) {
	t.Parallel()
	r, id := x25519Pair(t)
	plain := tarOf(t, archiveOf(map[string]spec{"big": {strings.Repeat("x", 4096), 0o600}}))
	enc := encryptTo(t, plain, r, false)
	tests := []struct {
		name    string
		max     int64
		wantErr string
	}{
		{"one byte short", int64(len(plain)) - 1, "exceeds the " + strconv.Itoa(len(plain)-1) + "-byte limit"},
		{"exactly", int64(len(plain)), ""},
		{"default", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := filepath.Join(t.TempDir(), "root")
			_, err := Restore(bytes.NewReader(enc), root, RestoreOptions{Identities: []age.Identity{id}, MaxSize: tt.max})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if _, err := os.Lstat(root); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("root was created by a failed restore (%v)", err)
			}
		})
	}
}
