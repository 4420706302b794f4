package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/store"
)

func newReportsCmd() *cobra.Command {
	var (
		data, site, typ, format string
		since                   time.Duration
		limit                   int
	)
	c := &cobra.Command{
		Use:   "reports [flags]",
		Short: "List the CSP violations and other browser reports sites received, aggregated",
		Long: `reports lists what browsers sent to the sites' report collector (/_portcullis/reports): CSP
violations (report-uri and the Reporting API) and other Reporting API reports, aggregated by site,
type, directive, blocked origin and document path, with counts and first and last seen, most
recently seen first.

It asks the serve running on the data directory, through its control socket; when none runs,
it reads the store in the data directory itself.`,
		Example: `  portcullis reports --since 24h
  portcullis reports --site shop --type csp-violation --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageError{fmt.Sprintf("--format %q: use text or json", format)}
			}
			if since < 0 {
				return usageError{"--since is negative"}
			}
			q := store.ReportQuery{Site: site, Type: typ, Limit: limit}
			if since > 0 {
				q.Since = time.Now().Add(-since)
			}
			aggs, err := readReports(datadir.Dir(data), q)
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(aggs)
			}
			writeReports(cmd.OutOrStdout(), aggs)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&data, "data", datadir.Default().String(), "data directory of the serve that collected them")
	f.StringVar(&site, "site", "", "only this site's reports")
	f.StringVar(&typ, "type", "", "only reports of this type (csp-violation, permissions-policy-violation, …)")
	f.DurationVar(&since, "since", 0, "only reports seen within this duration (e.g. 24h); 0: all kept")
	f.IntVar(&limit, "limit", 0, fmt.Sprintf("at most this many aggregates (0: %d)", store.DefaultLimit))
	f.StringVar(&format, "format", "text", "output: text or json")
	c.MarkFlagDirname("data")
	return c
}

// readReports asks the serve on d, or reads d's store when none runs.
func readReports(d datadir.Dir, q store.ReportQuery) ([]store.Aggregate, error) {
	client := &http.Client{Transport: &http.Transport{DialContext: (&controlDialer{path: d.Socket()}).dial}, Timeout: time.Minute}
	resp, err := client.Get("http://portcullis" + reportsPath + "?" + reportQueryValues(q).Encode())
	var de *dialError
	switch {
	case errors.As(err, &de):
		st, err := store.Open(d, store.Options{SweepInterval: -1})
		if err != nil {
			return nil, fmt.Errorf("no running portcullis serve on %s, and its store cannot be read: %w", d, err)
		}
		defer st.Close()
		return st.Reports(q)
	case err != nil:
		return nil, fmt.Errorf("portcullis serve on %s: %w", d, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("portcullis serve on %s answered %s: %s", d, resp.Status, msg)
	}
	var aggs []store.Aggregate
	if err := json.NewDecoder(resp.Body).Decode(&aggs); err != nil {
		return nil, fmt.Errorf("portcullis serve on %s: %w", d, err)
	}
	return aggs, nil
}

// reportQueryValues and parseReportQuery carry a store.ReportQuery over
// the control socket.
func reportQueryValues(q store.ReportQuery) url.Values {
	v := url.Values{}
	if q.Site != "" {
		v.Set("site", q.Site)
	}
	if q.Type != "" {
		v.Set("type", q.Type)
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

func parseReportQuery(v url.Values) (store.ReportQuery, error) {
	q := store.ReportQuery{Site: v.Get("site"), Type: v.Get("type")}
	if s := v.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return q, fmt.Errorf("since: %w", err)
		}
		q.Since = t
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, fmt.Errorf("limit %q is not a count", s)
		}
		q.Limit = n
	}
	return q, nil
}

// writeReports prints one aggregate a line, most recently seen first.
func writeReports(w io.Writer, aggs []store.Aggregate) {
	if len(aggs) == 0 {
		fmt.Fprintln(w, "no reports")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COUNT\tLAST SEEN\tSITE\tTYPE\tDIRECTIVE\tBLOCKED\tDOCUMENT")
	for _, a := range aggs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Count, a.Last.UTC().Format(time.RFC3339), a.Site, a.Type,
			dash(a.Directive), dash(a.Blocked), dash(a.Document))
	}
	tw.Flush()
}
