package browsertest

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chromedp/cdproto/runtime"
)

// FuzzHostRule: a name either is refused, with an error quoting it, or
// becomes exactly one rule "MAP name addr" whose name holds nothing that
// could start another rule (only lower-case letters, digits, dots, hyphens
// and a leading "*."), for a loopback address.
func FuzzHostRule(f *testing.F) {
	for _, seed := range []struct {
		name string
		addr []byte
	}{
		{"app.test", []byte{127, 0, 0, 1}},
		{"*.app.test", []byte{127, 9, 8, 7}},
		{"demo.test", netip.MustParseAddr("::1").AsSlice()},
		{"intranet", netip.MustParseAddr("::ffff:127.0.0.2").AsSlice()},
		{"a.test, MAP evil.test 10.0.0.1", []byte{127, 0, 0, 1}},
		{"a.test 10.0.0.1", []byte{127, 0, 0, 1}},
		{"App.Test", []byte{127, 0, 0, 1}},
		{"127.0.0.1", []byte{127, 0, 0, 1}},
		{"localhost", []byte{127, 0, 0, 1}},
		{"a..b", []byte{127, 0, 0, 1}},
		{"-a.test", []byte{127, 0, 0, 1}},
		{"*", []byte{127, 0, 0, 1}},
		{"*.*.test", []byte{127, 0, 0, 1}},
		{"a.test", []byte{10, 0, 0, 1}},
		{"a.test", nil},
		{"", []byte{127, 0, 0, 1}},
		{"é.test", []byte{127, 0, 0, 1}},
		{strings.Repeat("a", 64) + ".test", []byte{127, 0, 0, 1}},
	} {
		f.Add(seed.name, seed.addr)
	}
	f.Fuzz(func(t *testing.T, name string, raw []byte) {
		addr, _ := netip.AddrFromSlice(raw)
		rule, err := hostRule(name, addr)
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(name)) {
				t.Fatalf("error %q does not name the host %q", err, name)
			}
			if _, err2 := hostRules(map[string]netip.Addr{name: addr}); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("hostRules disagrees: %v vs %v", err2, err)
			}
			return
		}
		if !addr.Unmap().IsLoopback() {
			t.Fatalf("accepted non-loopback %s", addr)
		}
		fields := strings.Fields(rule)
		if len(fields) != 3 || fields[0] != "MAP" || fields[1] != name || strings.Contains(rule, ",") {
			t.Fatalf("rule %q for %q is not one MAP rule for the name", rule, name)
		}
		got, err := netip.ParseAddr(strings.Trim(fields[2], "[]"))
		if err != nil || got != addr.Unmap() {
			t.Fatalf("rule %q maps to %v (%v), want %v", rule, got, err, addr.Unmap())
		}
		n := strings.TrimPrefix(name, "*.")
		if strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" || len(n) > 253 || n == "" {
			t.Fatalf("accepted name %q", name)
		}
		all, err := hostRules(map[string]netip.Addr{name: addr})
		if err != nil || all != rule+", MAP * ~NOTFOUND, EXCLUDE localhost" {
			t.Fatalf("hostRules = %q, %v", all, err)
		}
	})
}

// FuzzArgText: any value the page sends renders without panic; a string
// renders as itself, another JSON value as its JSON text.
func FuzzArgText(f *testing.F) {
	for _, seed := range []struct{ typ, value, desc string }{
		{"string", `"boom"`, ""},
		{"string", `"line\nbreak \u00e9 \ud83d\ude00"`, ""},
		{"string", `"unterminated`, ""},
		{"number", `42`, "42"},
		{"object", ``, "Object"},
		{"object", `{"a":[1,2]}`, ""},
		{"undefined", ``, ""},
		{"number", ``, ""},
		{"bigint", ``, ""},
		{"string", "\xff", ""},
	} {
		f.Add(seed.typ, []byte(seed.value), seed.desc)
	}
	f.Fuzz(func(t *testing.T, typ string, value []byte, desc string) {
		o := &runtime.RemoteObject{Type: runtime.RemoteObjectType(typ), Value: value, Description: desc}
		got := argText(o)
		var s string
		switch {
		case len(value) == 0 && desc != "":
			if got != desc {
				t.Fatalf("no value, description %q: got %q", desc, got)
			}
		case len(value) == 0:
			if got != typ {
				t.Fatalf("nothing but the type %q: got %q", typ, got)
			}
		case typ == "string" && json.Unmarshal(value, &s) == nil:
			if got != s {
				t.Fatalf("string %s: got %q, want %q", value, got, s)
			}
		default:
			if got != string(value) {
				t.Fatalf("value %q of type %q: got %q", value, typ, got)
			}
		}
		// Any valid string survives the trip through the protocol's JSON.
		if utf8.ValidString(desc) {
			q, _ := json.Marshal(desc)
			if back := argText(&runtime.RemoteObject{Type: "string", Value: q}); back != desc {
				t.Fatalf("string %q came back as %q", desc, back)
			}
		}
		if argsText([]*runtime.RemoteObject{o, nil}) != got+" undefined" {
			t.Fatalf("argsText does not join the parts with a space")
		}
	})
}

// FuzzHeaders: a header value with the protocol's newline-joined repeated
// fields comes apart into as many values, which join back into it.
func FuzzHeaders(f *testing.F) {
	f.Add("Set-Cookie", "a=1\nb=2")
	f.Add("location", "/x")
	f.Add("x-empty", "")
	f.Add("weird key", "\n\n")
	f.Add("", "v")
	f.Fuzz(func(t *testing.T, key, value string) {
		h := headers(map[string]any{key: value})
		vs := h.Values(key)
		if len(vs) != strings.Count(value, "\n")+1 || strings.Join(vs, "\n") != value {
			t.Fatalf("%q: %q came apart into %q", key, value, vs)
		}
	})
}
