// Package monitoring holds no code: it is the home of portcullis's Grafana
// dashboard (grafana-dashboard.json) and Prometheus alerting rules
// (prometheus-rules.yml, with their unit tests), whose Go tests check them
// with promtool and against the metrics a running server really exposes
// (docs/monitoring.md).
package monitoring
