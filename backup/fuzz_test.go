package backup

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"reflect"
	"strings"
	"testing"
)

// FuzzReadArchive feeds arbitrary bytes to the validation step of Restore.
// It must never panic, and whatever it accepts must be safe to write (every
// path passes checkPath, regular files only, contents matching the
// manifest) and must survive a write/read round trip unchanged.
func FuzzReadArchive(f *testing.F) {
	ok := fileOf("ca/root.pem", "root", 0o644)
	valid := tarOf(f, archiveOf(map[string]spec{
		"ca/root.pem": {"root", 0o644}, "ca/root-key.pem": {"key", 0o600}, "acme/accounts/a/b.json": {"{}", 0o644}, "empty": {"", 0o600},
	}))
	evil := func(p string) []byte {
		return buildTar(manifestOf(1, ok, fileOf(p, "x", 0o644)), reg("ca/root.pem", "root"), reg(p, "x"))
	}
	long := "../" + strings.Repeat("d/", 60) + "x" // needs a PAX path record
	pax := reg(long, "x")
	pax.hdr.Format = tar.FormatPAX
	gnu := reg(strings.Repeat("g/", 60)+"x", "x")
	gnu.hdr.Format = tar.FormatGNU
	huge := reg("ca/root.pem", "")
	huge.hdr.Size = 1 << 40
	seeds := [][]byte{
		valid,
		tarOf(f, archiveOf(nil)),
		buildTar(manifestOf(1, ok), reg("ca/root.pem", "root")),
		evil("../x"), evil("/etc/x"), evil("a/../../b"), evil(`..\x`), evil("./a"), evil(""),
		buildTar(manifestOf(1, ok, fileOf(long, "x", 0o644)), reg("ca/root.pem", "root"), pax),
		buildTar(manifestOf(1, fileOf(gnu.hdr.Name, "x", 0o644)), gnu),
		buildTar(manifestOf(1, ok), reg("ca/root.pem", "root"), tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "ca/l", Linkname: "/etc/passwd"}}),
		buildTar(manifestOf(1, ok), tarEntry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "ca/root.pem", Linkname: "/etc/passwd"}}),
		buildTar(manifestOf(1, ok), huge),
		sparseTar(manifestOf(1, File{Path: "s", Size: 1 << 40, SHA256: strings.Repeat("0", 64)}), "s"),
		buildTar(manifestOf(2, ok), reg("ca/root.pem", "root")),
		buildTar(manifestOf(1, ok, ok), reg("ca/root.pem", "root")),
		buildTar(manifestOf(1, ok, fileOf("ca/root.pem/x", "x", 0o600)), reg("ca/root.pem", "root"), reg("ca/root.pem/x", "x")),
		buildTar(reg(ManifestName, `{"version":1,"files":[{"path":"a","mode":2147484068,"size":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]}`), reg("a", "")),
		valid[:len(valid)/2], valid[:512], valid[:1000], valid[:1536+3],
		nil, []byte("not a tar"), bytes.Repeat([]byte{0}, 1024),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := readArchive(b)
		if err != nil {
			if a != nil {
				t.Fatal("readArchive returned an archive with an error")
			}
			return
		}
		if a.manifest.Version != Version {
			t.Fatalf("accepted version %d", a.manifest.Version)
		}
		if len(a.data) != len(a.manifest.Files) {
			t.Fatalf("%d contents for %d manifest files", len(a.data), len(a.manifest.Files))
		}
		seen := map[string]bool{}
		for _, f := range a.manifest.Files {
			if err := checkPath(f.Path); err != nil {
				t.Fatalf("accepted unsafe path: %v", err)
			}
			// The same property, stated independently of checkPath.
			if strings.HasPrefix(f.Path, "/") || strings.ContainsAny(f.Path, "\\\x00") {
				t.Fatalf("accepted unsafe path %q", f.Path)
			}
			for _, c := range strings.Split(f.Path, "/") {
				if c == "" || c == "." || c == ".." {
					t.Fatalf("accepted path %q with component %q", f.Path, c)
				}
			}
			if f.Path == ManifestName || seen[f.Path] {
				t.Fatalf("accepted reserved or duplicate path %q", f.Path)
			}
			seen[f.Path] = true
			data, ok := a.data[f.Path]
			sum := sha256.Sum256(data)
			if !ok || int64(len(data)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
				t.Fatalf("%s: content does not match the manifest", f.Path)
			}
			if f.Mode != f.Mode.Perm() || restoreMode(f.Path, f.Mode)&^0o644 != 0 {
				t.Fatalf("%s: mode %v, restored as %v", f.Path, f.Mode, restoreMode(f.Path, f.Mode))
			}
		}
		for p := range seen {
			for d := path.Dir(p); d != "."; d = path.Dir(d) {
				if seen[d] {
					t.Fatalf("%q is both a file and the directory of %q", d, p)
				}
			}
		}
		var buf bytes.Buffer
		if err := a.writeTar(&buf); err != nil {
			t.Fatalf("accepted archive cannot be rewritten: %v", err)
		}
		again, err := readArchive(buf.Bytes())
		if err != nil {
			t.Fatalf("rewritten archive rejected: %v", err)
		}
		if !again.manifest.Created.Equal(a.manifest.Created) || !reflect.DeepEqual(again.manifest.Files, a.manifest.Files) || !reflect.DeepEqual(again.data, a.data) {
			t.Fatalf("round trip changed the archive:\n%+v\n%+v", a.manifest, again.manifest)
		}
	})
}
