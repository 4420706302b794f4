package backup

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// state is a typical portcullis state directory.
var state = map[string]spec{
	"ca/root.pem":          {"root certificate\n", 0o644},
	"ca/root-key.pem":      {"root key\n", 0o600},
	"ca/leaf-ab12.pem":     {"leaf\n", 0o644},
	"ca/leaf-ab12-key.pem": {"leaf key\n", 0o600},
	"acme/certificates/acme-v02/example.com/example.com.crt": {"chain\n", 0o600},
	"acme/certificates/acme-v02/example.com/example.com.key": {"site key\n", 0o600},
	"acme/accounts/acme-v02/admin.json":                      {`{"contact":["mailto:a@example.com"]}`, 0o600},
	"acme/accounts/acme-v02/admin.key":                       {"account key\n", 0o600},
	"acme/empty":                                             {"", 0o644},
}

func lockExclude(rel string) bool { return strings.HasSuffix(rel, ".lock") }

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	passR, passI := scryptPair(t, "correct horse battery staple")
	xR, xI := x25519Pair(t)
	yR, yI := x25519Pair(t)
	tests := []struct {
		name       string
		recipients []age.Recipient
		identities []age.Identity
		armor      bool
	}{
		{"passphrase", []age.Recipient{passR}, []age.Identity{passI}, false},
		{"passphrase armored", []age.Recipient{passR}, []age.Identity{passI}, true},
		{"x25519", []age.Recipient{xR}, []age.Identity{xI}, false},
		{"x25519 armored", []age.Recipient{xR}, []age.Identity{xI}, true},
		{"second of two recipients", []age.Recipient{xR, yR}, []age.Identity{yI}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := t.TempDir()
			writeTree(t, src, state)
			writeTree(t, src, map[string]spec{
				"acme/locks/issue.lock":   {"lock", 0o644},    // excluded by Exclude
				"ca/.root.pem.tmp-0a1b2c": {"partial", 0o600}, // atomicfile temp file
				"other/notes.txt":         {"not in Paths", 0o644},
			})
			var buf bytes.Buffer
			m, err := Create(&buf, src, Options{
				Paths:      []string{"ca", "acme", "missing"},
				Exclude:    lockExclude,
				Recipients: tt.recipients,
				Armor:      tt.armor,
				Now:        func() time.Time { return t0.In(time.FixedZone("X", 3600)) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.HasPrefix(buf.Bytes(), []byte(armor.Header)); got != tt.armor {
				t.Fatalf("armored output = %v, want %v", got, tt.armor)
			}
			if !m.Created.Equal(t0) || m.Created.Location() != time.UTC || m.Version != Version {
				t.Errorf("manifest version %d created %v, want %d, %v UTC", m.Version, m.Created, Version, t0)
			}
			var paths []string
			for _, f := range m.Files {
				paths = append(paths, f.Path)
				want := state[f.Path]
				if f.Mode != want.mode || f.Size != int64(len(want.data)) || f != fileOf(f.Path, want.data, want.mode) {
					t.Errorf("manifest entry %+v does not describe %+v", f, want)
				}
			}
			wantPaths := []string{
				"acme/accounts/acme-v02/admin.json", "acme/accounts/acme-v02/admin.key",
				"acme/certificates/acme-v02/example.com/example.com.crt", "acme/certificates/acme-v02/example.com/example.com.key",
				"acme/empty", "ca/leaf-ab12-key.pem", "ca/leaf-ab12.pem", "ca/root-key.pem", "ca/root.pem",
			}
			if !reflect.DeepEqual(paths, wantPaths) {
				t.Fatalf("archived %q,\nwant %q", paths, wantPaths)
			}

			dst := filepath.Join(t.TempDir(), "restored")
			got, err := Restore(bytes.NewReader(buf.Bytes()), dst, RestoreOptions{Identities: tt.identities})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Files, m.Files) || !got.Created.Equal(m.Created) {
				t.Errorf("restored manifest %+v, want %+v", got, m)
			}
			want := t.TempDir()
			writeTree(t, want, state)
			for _, d := range []string{".", "ca", "acme", "acme/accounts", "acme/accounts/acme-v02", "acme/certificates", "acme/certificates/acme-v02", "acme/certificates/acme-v02/example.com"} {
				os.Chmod(filepath.Join(want, d), 0o700)
			}
			if g, w := snapshot(t, dst), snapshot(t, want); g != w {
				t.Errorf("restored tree:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}

func TestCreateSelection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   map[string]spec
		paths   []string
		exclude func(string) bool
		want    []string
	}{
		{
			name:  "everything by default",
			files: map[string]spec{"a": {"1", 0o600}, "d/b": {"2", 0o644}, "d/e/c": {"3", 0o600}},
			want:  []string{"a", "d/b", "d/e/c"},
		},
		{
			name:  "temp files and a stray manifest are never archived",
			files: map[string]spec{"a": {"1", 0o600}, ".a.tmp-00ff": {"x", 0o600}, "d/.k.pem.tmp-1": {"x", 0o600}, ManifestName: {"{}", 0o600}, "d/" + ManifestName: {"{}", 0o600}},
			want:  []string{"a", "d/" + ManifestName},
		},
		{
			name:    "excluded directory is pruned",
			files:   map[string]spec{"acme/locks/x": {"1", 0o600}, "acme/certs/y": {"2", 0o600}},
			exclude: func(rel string) bool { return rel == "acme/locks" },
			want:    []string{"acme/certs/y"},
		},
		{
			name:  "a single file as a path, overlapping paths, missing path",
			files: map[string]spec{"ca/root.pem": {"1", 0o644}, "ca/x": {"2", 0o600}, "other": {"3", 0o600}},
			paths: []string{"ca/root.pem", "ca", "nope/deeper"},
			want:  []string{"ca/root.pem", "ca/x"},
		},
		{
			name:  "nothing to archive",
			files: map[string]spec{"other": {"3", 0o600}},
			paths: []string{"ca"},
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			writeTree(t, root, tt.files)
			r, id := x25519Pair(t)
			var buf bytes.Buffer
			m, err := Create(&buf, root, Options{Paths: tt.paths, Exclude: tt.exclude, Recipients: []age.Recipient{r}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range m.Files {
				got = append(got, f.Path)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("archived %q, want %q", got, tt.want)
			}
			// What was archived restores identically.
			dst := t.TempDir()
			if _, err := Restore(&buf, dst, RestoreOptions{Identities: []age.Identity{id}}); err != nil {
				t.Fatal(err)
			}
			for _, p := range tt.want {
				b, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(p)))
				if err != nil || string(b) != tt.files[p].data {
					t.Errorf("restored %s = %q, %v; want %q", p, b, err, tt.files[p].data)
				}
			}
		})
	}
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	r, _ := x25519Pair(t)
	type setup func(t *testing.T, root string) (string, Options)
	withFiles := func(files map[string]spec) setup {
		return func(t *testing.T, root string) (string, Options) {
			writeTree(t, root, files)
			return root, Options{Recipients: []age.Recipient{r}}
		}
	}
	tests := []struct {
		name    string
		setup   setup
		wantErr string
	}{
		{"no recipients", func(t *testing.T, root string) (string, Options) { return root, Options{} }, "no recipients"},
		{"root missing", func(t *testing.T, root string) (string, Options) {
			return filepath.Join(root, "nope"), Options{Recipients: []age.Recipient{r}}
		}, "root"},
		{"root is a file", func(t *testing.T, root string) (string, Options) {
			writeTree(t, root, map[string]spec{"f": {"x", 0o600}})
			return filepath.Join(root, "f"), Options{Recipients: []age.Recipient{r}}
		}, "not a directory"},
		{"symlink in the tree", func(t *testing.T, root string) (string, Options) {
			writeTree(t, root, map[string]spec{"ca/root.pem": {"x", 0o644}})
			if err := os.Symlink("/etc/passwd", filepath.Join(root, "ca", "evil.pem")); err != nil {
				t.Fatal(err)
			}
			return root, Options{Recipients: []age.Recipient{r}}
		}, filepath.Join("ca", "evil.pem") + " is a symbolic link"},
		{"symlinked subtree", func(t *testing.T, root string) (string, Options) {
			writeTree(t, root, map[string]spec{"real/x": {"x", 0o600}})
			if err := os.Symlink("real", filepath.Join(root, "ca")); err != nil {
				t.Fatal(err)
			}
			return root, Options{Paths: []string{"ca"}, Recipients: []age.Recipient{r}}
		}, "is a symbolic link"},
		{"path leaving the root", func(t *testing.T, root string) (string, Options) {
			return root, Options{Paths: []string{"ca", "../etc"}, Recipients: []age.Recipient{r}}
		}, `Options.Paths[1]: path "../etc" leaves the root`},
		{"absolute path", func(t *testing.T, root string) (string, Options) {
			return root, Options{Paths: []string{"/etc"}, Recipients: []age.Recipient{r}}
		}, "is absolute"},
		{"unclean path", func(t *testing.T, root string) (string, Options) {
			return root, Options{Paths: []string{"a/../b"}, Recipients: []age.Recipient{r}}
		}, "not clean"},
		{"over MaxSize while reading", func(t *testing.T, root string) (string, Options) {
			writeTree(t, root, map[string]spec{"big": {strings.Repeat("x", 2000), 0o600}})
			return root, Options{Recipients: []age.Recipient{r}, MaxSize: 1000}
		}, "exceed the size limit"},
		{"archive over MaxSize", func(t *testing.T, root string) (string, Options) {
			writeTree(t, root, map[string]spec{"a": {"x", 0o600}})
			return root, Options{Recipients: []age.Recipient{r}, MaxSize: 1000}
		}, "over the 1000-byte limit"},
		{"mixed passphrase and key", func(t *testing.T, root string) (string, Options) {
			p, _ := scryptPair(t, "pw")
			return root, Options{Recipients: []age.Recipient{r, p}}
		}, "encrypt"},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests, struct {
			name    string
			setup   setup
			wantErr string
		}{"backslash in a file name", withFiles(map[string]spec{`a\b`: {"x", 0o600}}), "contains a backslash"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root, o := tt.setup(t, t.TempDir())
			var buf bytes.Buffer
			m, err := Create(&buf, root, o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if m != nil || buf.Len() != 0 {
				t.Errorf("a failed Create returned %v and wrote %d bytes", m, buf.Len())
			}
		})
	}
}

func TestCheckPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p       string
		wantErr string
	}{
		{"ca/root.pem", ""},
		{"a", ""},
		{"..a/b..", ""},
		{".hidden", ""},
		{"", "empty"},
		{".", "leaves the root"},
		{"..", "leaves the root"},
		{"../x", "leaves the root"},
		{"a/../../b", "not clean"},
		{"a/../b", "not clean"},
		{"/etc/x", "absolute"},
		{"a//b", "not clean"},
		{"a/./b", "not clean"},
		{"a/", "not clean"},
		{`a\b`, "backslash"},
		{`..\x`, "backslash"},
		{"a\x00b", "NUL"},
	}
	for _, tt := range tests {
		err := checkPath(tt.p)
		if (tt.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("checkPath(%q) = %v, want %q", tt.p, err, tt.wantErr)
		}
	}
}

func TestRestoreMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p        string
		archived fs.FileMode
		want     fs.FileMode
	}{
		{"ca/root.pem", 0o644, 0o644},
		{"ca/root.pem", 0o777, 0o644},
		{"ca/root.pem", 0o666, 0o644},
		{"ca/root.pem", 0o640, 0o640},
		{"ca/root.pem", 0o400, 0o400},
		{"ca/root-key.pem", 0o644, 0o600},
		{"ca/root-key.pem", 0o400, 0o600},
		{"acme/certificates/x/x.key", 0o666, 0o600},
		{"acme/accounts/x/reg.json", 0o644, 0o600},
		{"state/acme/accounts/x/reg.json", 0o644, 0o600},
		{"keys/one", 0o644, 0o600},
		{"a/keys/b/c", 0o644, 0o600},
		{"keys", 0o644, 0o644}, // a file named keys, not under one
		{"acme/accounts.json", 0o644, 0o644},
		{"ca/key.pem", 0o644, 0o644}, // no "-key.pem" suffix
		{"ca/monkeys/x", 0o644, 0o644},
	}
	for _, tt := range tests {
		if got := restoreMode(tt.p, tt.archived); got != tt.want {
			t.Errorf("restoreMode(%q, %04o) = %04o, want %04o", tt.p, tt.archived, got, tt.want)
		}
	}
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	pub, priv := id.Recipient().String(), id.String()
	tests := []struct {
		name, recipients, identities string
		wantErr                      string
	}{
		{"valid with comments", "# backup key\n\n" + pub + "\n", "# created: today\n" + priv + "\n", ""},
		{"empty", "", "", "no recipients found"},
		{"swapped", priv + "\n", pub + "\n", "error at line 1"},
		{"garbage", "ssh-ed25519 AAAA\n", "hello\n", "error at line 1"},
		{"bad key on line 2", pub + "\nage1nope\n", priv + "\nAGE-SECRET-KEY-1NOPE\n", "error at line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs, rerr := ParseRecipients(strings.NewReader(tt.recipients))
			ids, ierr := ParseIdentities(strings.NewReader(tt.identities))
			if tt.wantErr == "" {
				if rerr != nil || ierr != nil {
					t.Fatalf("errors %v, %v", rerr, ierr)
				}
				// The parsed pair works together.
				src := t.TempDir()
				writeTree(t, src, map[string]spec{"k.key": {"secret", 0o600}})
				var buf bytes.Buffer
				if _, err := Create(&buf, src, Options{Recipients: recs}); err != nil {
					t.Fatal(err)
				}
				if _, err := Restore(&buf, t.TempDir(), RestoreOptions{Identities: ids}); err != nil {
					t.Fatal(err)
				}
				return
			}
			if rerr == nil || !strings.Contains(rerr.Error(), "backup: recipients") {
				t.Errorf("ParseRecipients error = %v", rerr)
			}
			if ierr == nil || !strings.Contains(ierr.Error(), "backup: identities") {
				t.Errorf("ParseIdentities error = %v", ierr)
			}
			if tt.name != "empty" && (!strings.Contains(rerr.Error(), tt.wantErr) || !strings.Contains(ierr.Error(), tt.wantErr)) {
				t.Errorf("errors %q, %q; want %q", rerr, ierr, tt.wantErr)
			}
			if strings.Contains(ierr.Error(), "AGE-SECRET-KEY-1NOPE") || strings.Contains(ierr.Error(), priv) {
				t.Errorf("identities error quotes the secret: %v", ierr)
			}
		})
	}
}
