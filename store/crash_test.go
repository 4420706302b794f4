package store

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/portcullis/portcullis/events"
)

// Environment of the writer process TestSIGKILL runs.
const (
	envCrashFile  = "STORE_CRASH_FILE"  // the store
	envCrashStart = "STORE_CRASH_START" // the first ID to write
	envCrashMode  = "STORE_CRASH_MODE"  // "write", or "compact" to compact continuously too
)

// TestSIGKILL: a process writing events and reports as fast as it can,
// from several goroutines, is killed with SIGKILL at a random moment,
// several times over on the same file. After each kill the store opens,
// passes bbolt's consistency check, and holds every event and report the
// writer printed as committed (it prints IDs only after AddEvents or
// AddReports returned). In "compact" mode the writer also compacts the
// file continuously, so kills land during compactions and renames.
func TestSIGKILL(t *testing.T) {
	if path := os.Getenv(envCrashFile); path != "" {
		crashWriter(path)
		return
	}
	if testing.Short() {
		t.Skip("kills a writer process several times")
	}
	for _, mode := range []string{"write", "compact"} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "store.db")
			committedEvents, committedReports := map[int]bool{}, map[int]bool{}
			next := 0
			for round := range 4 {
				lines := killWriter(t, path, mode, next)
				compacting := false
				for _, l := range lines {
					kind, ids, _ := strings.Cut(l, " ")
					switch kind {
					case "c":
						compacting = true
					case "d":
						compacting = false
					}
					for _, f := range strings.Fields(ids) {
						id, err := strconv.Atoi(f)
						if err != nil {
							t.Fatalf("writer printed %q", l)
						}
						switch kind {
						case "e":
							committedEvents[id] = true
						case "r":
							committedReports[id] = true
						}
						next = max(next, id+1)
					}
				}
				gotEvents, gotReports := readBack(t, path)
				missing := 0
				for id := range committedEvents {
					if !gotEvents[id] {
						missing++
					}
				}
				for id := range committedReports {
					if !gotReports[id] {
						missing++
					}
				}
				t.Logf("round %d: killed after %d lines of output (during a compaction: %v); in all %d events and %d reports committed, %d and %d stored, %d missing",
					round+1, len(lines), compacting, len(committedEvents), len(committedReports), len(gotEvents), len(gotReports), missing)
				if missing > 0 {
					t.Fatalf("round %d: %d committed records lost", round+1, missing)
				}
				next += 1_000_000 // the killed writer may have stored IDs it never printed
			}
			if len(committedEvents) == 0 || len(committedReports) == 0 {
				t.Fatal("the writer committed nothing before it was killed")
			}
		})
	}
}

// killWriter runs the writer, kills it with SIGKILL between 150 and 600 ms
// after its first commit, and returns the complete lines it printed.
func killWriter(t *testing.T, path, mode string, start int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSIGKILL$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashFile+"="+path, envCrashStart+"="+strconv.Itoa(start), envCrashMode+"="+mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	first := make(chan struct{})
	read := make(chan struct{})
	go func() {
		defer close(read)
		r := bufio.NewReader(out)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return // EOF after the kill; a line cut short is dropped
			}
			if len(lines) == 0 {
				close(first)
			}
			lines = append(lines, strings.TrimSuffix(l, "\n"))
		}
	}()
	select {
	case <-first:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the writer committed nothing in 30s")
	}
	time.Sleep(time.Duration(150+rand.IntN(450)) * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	<-read
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("writer: %v, want killed", err)
	}
	return lines
}

// readBack opens the store as the next serve would, checks it, and
// returns the IDs of the events and reports in it.
func readBack(t *testing.T, path string) (evs, reps map[int]bool) {
	t.Helper()
	b, err := OpenFile(path, Options{SweepInterval: -1, Retention: -1, MaxBytes: -1})
	if err != nil {
		t.Fatalf("open after SIGKILL: %v", err)
	}
	defer b.Close()
	if err := b.Check(); err != nil {
		t.Fatalf("consistency check after SIGKILL: %v", err)
	}
	if _, err := os.Stat(path + compactSuffix); !os.IsNotExist(err) {
		t.Errorf("compaction leftover not removed: %v", err)
	}
	evs, reps = map[int]bool{}, map[int]bool{}
	err = b.view(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketEvents).ForEach(func(k, v []byte) error {
			_, _, _, js, err := eventHeader(v)
			if err != nil {
				return err
			}
			var e events.Event
			if err := json.Unmarshal(js, &e); err != nil {
				return err
			}
			id, err := strconv.Atoi(e.Message)
			evs[id] = true
			if len(k) != 16 || binary.BigEndian.Uint64(k) != nanos(e.Time) {
				return fmt.Errorf("key %x does not match event time %v", k, e.Time)
			}
			return err
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketReports).ForEach(func(k, _ []byte) error {
			var a Aggregate
			if !parseAggKey(k, &a) {
				return errCorrupt
			}
			id, err := strconv.Atoi(strings.TrimPrefix(a.Document, "/"))
			reps[id] = true
			return err
		})
	})
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	return evs, reps
}

// crashWriter is the process TestSIGKILL kills: it never returns.
func crashWriter(path string) {
	start, _ := strconv.Atoi(os.Getenv(envCrashStart))
	b, err := OpenFile(path, Options{SweepInterval: -1, Retention: -1, MaxBytes: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "writer:", err)
		os.Exit(3)
	}
	var (
		id  atomic.Int64
		out sync.Mutex
	)
	id.Store(int64(start))
	// One write(2) per line, under a mutex: lines never interleave.
	emit := func(kind string, ids []int) {
		var sb strings.Builder
		sb.WriteString(kind)
		for _, n := range ids {
			sb.WriteString(" " + strconv.Itoa(n))
		}
		sb.WriteString("\n")
		out.Lock()
		os.Stdout.WriteString(sb.String())
		out.Unlock()
	}
	for w := range 4 {
		go func() {
			for {
				n := 1 + rand.IntN(40)
				ids := make([]int, n)
				batch := make([]events.Event, n)
				for i := range batch {
					ids[i] = int(id.Add(1))
					batch[i] = events.Event{Type: events.ReportReceived, Severity: events.Low, Time: time.Now(), Site: "crash",
						Message: strconv.Itoa(ids[i]), Path: strings.Repeat("/p", rand.IntN(200))}
				}
				if w == 0 {
					reps := make([]Report, n)
					for i := range reps {
						reps[i] = Report{Site: "crash", Type: "csp-violation", Directive: "script-src", Document: "/" + strconv.Itoa(ids[i])}
					}
					if err := b.AddReports(reps...); err != nil {
						fmt.Fprintln(os.Stderr, "writer:", err)
						os.Exit(3)
					}
					emit("r", ids)
					continue
				}
				if err := b.AddEvents(batch...); err != nil {
					fmt.Fprintln(os.Stderr, "writer:", err)
					os.Exit(3)
				}
				emit("e", ids)
			}
		}()
	}
	if os.Getenv(envCrashMode) == "compact" {
		go func() {
			for {
				emit("c", nil) // a compaction starts
				if err := b.Compact(); err != nil {
					fmt.Fprintln(os.Stderr, "writer: compact:", err)
					os.Exit(3)
				}
				emit("d", nil) // and is done
			}
		}()
	}
	select {}
}
