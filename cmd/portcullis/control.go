package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/store"
)

// The control socket: `serve` answers HTTP on a unix socket in its data
// directory (datadir.Dir.Socket), so that `portcullis reload` can ask it
// to reload and learn whether that worked, which a signal cannot say.
// Only the directory's owner can reach it: the socket is 0600 in a 0700
// directory. Go supports unix sockets on Windows too.
//
//	POST /reload   200 {"ok":true,"sites":N}, or 422 {"ok":false,"error":"…"}
//	GET /reports   200 [aggregate…] (store.Aggregate) for ?site=&type=&since=RFC3339&limit=

// The control socket's endpoints.
const (
	reloadPath  = "/reload"
	reportsPath = "/reports"
)

// control is what the control socket serves.
type control struct {
	// reload reloads the configuration, reporting the sites it serves.
	reload func() (sites int, err error)
	// reports reads the store's aggregated browser reports.
	reports func(store.ReportQuery) ([]store.Aggregate, error)
}

// reloadResult is the answer to POST /reload.
type reloadResult struct {
	OK    bool   `json:"ok"`
	Sites int    `json:"sites,omitempty"`
	Error string `json:"error,omitempty"`
}

// reloadTimeout bounds how long `portcullis reload` waits for the answer:
// a reload builds every site (and may open certificate storage) first.
const reloadTimeout = 2 * time.Minute

// listenControl serves the control socket of d until the returned closer
// is called, which also removes the socket file. The caller holds d's
// lock, so a socket file already there was left by a process that was
// killed: it is replaced.
func listenControl(d datadir.Dir, ctl control, log *slog.Logger) (io.Closer, error) {
	path := d.Socket()
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	// The directory is 0700 already; the socket's own mode says the same
	// to anyone who looks. Windows has no such bits.
	if runtime.GOOS != "windows" {
		if err := os.Chmod(path, 0o600); err != nil {
			ln.Close()
			return nil, err
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+reloadPath, func(w http.ResponseWriter, r *http.Request) {
		res, code := reloadResult{OK: true}, http.StatusOK
		n, err := ctl.reload()
		if err != nil {
			res, code = reloadResult{Error: err.Error()}, http.StatusUnprocessableEntity
		}
		res.Sites = n
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(res)
	})
	mux.HandleFunc("GET "+reportsPath, func(w http.ResponseWriter, r *http.Request) {
		q, err := parseReportQuery(r.URL.Query())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		aggs, err := ctl.reports(q)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(aggs)
	})
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	go srv.Serve(ln)
	var once sync.Once
	return closer(func() error {
		var err error
		once.Do(func() {
			err = srv.Close() // closes the listener, which removes the socket file
			os.Remove(path)
		})
		return err
	}), nil
}

type closer func() error

func (c closer) Close() error { return c() }

func newReloadCmd() *cobra.Command {
	var data string
	c := &cobra.Command{
		Use:   "reload [flags]",
		Short: "Make a running serve reload its configuration, and say whether it worked",
		Long: `reload asks the serve running on a data directory, through its control socket, to read its
configuration again (from the same file or flags) and swap it in without dropping a connection —
what SIGHUP does — and prints the outcome.

Exit status: 0 reloaded; 1 when the new configuration was refused (the errors are printed, and the
running configuration stays in service) or when no serve runs on the data directory.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return reloadServe(datadir.Dir(data), cmd.OutOrStdout())
		},
	}
	c.Flags().StringVar(&data, "data", datadir.Default().String(), "data directory of the running serve")
	c.MarkFlagDirname("data")
	return c
}

// reloadServe asks the serve on d to reload.
func reloadServe(d datadir.Dir, stdout io.Writer) error {
	client := &http.Client{
		Transport: &http.Transport{
			DialContext: (&controlDialer{path: d.Socket()}).dial,
		},
		Timeout: reloadTimeout,
	}
	resp, err := client.Post("http://portcullis"+reloadPath, "", nil)
	if err != nil {
		var de *dialError
		if errors.As(err, &de) {
			return fmt.Errorf("no running portcullis serve on %s (nothing answers on %s)", d, d.Socket())
		}
		return fmt.Errorf("portcullis serve on %s: %w", d, err)
	}
	defer resp.Body.Close()
	var res reloadResult
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&res); err != nil {
		return fmt.Errorf("portcullis serve on %s answered %s, not a reload result: %v", d, resp.Status, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK && res.OK:
		fmt.Fprintf(stdout, "reloaded: %s served (portcullis serve on %s)\n", plural(res.Sites, "site"), d)
		return nil
	case res.Error != "":
		return fmt.Errorf("reload failed; the running configuration stays in service:\n%s", res.Error)
	}
	return fmt.Errorf("portcullis serve on %s answered %s", d, resp.Status)
}

// controlDialer connects to the control socket whatever address the
// HTTP client asks for, and marks a failure to connect as such.
type controlDialer struct{ path string }

func (c *controlDialer) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.path)
	if err != nil {
		return nil, &dialError{err}
	}
	return conn, nil
}

// dialError is a failure to reach the control socket: nobody serves on
// the data directory (no socket file, or nobody listening on it).
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// plural writes "1 site", "2 sites".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
