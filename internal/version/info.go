package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Info describes the running binary: what `portcullis version` prints.
type Info struct {
	// Version is the release version (Version, when a release build set
	// it), else the module version ("v1.2.3" for `go install …@v1.2.3`),
	// else "devel" for a build from a work tree.
	Version string `json:"version"`
	// Revision is the VCS commit the binary was built from, abbreviated
	// to 12 characters; "" when the build did not record it (go install
	// from the module proxy, or -buildvcs=false).
	Revision string `json:"revision,omitempty"`
	// Dirty reports uncommitted changes in the work tree at build time.
	Dirty bool `json:"dirty,omitempty"`
	// Time is the commit's time: reproducible builds stamp no build time
	// of their own, so this is the time the source is from.
	Time time.Time `json:"time,omitzero"`
	// Go is the Go version the binary was built with; Platform its
	// GOOS/GOARCH.
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// Get reads the binary's build information.
func Get() Info {
	i := Info{Version: Version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if i.Version == "" {
			i.Version = "devel"
		}
		return i
	}
	if i.Version == "" {
		i.Version = bi.Main.Version
	}
	if i.Version == "" || i.Version == "(devel)" {
		i.Version = "devel"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value[:min(12, len(s.Value))]
		case "vcs.modified":
			i.Dirty = s.Value == "true"
		case "vcs.time":
			i.Time, _ = time.Parse(time.RFC3339, s.Value)
		}
	}
	return i
}

// String is the one line `portcullis version` prints:
// "portcullis v1.2.3 (3f2a9c1d0b4e, 2026-12-07T10:00:00Z) go1.26.8 linux/amd64",
// with ", dirty" after a revision built with uncommitted changes.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "portcullis %s", i.Version)
	var vcs []string
	if i.Revision != "" {
		r := i.Revision
		if i.Dirty {
			r += ", dirty"
		}
		vcs = append(vcs, r)
	}
	if !i.Time.IsZero() {
		vcs = append(vcs, i.Time.UTC().Format(time.RFC3339))
	}
	if len(vcs) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(vcs, ", "))
	}
	fmt.Fprintf(&b, " %s %s", i.Go, i.Platform)
	return b.String()
}
