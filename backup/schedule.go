package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/portcullis/portcullis/internal/atomicfile"
)

// DefaultInterval is the time between scheduled backups when
// [Schedule.Interval] is not set.
const DefaultInterval = 24 * time.Hour

// backupName matches the files [Schedule] writes, and only those.
var backupName = regexp.MustCompile(`^portcullis-backup-[0-9]{8}T[0-9]{6}Z\.age$`)

// Schedule makes backups periodically into a directory and keeps the most
// recent ones.
type Schedule struct {
	// Dir receives the backups, portcullis-backup-YYYYMMDDTHHMMSSZ.age
	// (UTC, from Options.Now), 0600; it is created or tightened to 0700.
	// Two backups in the same second share a name: the later replaces the
	// earlier.
	Dir string
	// Interval is the time between backups ([DefaultInterval] when zero
	// or negative).
	Interval time.Duration
	// Keep is how many backups to keep: after each backup the oldest
	// files matching the backup name pattern beyond Keep are deleted.
	// Zero or negative keeps them all. Other files in Dir are never
	// touched.
	Keep int
	// Root is the directory to back up, as for [Create].
	Root string
	// Options configures each backup, as for [Create].
	Options Options
	// Logger receives one line per backup or failure (slog.Default()
	// when nil), unless OnResult is set.
	Logger *slog.Logger
	// OnResult, when set, is told the outcome of each backup Run makes,
	// instead of Logger: the path written ("" when none was) and the
	// error, if any (with a path: the backup was written but removing
	// old ones failed). portcullis serve turns it into events.
	OnResult func(path string, err error)
	// Leading, when set, makes Run back up only while it reports true:
	// in cluster mode, on the one instance leading the backups. Run asks
	// it every LeadingPoll while it reports false, and backs up at once
	// when it turns true (a new leader, or the first at start), then
	// every Interval. A run it skips is not reported.
	Leading func() bool
}

// LeadingPoll is how often Run asks Schedule.Leading while this
// instance does not lead (at most Interval).
const LeadingPoll = 10 * time.Second

// RunOnce makes one backup and applies the retention policy. It returns
// the path of the new backup; when only the retention step fails, it
// returns that path together with the error.
func (s *Schedule) RunOnce() (string, error) {
	p, _, err := s.runOnce()
	return p, err
}

func (s *Schedule) runOnce() (string, *Manifest, error) {
	if s.Dir == "" {
		return "", nil, errors.New("backup: schedule: no directory (Schedule.Dir) for the backups")
	}
	now := time.Now
	if s.Options.Now != nil {
		now = s.Options.Now
	}
	o := s.Options
	t := now()
	o.Now = func() time.Time { return t } // the name and the manifest agree
	var buf bytes.Buffer
	m, err := Create(&buf, s.Root, o)
	if err != nil {
		return "", nil, err
	}
	if err := atomicfile.EnsureDir(s.Dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("backup: schedule: %w", err)
	}
	p := filepath.Join(s.Dir, "portcullis-backup-"+t.UTC().Format("20060102T150405Z")+".age")
	if err := atomicfile.Write(p, buf.Bytes(), 0o600); err != nil {
		return "", nil, fmt.Errorf("backup: schedule: %w", err)
	}
	if err := s.prune(); err != nil {
		return p, m, err
	}
	return p, m, nil
}

// prune deletes the oldest backups beyond Keep. The names sort in time
// order.
func (s *Schedule) prune() error {
	if s.Keep <= 0 {
		return nil
	}
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return fmt.Errorf("backup: schedule: retention: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && backupName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) <= s.Keep {
		return nil
	}
	sort.Strings(names)
	var errs []error
	for _, n := range names[:len(names)-s.Keep] {
		if err := os.Remove(filepath.Join(s.Dir, n)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("backup: schedule: retention: %w", err)
	}
	return nil
}

// Run makes a backup at once, then every Interval, until ctx is done.
// Failures are logged and the next run happens on schedule.
func (s *Schedule) Run(ctx context.Context) {
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	interval := s.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	tick := time.NewTimer(interval)
	defer tick.Stop()
	for {
		if s.Leading != nil && !s.Leading() {
			tick.Reset(min(LeadingPoll, interval))
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			continue
		}
		p, m, err := s.runOnce()
		switch {
		case s.OnResult != nil:
			s.OnResult(p, err)
		case err != nil && p == "":
			log.Error("backup failed", "dir", s.Dir, "root", s.Root, "err", err)
		case err != nil:
			log.Error("backup written, but removing old backups failed", "path", p, "files", len(m.Files), "err", err)
		default:
			log.Info("backup written", "path", p, "files", len(m.Files))
		}
		tick.Reset(interval)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
