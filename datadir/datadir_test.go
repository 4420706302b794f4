package datadir

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPaths(t *testing.T) {
	d := Dir("/var/lib/portcullis")
	for got, want := range map[string]string{
		d.CA(): "/var/lib/portcullis/ca", d.ACME(): "/var/lib/portcullis/acme", d.Root(): "/var/lib/portcullis/ca/root.pem",
		d.PID(): "/var/lib/portcullis/portcullis.pid", d.Lock(): "/var/lib/portcullis/portcullis.lock", d.Socket(): "/var/lib/portcullis/portcullis.sock",
		d.Store(): "/var/lib/portcullis/store.db",
	} {
		if got != want {
			t.Errorf("%s, want %s", got, want)
		}
	}
}

func TestDefault(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/x/data")
	if got := Default(); got != "/x/data/portcullis" {
		t.Errorf("with XDG_DATA_HOME: %s", got)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := Default(); got != "/home/u/.local/share/portcullis" {
		t.Errorf("with HOME: %s", got)
	}
}

// TestLock: one holder at a time, named by its pid file; released, the
// directory can be taken again.
func TestLock(t *testing.T) {
	d := Dir(filepath.Join(t.TempDir(), "data"))
	l, err := d.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(string(d)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory %v, %v: want mode 0700", fi.Mode(), err)
	}
	if d.RunningPID() != os.Getpid() {
		t.Errorf("pid file says %d", d.RunningPID())
	}
	_, err = d.Acquire()
	var inUse *InUseError
	if !errors.As(err, &inUse) || !errors.Is(err, ErrInUse) || inUse.PID != os.Getpid() || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("second Acquire: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if d.RunningPID() != 0 {
		t.Error("pid file left after Release")
	}
	l2, err := d.Acquire()
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
}

// TestLockDiesWithItsHolder: a holder killed with SIGKILL leaves its pid
// file behind, but not the lock.
func TestLockDiesWithItsHolder(t *testing.T) {
	if dir := os.Getenv("DATADIR_TEST_HOLD"); dir != "" {
		if _, err := Dir(dir).Acquire(); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("held\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	d := Dir(filepath.Join(t.TempDir(), "data"))
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockDiesWithItsHolder$")
	cmd.Env = append(os.Environ(), "DATADIR_TEST_HOLD="+string(d))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := out.Read(buf); err != nil || string(buf) != "held\n" {
		cmd.Process.Kill()
		t.Fatalf("holder: %q, %v", buf, err)
	}
	if _, err := d.Acquire(); !errors.Is(err, ErrInUse) {
		t.Errorf("while the holder lives: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := d.Acquire()
	if err != nil {
		t.Fatalf("after the holder died: %v", err)
	}
	l.Release()
}
