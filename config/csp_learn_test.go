package config

import (
	"strings"
	"testing"

	"github.com/portcullis/portcullis/shield"
)

// TestCSPLearn: [csp] learn and learn_sample reach shield, inherited and
// overridden like every policy key, and reach it reporting to the
// collector by default.
func TestCSPLearn(t *testing.T) {
	cfg, err := Parse("learn.toml", []byte(`
[defaults.csp]
learn = true

[[site]]
name = "a"
hosts = ["a.example.com"]
upstream = "http://127.0.0.1:8000"

[[site]]
name = "b"
hosts = ["b.example.com"]
upstream = "http://127.0.0.1:8001"
[site.policy.csp]
learn_sample = 1.0

[[site]]
name = "c"
hosts = ["c.example.com"]
upstream = "http://127.0.0.1:8002"
[site.policy.csp]
learn = false
`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		learn  bool
		sample float64
	}{{true, 0}, {true, 1}, {false, 0}} {
		o, err := cfg.ShieldOptions(&cfg.Sites[i])
		if err != nil {
			t.Fatal(err)
		}
		if o.CSP.Learn != want.learn || o.CSP.LearnSample != want.sample || o.CSP.ReportURI != "/_portcullis/reports" {
			t.Errorf("site %s: learn %v, sample %v, report URI %q; want %v, %v", cfg.Sites[i].Name, o.CSP.Learn, o.CSP.LearnSample, o.CSP.ReportURI, want.learn, want.sample)
		}
		if want.learn && shield.LearnPolicy(o) == nil {
			t.Errorf("site %s: no learning policy", cfg.Sites[i].Name)
		}
	}
}

func TestCSPLearnBad(t *testing.T) {
	site := "[[site]]\nname = \"a\"\nhosts = [\"a.example.com\"]\nupstream = \"http://127.0.0.1:8000\"\n"
	for _, tt := range []struct{ doc, want string }{
		{"[defaults.csp]\nlearn_sample = 1\n" + site,
			`bad.toml:2: defaults.csp.learn_sample: must be a float such as 0.33 (written with a decimal point), not an integer`},
		{"[defaults.csp]\nlearn = true\nlearn_sample = 0.0\n" + site,
			`bad.toml:3: defaults.csp.learn_sample: 0 is not between 0 and 1`},
		{"[defaults.csp]\nlearn = true\nlearn_sample = 1.5\n" + site,
			`bad.toml:3: defaults.csp.learn_sample: 1.5 is not between 0 and 1`},
		{"[defaults.csp]\nlearn = \"yes\"\n" + site,
			`bad.toml:2: defaults.csp.learn: must be true or false`},
		{"[reports]\nenabled = false\n[defaults.csp]\nlearn = true\n" + site,
			`bad.toml:4: site "a": csp.learn: no ReportURI: the learning policy's violations would be reported nowhere`},
		{"[defaults.csp]\nlearn = true\nreport_only = \"strict\"\n" + site,
			`bad.toml:2: site "a": csp.learn: a ReportOnly policy is set`},
	} {
		_, err := Parse("bad.toml", []byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s\n got %v\nwant %s", tt.doc, err, tt.want)
		}
	}
}
