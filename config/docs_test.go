package config

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// tomlBlocks returns the ```toml blocks of a Markdown file, and the
// heading above each.
func tomlBlocks(t *testing.T, md string) (blocks, headings []string) {
	t.Helper()
	heading := ""
	var cur *strings.Builder
	for line := range strings.SplitSeq(md, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "#"):
			heading = line
		case cur == nil && line == "```toml":
			cur = &strings.Builder{}
		case cur != nil && line == "```":
			blocks, headings = append(blocks, cur.String()), append(headings, heading)
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	if cur != nil {
		t.Fatal("unterminated code block")
	}
	return blocks, headings
}

// TestDocs keeps docs/config.md true: its complete example is
// testdata/full.toml, every TOML block in it is a valid configuration, and
// every key the decoder knows is documented.
func TestDocs(t *testing.T) {
	md, err := os.ReadFile("../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("APP_UPSTREAM", "http://127.0.0.1:8000")
	t.Setenv("CSP_REPORT_URI", "https://example.com/csp-reports")
	t.Setenv("ZEROSSL_EAB_MAC_KEY", testMACKey)
	t.Setenv("BACKUP_PASSPHRASE", "correct horse battery staple")
	setFullEnv(t)
	blocks, headings := tomlBlocks(t, string(md))
	i := slices.Index(headings, "## Complete example")
	if i < 0 || blocks[i] != string(full) {
		t.Errorf("the block under \"## Complete example\" is not testdata/full.toml")
	}
	for i, b := range blocks {
		// Named as if in testdata, so that relative paths (ca_root) resolve
		// as for testdata/full.toml.
		if _, err := Parse("testdata/config.md block "+strconv.Itoa(i+1), []byte(b)); err != nil {
			t.Errorf("TOML block %d (under %q) is not a valid configuration:\n%v", i+1, headings[i], err)
		}
	}

	// Decode the complete example recording every key asked for: all of
	// them, since it has every table.
	known := map[string]bool{}
	cfg, err := parse("testdata/full.toml", full, os.LookupEnv, known)
	if err != nil {
		t.Fatal(err)
	}
	if len(known) < 120 {
		t.Fatalf("only %d keys known; the complete example lacks tables", len(known))
	}
	// Policy keys read the same in [defaults] and a site's policy, and
	// [acme.fallback] has the keys of [acme]'s CA: documented and set
	// once for both.
	name := func(k string) string {
		for _, prefix := range []string{"defaults.", "site.policy."} {
			k = strings.TrimPrefix(k, prefix)
		}
		if rest, ok := strings.CutPrefix(k, "acme.fallback."); ok {
			k = "acme." + rest
		}
		return k
	}
	// Keys the complete example cannot set along with another one.
	exclusive := map[string]string{"backup.passphrase": "backup.recipients",
		"cluster.addrs": "cluster.redis", "cluster.sentinel_master": "cluster.redis", "cluster.sentinel_addrs": "cluster.redis", "cluster.tls": "cluster.redis"}
	set := map[string]bool{}
	for path := range cfg.lines {
		set[name(genericKey(path))] = true
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z_.]+)`").FindAllStringSubmatch(string(md), -1) {
		documented[m[1]] = true
	}
	for k := range known {
		if !documented[name(k)] {
			t.Errorf("key %s is not documented in docs/config.md (as `%s`)", k, name(k))
		}
		if alt, ok := exclusive[k]; ok {
			if set[k] || !set[alt] {
				t.Errorf("the complete example must set %s, not %s (they are exclusive)", alt, k)
			}
			continue
		}
		if !set[name(k)] {
			t.Errorf("key %s is not set in the complete example", k)
		}
	}
}
