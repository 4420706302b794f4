package reports_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/reports"
	"github.com/portcullis/portcullis/store"
)

// A site's report endpoint: reports go through a Queue into the store,
// events to the bus.
func Example() {
	dir, _ := os.MkdirTemp("", "portcullis")
	defer os.RemoveAll(dir)
	st, err := store.Open(datadir.Dir(dir), store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	q := store.NewQueue(st, store.QueueOptions{})

	var bus events.Bus
	bus.Subscribe(func(e events.Event) { fmt.Println("event:", e.Type, e.Rule, e.Message) })
	mux := http.NewServeMux()
	mux.Handle(reports.DefaultPath, reports.New(reports.Options{Site: "app", Store: q, Events: bus.Emit}))

	// What Chromium POSTs for a policy with report-uri /_portcullis/reports.
	body := `{"csp-report":{"document-uri":"https://example.com/login?next=%2F","referrer":"",` +
		`"violated-directive":"script-src-elem","effective-directive":"script-src-elem",` +
		`"original-policy":"script-src 'self'; report-uri /_portcullis/reports","disposition":"enforce",` +
		`"blocked-uri":"https://evil.example/x.js?t=1","status-code":200,"script-sample":""}}`
	r := httptest.NewRequest(http.MethodPost, "https://example.com"+reports.DefaultPath, strings.NewReader(body))
	r.Header.Set("Content-Type", reports.ContentTypeCSP)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println("status:", w.Code)

	q.Close()
	aggs, _ := st.Reports(store.ReportQuery{Site: "app"})
	for _, a := range aggs {
		fmt.Println("stored:", a.Type, a.Directive, a.Blocked, a.Document, a.Count)
	}
	// Output:
	// event: report.received script-src-elem csp-violation: script-src-elem blocked https://evil.example on /login
	// status: 204
	// stored: csp-violation script-src-elem https://evil.example /login 1
}
