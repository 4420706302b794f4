package config

import "time"

// ParseDuration parses a duration as the configuration file writes it:
// Go syntax with an optional leading number of days ("14d", "1d12h",
// "36h"). Negative durations are refused.
func ParseDuration(s string) (time.Duration, error) { return parseDuration(s) }

// FormatDuration writes a duration as the configuration file would, with
// days where they fit ("14d", "36h").
func FormatDuration(d time.Duration) string { return formatDuration(d) }
