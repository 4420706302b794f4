package config

import (
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/reports"
	"github.com/portcullis/portcullis/store"
)

const minimalSite = "\n[[site]]\nhosts = [\"example.com\"]\nupstream = \"http://127.0.0.1:8000\"\n"

// TestStoreReportsDefaults: the defaults are the packages' own.
func TestStoreReportsDefaults(t *testing.T) {
	c, err := Parse("p.toml", []byte(minimalSite))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Store{Retention: store.DefaultRetention, MaxBytes: store.DefaultMaxBytes}); c.Store != want {
		t.Errorf("Store = %+v, want %+v", c.Store, want)
	}
	if want := (Reports{Enabled: true, Path: reports.DefaultPath, MaxBody: reports.DefaultMaxBody, Rate: reports.DefaultRate}); c.Reports != want {
		t.Errorf("Reports = %+v, want %+v", c.Reports, want)
	}
	if d := Default(); d.Store != c.Store || d.Reports != c.Reports {
		t.Errorf("Default() = %+v, %+v", d.Store, d.Reports)
	}
}

func TestStoreReportsFull(t *testing.T) {
	setFullEnv(t)
	c, err := Load("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Store{Retention: 14 * day, MaxBytes: 64 << 20}); c.Store != want {
		t.Errorf("Store = %+v, want %+v", c.Store, want)
	}
	if want := (Reports{Enabled: true, Path: "/_reports", MaxBody: 32 << 10, Rate: 30}); c.Reports != want {
		t.Errorf("Reports = %+v, want %+v", c.Reports, want)
	}
	c, err = Parse("p.toml", []byte("[reports]\nenabled = false\npath = \"/x\"\nrate = 1\n"+minimalSite))
	if err != nil || c.Reports.Enabled || c.Reports.Rate != 1 {
		t.Errorf("enabled = false: %+v, %v", c.Reports, err)
	}
	if c, err := Parse("p.toml", []byte("[store]\nretention = 3600\nmax_bytes = 1048576\n"+minimalSite)); err != nil ||
		c.Store != (Store{Retention: time.Hour, MaxBytes: 1 << 20}) {
		t.Errorf("numbers: %+v, %v", c.Store, err)
	}
}

// TestStoreReportsBad: every bad value is reported at its line.
func TestStoreReportsBad(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"[store]\nretention = \"0s\"", `p.toml:2: store.retention: must be positive`},
		{"[store]\nretention = \"-1h\"", `p.toml:2: store.retention: "-1h" is negative`},
		{"[store]\nmax_bytes = \"512KiB\"", `p.toml:2: store.max_bytes: 524288 bytes is less than the minimum, 1MiB`},
		{"[store]\nmax_bytes = \"lots\"", `p.toml:2: store.max_bytes: "lots" is not a size`},
		{"[store]\nretension = \"1d\"", `p.toml:2: store.retension: unknown key (did you mean "retention"?)`},
		{"[reports]\nenabled = \"yes\"", `p.toml:2: reports.enabled: must be true or false, not a string`},
		{"[reports]\npath = \"reports\"", `p.toml:2: reports.path: "reports" is not an absolute path`},
		{"[reports]\npath = \"/\"", `p.toml:2: reports.path: "/" is not an absolute path`},
		{"[reports]\npath = \"/a/../b\"", `p.toml:2: reports.path: "/a/../b" has an empty, "." or ".." segment`},
		{"[reports]\npath = \"/a//b\"", `p.toml:2: reports.path: "/a//b" has an empty`},
		{"[reports]\npath = \"/r?x=1\"", `p.toml:2: reports.path: "/r?x=1" has a character other than`},
		{"[reports]\npath = \"/r%2Fx\"", `p.toml:2: reports.path: "/r%2Fx" has a character other than`},
		{"[reports]\nmax_body = 100", `p.toml:2: reports.max_body: 100 bytes is not between 1KiB and 1MiB`},
		{"[reports]\nmax_body = \"2MiB\"", `p.toml:2: reports.max_body: 2097152 bytes is not between 1KiB and 1MiB`},
		{"[reports]\nrate = 0", `p.toml:2: reports.rate: must be at least 1`},
		{"[reports]\nrate = 1.5", `p.toml:2: reports.rate: must be an integer, not a float`},
		{"reports = true", `p.toml:1: reports: must be a table, not a boolean`},
	} {
		_, err := Parse("p.toml", []byte(tc.file+"\n"+minimalSite))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s", tc.file, err, tc.want)
		}
		if err != nil && strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("%q: more than one problem:\n%v", tc.file, err)
		}
	}
}
