package alert

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/config"
)

// TestDefaultRulesDocumented keeps docs/config.md's "Built-in rules" block
// true: parsed as a configuration, its [[alerts.rule]] tables are
// DefaultRules.
func TestDefaultRulesDocumented(t *testing.T) {
	t.Parallel()
	md, err := os.ReadFile("../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(md), "\n#### Built-in rules\n")
	if !ok {
		t.Fatal(`docs/config.md has no "#### Built-in rules" section`)
	}
	_, rest, ok = strings.Cut(rest, "```toml\n")
	block, _, ok2 := strings.Cut(rest, "\n```\n")
	if !ok || !ok2 {
		t.Fatal(`no TOML block under "#### Built-in rules"`)
	}
	cfg, err := config.Parse("docs/config.md", []byte(block))
	if err != nil {
		t.Fatal(err)
	}
	var got []Rule
	for _, r := range cfg.Alerts.Rules {
		got = append(got, ruleOf(r))
	}
	if want := DefaultRules(); !reflect.DeepEqual(got, want) {
		t.Errorf("docs/config.md's built-in rules:\n  %+v\nDefaultRules:\n  %+v", got, want)
	}
}
