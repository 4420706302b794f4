//go:build unix

package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// leftovers returns the names in dir other than want.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if !contains(want, e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestWrite(t *testing.T) {
	old := syscall.Umask(0o077) // perm must be exact whatever the umask
	defer syscall.Umask(old)
	tests := []struct {
		name     string
		existing []byte // nil: no file before
		data     []byte
		perm     os.FileMode
	}{
		{"new file 0600", nil, []byte("secret"), 0o600},
		{"new file 0644 despite umask 077", nil, []byte("public"), 0o644},
		{"replace, perm changes", []byte("old content, longer"), []byte("new"), 0o600},
		{"empty data", []byte("x"), nil, 0o640},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.pem")
			if tt.existing != nil {
				if err := os.WriteFile(path, tt.existing, 0o666); err != nil {
					t.Fatal(err)
				}
			}
			if err := Write(path, tt.data, tt.perm); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(tt.data) {
				t.Errorf("content %q, want %q", got, tt.data)
			}
			fi, _ := os.Stat(path)
			if fi.Mode().Perm() != tt.perm {
				t.Errorf("mode %04o, want %04o", fi.Mode().Perm(), tt.perm)
			}
			if l := leftovers(t, dir, "f.pem"); len(l) > 0 {
				t.Errorf("left behind: %v", l)
			}
		})
	}
}

// TestWriteFailureKeepsOld makes each step of Write fail and checks the
// old file is intact and no temporary file is left.
func TestWriteFailureKeepsOld(t *testing.T) {
	for _, stage := range []string{"write", "sync", "close", "rename"} {
		t.Run(stage, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "key.pem")
			if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			injected := errors.New("injected failure")
			failAt = func(s string) error {
				if s == stage {
					return injected
				}
				return nil
			}
			defer func() { failAt = nil }()
			err := Write(path, []byte("new content"), 0o600)
			if !errors.Is(err, injected) {
				t.Fatalf("err = %v, want the injected failure", err)
			}
			if got, _ := os.ReadFile(path); string(got) != "old" {
				t.Errorf("old file changed to %q", got)
			}
			if l := leftovers(t, dir, "key.pem"); len(l) > 0 {
				t.Errorf("temporary file left: %v", l)
			}
		})
	}
}

// TestWriteRealFailures uses failures the file system produces itself.
func TestWriteRealFailures(t *testing.T) {
	t.Run("missing directory", func(t *testing.T) {
		dir := t.TempDir()
		err := Write(filepath.Join(dir, "nope", "f"), []byte("x"), 0o600)
		if err == nil || !strings.Contains(err.Error(), "temporary file") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("destination is a non-empty directory", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "d")
		if err := os.MkdirAll(filepath.Join(path, "inside"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := Write(path, []byte("x"), 0o600); err == nil {
			t.Fatal("rename over a directory succeeded")
		}
		if l := leftovers(t, dir, "d"); len(l) > 0 {
			t.Errorf("temporary file left: %v", l)
		}
		if fi, err := os.Stat(filepath.Join(path, "inside")); err != nil || !fi.IsDir() {
			t.Errorf("directory damaged: %v", err)
		}
	})
}

func TestEnsureDir(t *testing.T) {
	tests := []struct {
		name     string
		existing os.FileMode // 0: does not exist
		perm     os.FileMode
		want     os.FileMode
	}{
		{"create", 0, 0o700, 0o700},
		{"tighten 0755 to 0700", 0o755, 0o700, 0o700},
		{"tighten 0777 to 0750", 0o777, 0o750, 0o750},
		{"keep tighter 0500", 0o500, 0o700, 0o500},
		{"keep equal", 0o700, 0o700, 0o700},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a", "b")
			if tt.existing != 0 {
				if err := os.MkdirAll(path, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.existing); err != nil {
					t.Fatal(err)
				}
			}
			if err := EnsureDir(path, tt.perm); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != tt.want {
				t.Errorf("mode %04o, want %04o", got, tt.want)
			}
		})
	}
	t.Run("not a directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := EnsureDir(path, 0o700); err == nil {
			t.Fatal("EnsureDir accepted a regular file")
		}
	})
}
