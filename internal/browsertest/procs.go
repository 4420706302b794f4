package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc identifies a process: its PID and its start time, so that a PID
// the system reused for another process is not mistaken for it.
type proc struct {
	pid   int
	start string
}

// stat returns a process's parent PID, state and start time, from
// /proc/PID/stat.
func stat(pid int) (ppid int, state byte, start string, ok bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, "", false
	}
	// "pid (comm) state ppid … starttime …": comm may hold anything, so
	// the fields are counted from the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, "", false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || len(f[0]) != 1 {
		return 0, 0, "", false
	}
	ppid, err = strconv.Atoi(f[1])
	if err != nil {
		return 0, 0, "", false
	}
	return ppid, f[0][0], f[19], true
}

// tree returns the process root and all its descendants.
func tree(root int) []proc {
	_, _, start, ok := stat(root)
	if !ok {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, _, _, ok := stat(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	out := []proc{{root, start}}
	for i := 0; i < len(out); i++ {
		for _, c := range children[out[i].pid] {
			if _, _, s, ok := stat(c); ok {
				out = append(out, proc{c, s})
			}
		}
	}
	return out
}

// processes returns the browser's processes: its main process and their
// descendants, and the crash handlers Chromium starts as daemons (their
// parent is init), found by the browser's directory (its profile's parent)
// on their command line.
func (b *Browser) processes() []proc {
	procs := tree(b.pid)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return procs
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || slices.ContainsFunc(procs, func(p proc) bool { return p.pid == pid }) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmdline), b.dir+string(filepath.Separator)) {
			continue
		}
		if _, _, start, ok := stat(pid); ok {
			procs = append(procs, proc{pid, start})
		}
	}
	return procs
}

// alive reports whether the process still runs (and is not a zombie).
func (p proc) alive() bool {
	_, state, start, ok := stat(p.pid)
	return ok && start == p.start && state != 'Z'
}

// endAll kills the processes of procs that still run, and returns an error
// when some are still there after a second.
func endAll(procs []proc) error {
	deadline := time.Now().Add(time.Second)
	for {
		var left []int
		for _, p := range procs {
			if p.alive() {
				left = append(left, p.pid)
				syscall.Kill(p.pid, syscall.SIGKILL)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v do not end", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
