package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/events"
)

// TestAuditConfig: the defaults, the complete example, and 0 for no
// schedule.
func TestAuditConfig(t *testing.T) {
	c, err := Parse("p.toml", []byte(minimalSite))
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Audit; !a.Enabled || a.Every != DefaultAuditEvery || a.AlertOn != events.Medium || a.Timeout != DefaultAuditTimeout || a.Paths != nil {
		t.Errorf("defaults: %+v", a)
	}
	if d := Default().Audit; !d.Enabled || d.Every != DefaultAuditEvery {
		t.Errorf("Default(): %+v", d)
	}
	setFullEnv(t)
	if c, err = Load("testdata/full.toml"); err != nil {
		t.Fatal(err)
	}
	if a := c.Audit; !a.Enabled || a.Every != 12*time.Hour || a.AlertOn != events.Low || a.Timeout != 5*time.Minute || !slices.Equal(a.Paths, []string{"/login"}) {
		t.Errorf("full.toml: %+v", a)
	}
	c, err = Parse("p.toml", []byte("[audit]\nenabled = false\nevery = 0\nalert_on = \"error\"\n"+minimalSite))
	if err != nil || c.Audit.Enabled || c.Audit.Every != 0 || c.Audit.AlertOn != events.High {
		t.Errorf("enabled = false, every = 0: %+v, %v", c.Audit, err)
	}
}

// TestAuditConfigBad: every bad value is reported at its line.
func TestAuditConfigBad(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"[audit]\nevery = \"1m\"", `p.toml:2: audit.every: 1m0s is shorter than 10m0s`},
		{"[audit]\nevery = \"-1h\"", `p.toml:2: audit.every: "-1h" is negative`},
		{"[audit]\ntimeout = 0", `p.toml:2: audit.timeout: must be positive`},
		{"[audit]\nalert_on = \"severe\"", `p.toml:2: audit.alert_on:`},
		{"[audit]\nenabled = \"no\"", `p.toml:2: audit.enabled: must be true or false, not a string`},
		{"[audit]\npaths = [\"login\"]", `p.toml:2: audit.paths: item 1: "login" is not an absolute path`},
		{"[audit]\npaths = [\"/a\", \"/b c\"]", `p.toml:2: audit.paths: item 2: "/b c" is not an absolute path`},
		{"[audit]\npaths = [" + strings.Repeat(`"/x", `, 21) + "]", `p.toml:2: audit.paths: 21 paths: at most 20`},
		{"[audit]\nevry = \"1d\"", `p.toml:2: audit.evry: unknown key (did you mean "every"?)`},
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
