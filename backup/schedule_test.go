package backup

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/portcullis/portcullis/internal/testutil"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestScheduleRetention(t *testing.T) {
	t.Parallel()
	unrelated := []string{
		"notes.txt",
		"portcullis-backup-latest.age",
		"portcullis-backup-20200101T000000Z.age.bak",
		"portcullis-backup-20200101T000000Z.age.tmp",
		".portcullis-backup-20200101T000000Z.age.tmp-0011",
		"portcullis-backup-2020-01-01T000000Z.age",
	}
	tests := []struct {
		name string
		runs int
		keep int
		want []string
	}{
		{"five runs keep three", 5, 3, []string{
			"portcullis-backup-20261123T121500Z.age",
			"portcullis-backup-20261123T131500Z.age",
			"portcullis-backup-20261123T141500Z.age",
		}},
		{"fewer than keep", 2, 3, []string{
			"portcullis-backup-20261123T101500Z.age",
			"portcullis-backup-20261123T111500Z.age",
		}},
		{"keep zero keeps all", 3, 0, []string{
			"portcullis-backup-20261123T101500Z.age",
			"portcullis-backup-20261123T111500Z.age",
			"portcullis-backup-20261123T121500Z.age",
		}},
		{"keep one", 3, 1, []string{
			"portcullis-backup-20261123T121500Z.age",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root, dir := t.TempDir(), filepath.Join(t.TempDir(), "backups")
			writeTree(t, root, state)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, n := range unrelated {
				writeTree(t, dir, map[string]spec{n: {"unrelated", 0o644}})
			}
			// An old directory with a backup's name is not a backup.
			if err := os.Mkdir(filepath.Join(dir, "portcullis-backup-20000101T000000Z.age"), 0o700); err != nil {
				t.Fatal(err)
			}
			r, id := x25519Pair(t)
			clock := testutil.NewClock(t0)
			s := &Schedule{Dir: dir, Keep: tt.keep, Root: root, Options: Options{
				Paths: []string{"ca", "acme"}, Recipients: []age.Recipient{r}, Now: clock.Now,
			}}
			var last string
			for i := range tt.runs {
				p, err := s.RunOnce()
				if err != nil {
					t.Fatalf("run %d: %v", i, err)
				}
				if want := filepath.Join(dir, "portcullis-backup-"+clock.Now().Format("20060102T150405Z")+".age"); p != want {
					t.Fatalf("run %d wrote %s, want %s", i, p, want)
				}
				if got := mode(t, p); got != 0o600 {
					t.Errorf("backup mode %04o, want 0600", got)
				}
				last = p
				clock.Advance(time.Hour)
			}
			want := append(append([]string{}, unrelated...), "portcullis-backup-20000101T000000Z.age")
			want = append(want, tt.want...)
			sort.Strings(want)
			if got := listDir(t, dir); !reflect.DeepEqual(got, want) {
				t.Errorf("dir holds\n%q\nwant\n%q", got, want)
			}
			if got := mode(t, dir); got != 0o700 {
				t.Errorf("dir mode %04o, want 0700", got)
			}
			// The latest backup restores, and its manifest has the time in its name.
			f, err := os.Open(last)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := Restore(f, t.TempDir(), RestoreOptions{Identities: []age.Identity{id}})
			if err != nil {
				t.Fatal(err)
			}
			if wantT := clock.Now().Add(-time.Hour); !m.Created.Equal(wantT) || len(m.Files) != len(state) {
				t.Errorf("manifest created %v with %d files, want %v and %d", m.Created, len(m.Files), wantT, len(state))
			}
		})
	}
}

func TestScheduleRunOnceErrors(t *testing.T) {
	t.Parallel()
	r, _ := x25519Pair(t)
	tests := []struct {
		name    string
		s       func(tmp string) *Schedule
		wantErr string
	}{
		{"no dir", func(tmp string) *Schedule {
			return &Schedule{Root: tmp, Options: Options{Recipients: []age.Recipient{r}}}
		}, "no directory"},
		{"root missing", func(tmp string) *Schedule {
			return &Schedule{Dir: filepath.Join(tmp, "b"), Root: filepath.Join(tmp, "nope"), Options: Options{Recipients: []age.Recipient{r}}}
		}, "root"},
		{"no recipients", func(tmp string) *Schedule {
			return &Schedule{Dir: filepath.Join(tmp, "b"), Root: tmp}
		}, "no recipients"},
		{"dir is a file", func(tmp string) *Schedule {
			os.WriteFile(filepath.Join(tmp, "b"), nil, 0o600)
			return &Schedule{Dir: filepath.Join(tmp, "b"), Root: tmp, Options: Options{Recipients: []age.Recipient{r}}}
		}, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			p, err := tt.s(tmp).RunOnce()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || p != "" {
				t.Fatalf("RunOnce = %q, %v; want error %q", p, err, tt.wantErr)
			}
		})
	}
}

// steppingClock advances by one minute at every reading, so every run of
// a Schedule gets a distinct name.
type steppingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Minute)
	return c.t
}

func TestScheduleRun(t *testing.T) {
	t.Parallel()
	r, _ := x25519Pair(t)
	tests := []struct {
		name    string
		root    func(t *testing.T, tmp string) string
		wantLog string
		done    func(log string) bool
	}{
		{
			name: "backs up repeatedly and prunes",
			root: func(t *testing.T, tmp string) string {
				writeTree(t, tmp, map[string]spec{"ca/root.pem": {"r", 0o644}})
				return tmp
			},
			wantLog: "backup written",
			done: func(log string) bool {
				return strings.Count(log, "backup written") >= 4
			},
		},
		{
			name:    "failures are logged and retried",
			root:    func(t *testing.T, tmp string) string { return filepath.Join(tmp, "missing") },
			wantLog: "backup failed",
			done: func(log string) bool {
				return strings.Count(log, "backup failed") >= 3
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs testutil.Buffer
			dir := filepath.Join(t.TempDir(), "backups")
			s := &Schedule{
				Dir: dir, Interval: 5 * time.Millisecond, Keep: 2, Root: tt.root(t, t.TempDir()),
				Options: Options{Recipients: []age.Recipient{r}, Now: (&steppingClock{t: t0}).Now},
				Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
			}
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() {
				s.Run(ctx)
				close(stopped)
			}()
			testutil.Eventually(t, 10*time.Second, tt.wantLog, func() bool { return tt.done(logs.String()) })
			cancel()
			testutil.Eventually(t, 10*time.Second, "Run to return", func() bool {
				select {
				case <-stopped:
					return true
				default:
					return false
				}
			})
			if tt.wantLog == "backup written" {
				if got := listDir(t, dir); len(got) != 2 {
					t.Errorf("after pruning, dir holds %q, want 2 backups", got)
				}
			} else if strings.Contains(logs.String(), "backup written") {
				t.Errorf("log claims success: %s", logs.String())
			}
		})
	}
}

// TestScheduleOnResult: with OnResult set, each run's outcome goes to it
// (the path, or the error) and nothing to the log.
func TestScheduleOnResult(t *testing.T) {
	t.Parallel()
	r, _ := x25519Pair(t)
	tmp := t.TempDir()
	writeTree(t, tmp, map[string]spec{"ca/root.pem": {"r", 0o644}})
	for _, tc := range []struct {
		name string
		root string
		ok   bool
	}{{"written", tmp, true}, {"failed", filepath.Join(tmp, "missing"), false}} {
		t.Run(tc.name, func(t *testing.T) {
			var logs testutil.Buffer
			type result struct {
				path string
				err  error
			}
			results := make(chan result, 1)
			s := &Schedule{
				Dir: filepath.Join(t.TempDir(), "backups"), Interval: time.Hour, Root: tc.root,
				Options:  Options{Recipients: []age.Recipient{r}, Now: (&steppingClock{t: t0}).Now},
				Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
				OnResult: func(path string, err error) { results <- result{path, err} },
			}
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() { s.Run(ctx); close(stopped) }()
			got := <-results
			cancel()
			<-stopped
			if tc.ok != (got.err == nil) || tc.ok != (got.path != "") {
				t.Errorf("OnResult(%q, %v)", got.path, got.err)
			}
			if logs.String() != "" {
				t.Errorf("logged although OnResult is set: %s", logs.String())
			}
		})
	}
}

// TestScheduleRunLeading: with Leading, Run backs up only while it
// reports true — at once when it turns true — and keeps asking while it
// reports false.
func TestScheduleRunLeading(t *testing.T) {
	t.Parallel()
	r, _ := x25519Pair(t)
	root := t.TempDir()
	writeTree(t, root, map[string]spec{"ca/root.pem": {"r", 0o644}})
	var mu sync.Mutex
	leading, asked, results := false, 0, 0
	s := &Schedule{
		Dir: filepath.Join(t.TempDir(), "backups"), Interval: 5 * time.Millisecond, Root: root,
		Options:  Options{Recipients: []age.Recipient{r}, Now: (&steppingClock{t: t0}).Now},
		Leading:  func() bool { mu.Lock(); defer mu.Unlock(); asked++; return leading },
		OnResult: func(string, error) { mu.Lock(); results++; mu.Unlock() },
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { s.Run(ctx); close(stopped) }()
	testutil.Eventually(t, 10*time.Second, "Leading asked 5 times", func() bool { mu.Lock(); defer mu.Unlock(); return asked >= 5 })
	mu.Lock()
	if results != 0 {
		t.Errorf("%d backups while not leading", results)
	}
	leading = true
	mu.Unlock()
	testutil.Eventually(t, 10*time.Second, "backups once leading", func() bool { mu.Lock(); defer mu.Unlock(); return results >= 2 })
	cancel()
	<-stopped
}
