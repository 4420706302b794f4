package config

import (
	"slices"
	"strings"
	"testing"
)

// TestAlertRuleShapes checks the messages for [alerts] keys that are not
// what they should be, and for keys only a webhook uses.
func TestAlertRuleShapes(t *testing.T) {
	t.Parallel()
	const site = "\n[[site]]\nhosts = [\"app.example.com\"]\nupstream = \"demo\"\n"
	tests := []struct {
		name, text string
		want       []string
	}{
		{"rule is a string", "[alerts]\nwebhook = \"https://h.example/\"\nrule = \"hosts\"\n", []string{
			`a.toml:3: alerts.rule: must be an array of tables ([[alerts.rule]]), not a string`,
		}},
		{"rule is empty", "[alerts]\nwebhook = \"https://h.example/\"\nrule = []\n", []string{
			`a.toml:3: alerts.rule: is empty: leave it out for the built-in rules, or add [[alerts.rule]] tables`,
		}},
		{"rule items are not tables", "[alerts]\nwebhook = \"https://h.example/\"\nrule = [1, {name = \"x\", events = [\"cert.*\"]}]\n", []string{
			`a.toml:3: alerts.rule: item 1: must be a table, not an integer`,
		}},
		{"rule keys of the wrong type", "[alerts]\nwebhook = \"https://h.example/\"\n[[alerts.rule]]\nname = 1\nevents = [\"cert.*\", 2]\nthreshold = \"10\"\nwindow = true\nper = 3\nmin_severity = 4\n", []string{
			`a.toml:4: alerts.rule[1].name: must be a string, not an integer`,
			`a.toml:5: alerts.rule[1].events: item 2: must be a string, not an integer`,
			`a.toml:6: alerts.rule[1].threshold: must be an integer, not a string`,
			`a.toml:7: alerts.rule[1].window: must be a duration such as "90d" or "30s", or a number of seconds, not a boolean`,
			`a.toml:8: alerts.rule[1].per: must be a string, not an integer`,
			`a.toml:9: alerts.rule[1].min_severity: must be a string, not an integer`,
		}},
		{"without a webhook", "[alerts]\nformat = \"slack\"\n[[alerts.rule]]\nname = \"x\"\nevents = [\"cert.*\"]\n", []string{
			`a.toml:2: alerts.format: only used with alerts.webhook (it is the shape of the webhook's requests)`,
			`a.toml:3: alerts.rule: only used with alerts.webhook (alerts are sent to it; without it every event is only logged)`,
		}},
		{"a valid rule set", "[alerts]\nwebhook = \"https://h.example/\"\n[[alerts.rule]]\nname = \"x\"\nevents = [\"cert.*\", \"tls.refused\"]\nthreshold = 3\nwindow = 60\nper = \"site\"\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("a.toml", []byte(tt.text+site))
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
