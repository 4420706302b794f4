package version

import (
	"strings"
	"testing"
	"time"
)

func TestString(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		i    Info
		want string
	}{
		{Info{Version: "v1.2.3", Revision: "3f2a9c1d0b4e", Time: at, Go: "go1.26.8", Platform: "linux/amd64"},
			"portcullis v1.2.3 (3f2a9c1d0b4e, 2026-12-07T10:00:00Z) go1.26.8 linux/amd64"},
		{Info{Version: "devel", Revision: "3f2a9c1d0b4e", Dirty: true, Time: at, Go: "go1.26.8", Platform: "darwin/arm64"},
			"portcullis devel (3f2a9c1d0b4e, dirty, 2026-12-07T10:00:00Z) go1.26.8 darwin/arm64"},
		{Info{Version: "v1.2.3", Go: "go1.26.8", Platform: "windows/amd64"}, "portcullis v1.2.3 go1.26.8 windows/amd64"},
	} {
		if got := tt.i.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// TestGet: a test binary has build information; a release's Version wins
// over the module's.
func TestGet(t *testing.T) {
	i := Get()
	if i.Version == "" || !strings.HasPrefix(i.Go, "go") || !strings.Contains(i.Platform, "/") {
		t.Errorf("Get() = %+v", i)
	}
	Version = "v9.9.9"
	defer func() { Version = "" }()
	if got := Get().Version; got != "v9.9.9" {
		t.Errorf("with a release Version, Get().Version = %q", got)
	}
}
