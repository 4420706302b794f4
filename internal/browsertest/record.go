package browsertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// Exchange is one HTTP request the page made and what came of it: a
// response, a redirect (each hop of a chain is an Exchange of its own) or
// an error.
type Exchange struct {
	// Method and URL are the request's.
	Method, URL string
	// Type is the resource type Chromium gives it: "Document", "Script",
	// "Stylesheet", "Image", "Fetch", "XHR", "Other"…
	Type string
	// Status is the response's status code, 0 when there was none.
	Status int
	// Header holds the response's headers. For a redirect Chromium made
	// itself without asking the network, such as an HSTS upgrade (a 307
	// with Non-Authoritative-Reason: HSTS), they are the ones it made up.
	Header http.Header
	// Location is where a redirect sent the browser, "" otherwise.
	Location string
	// Remote is the address Chromium connected to ("127.0.0.1:443"); ""
	// for a response that did not come from the network.
	Remote string
	// Error is why the request failed: Chromium's net error
	// ("net::ERR_CERT_AUTHORITY_INVALID"), or "blocked: csp" (the reason
	// Chromium blocked it); "" when it did not fail.
	Error string

	frame cdp.FrameID
}

// Redirect reports whether the exchange is a redirect.
func (e Exchange) Redirect() bool { return e.Location != "" }

// HSTSUpgrade reports whether the exchange is Chromium's internal upgrade
// of an http:// URL to https:// because the host is a known HSTS host: a
// 307 with the response header "Non-Authoritative-Reason: HSTS" that no
// server sent.
func (e Exchange) HSTSUpgrade() bool {
	return e.Status == http.StatusTemporaryRedirect && e.Header.Get("Non-Authoritative-Reason") == "HSTS"
}

// String renders the exchange as "GET http://app.test/ → 308
// https://app.test/", "GET https://app.test/ → 200" or "GET
// https://x.test/ → net::ERR_NAME_NOT_RESOLVED"; an internal redirect is
// marked with its reason, "(internal: HSTS)".
func (e Exchange) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s →", e.Method, e.URL)
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d", e.Status)
	}
	if r := e.Header.Get("Non-Authoritative-Reason"); r != "" {
		fmt.Fprintf(&b, " (internal: %s)", r)
	}
	if e.Location != "" {
		fmt.Fprintf(&b, " %s", e.Location)
	}
	if e.Error != "" {
		fmt.Fprintf(&b, " %s", e.Error)
	}
	return b.String()
}

// Message is something the page or the browser reported on the console: a
// call of the console API, an uncaught exception, or an entry of the
// browser's log (CSP violations, mixed content, failed loads, deprecations…).
type Message struct {
	// Source is "console" for a console API call, "exception" for an
	// uncaught exception, and for a log entry the part of the browser that
	// wrote it: "security" (CSP, mixed content), "network", "javascript",
	// "deprecation", "intervention", "recommendation", "other"…
	Source string
	// Level is "error", "warning", "info" or "verbose". console.error and
	// console.assert are errors, console.warn warnings, console.debug
	// verbose, the other console calls info; exceptions are errors.
	Level string
	// Text is the message as the DevTools console shows it.
	Text string
	// URL and Line tell where it came from, when known (Line from 1; 0
	// when unknown).
	URL  string
	Line int
}

// String renders the message as "error (security): Refused to load…
// [https://app.test/ line 3]".
func (m Message) String() string {
	s := fmt.Sprintf("%s (%s): %s", m.Level, m.Source, m.Text)
	switch {
	case m.URL != "" && m.Line > 0:
		s += fmt.Sprintf(" [%s line %d]", m.URL, m.Line)
	case m.URL != "":
		s += " [" + m.URL + "]"
	}
	return s
}

// Problem reports whether the message is an error or a warning.
func (m Message) Problem() bool { return m.Level == "error" || m.Level == "warning" }

// recorder keeps what a tab reported. Its handle method runs on chromedp's
// reading goroutine, before the reply to the command that caused the
// events, so a caller that reads it after a command sees the command's
// events.
type recorder struct {
	mu        sync.Mutex
	exchanges []Exchange
	pending   map[network.RequestID]*Exchange
	done      map[network.RequestID]int // index in exchanges of a finished request's response
	messages  []Message
}

func newRecorder() *recorder {
	return &recorder{pending: map[network.RequestID]*Exchange{}, done: map[network.RequestID]int{}}
}

func (r *recorder) handle(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Request == nil {
			return
		}
		if p := r.pending[ev.RequestID]; p != nil && ev.RedirectResponse != nil {
			setResponse(p, ev.RedirectResponse)
			r.exchanges = append(r.exchanges, *p)
		}
		delete(r.done, ev.RequestID)
		r.pending[ev.RequestID] = &Exchange{Method: ev.Request.Method, URL: ev.Request.URL + ev.Request.URLFragment, Type: string(ev.Type), frame: ev.FrameID}
	case *network.EventResponseReceived:
		p := r.pending[ev.RequestID]
		if p == nil || ev.Response == nil {
			return
		}
		setResponse(p, ev.Response)
		r.done[ev.RequestID] = len(r.exchanges)
		r.exchanges = append(r.exchanges, *p)
		delete(r.pending, ev.RequestID)
	case *network.EventLoadingFailed:
		msg := ev.ErrorText
		if ev.BlockedReason != "" {
			msg = "blocked: " + string(ev.BlockedReason)
		}
		if msg == "" {
			msg = "failed"
		}
		if i, ok := r.done[ev.RequestID]; ok { // the body failed after the headers came
			r.exchanges[i].Error = msg
			return
		}
		if p := r.pending[ev.RequestID]; p != nil {
			p.Error = msg
			r.exchanges = append(r.exchanges, *p)
			delete(r.pending, ev.RequestID)
		}
	case *runtime.EventConsoleAPICalled:
		m := Message{Source: "console", Level: consoleLevel(string(ev.Type)), Text: argsText(ev.Args)}
		if st := ev.StackTrace; st != nil && len(st.CallFrames) > 0 {
			m.URL, m.Line = st.CallFrames[0].URL, int(st.CallFrames[0].LineNumber)+1
		}
		r.messages = append(r.messages, m)
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		if d == nil {
			return
		}
		text := d.Text
		if d.Exception != nil {
			desc, _, _ := strings.Cut(argText(d.Exception), "\n    at ")
			text = strings.TrimSpace(text + " " + desc)
		}
		r.messages = append(r.messages, Message{Source: "exception", Level: "error", Text: text, URL: d.URL, Line: int(d.LineNumber) + 1})
	case *log.EventEntryAdded:
		e := ev.Entry
		if e == nil {
			return
		}
		m := Message{Source: string(e.Source), Level: string(e.Level), Text: e.Text, URL: e.URL}
		if e.LineNumber > 0 {
			m.Line = int(e.LineNumber) + 1
		}
		r.messages = append(r.messages, m)
	}
}

// setResponse copies what the exchange needs from a response.
func setResponse(e *Exchange, resp *network.Response) {
	e.Status = int(resp.Status)
	e.Header = headers(resp.Headers)
	if e.Status >= 300 && e.Status < 400 {
		e.Location = e.Header.Get("Location")
	}
	if resp.RemoteIPAddress != "" {
		ip := resp.RemoteIPAddress
		if strings.Contains(ip, ":") && !strings.HasPrefix(ip, "[") {
			ip = "[" + ip + "]"
		}
		e.Remote = fmt.Sprintf("%s:%d", ip, resp.RemotePort)
	}
}

// headers converts the protocol's headers, whose repeated fields are joined
// with newlines, into an http.Header.
func headers(h network.Headers) http.Header {
	out := make(http.Header, len(h))
	for k, v := range h {
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v)
		}
		for line := range strings.SplitSeq(s, "\n") {
			out.Add(k, line)
		}
	}
	return out
}

// consoleLevel maps a console API call type to a Message level.
func consoleLevel(typ string) string {
	switch typ {
	case "error", "assert":
		return "error"
	case "warning":
		return "warning"
	case "debug":
		return "verbose"
	}
	return "info"
}

// argsText renders console arguments separated by spaces, as the console
// shows them (format specifiers are not applied).
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		parts = append(parts, argText(a))
	}
	return strings.Join(parts, " ")
}

// argText renders one value the page sent: a string as it is, another
// JSON value as JSON, else the browser's description of it.
func argText(a *runtime.RemoteObject) string {
	if a == nil {
		return "undefined"
	}
	if len(a.Value) > 0 {
		if a.Type == runtime.RemoteObjectTypeString {
			var s string
			if json.Unmarshal(a.Value, &s) == nil {
				return s
			}
		}
		return string(a.Value)
	}
	switch {
	case a.UnserializableValue != "":
		return string(a.UnserializableValue)
	case a.Description != "":
		return a.Description
	}
	return string(a.Type)
}
