package rules

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGet(t *testing.T) {
	tests := []struct {
		id     string
		wantOK bool
	}{
		{"hsts.missing", true},
		{"cert.expired", true},
		{"", false},
		{"hsts", false},
		{"HSTS.MISSING", false}, // IDs are case-sensitive
		{"hsts.missing ", false},
		{"nope.nope", false},
	}
	for _, tt := range tests {
		r, ok := Get(tt.id)
		if ok != tt.wantOK {
			t.Errorf("Get(%q) ok = %v, want %v", tt.id, ok, tt.wantOK)
			continue
		}
		if ok && r.ID != tt.id {
			t.Errorf("Get(%q).ID = %q", tt.id, r.ID)
		}
		if !ok && r.ID != "" {
			t.Errorf("Get(%q) returned non-zero rule %+v", tt.id, r)
		}
	}
}

func TestGetReturnsCopy(t *testing.T) {
	r := MustGet("hsts.missing")
	r.References[0] = "mutated"
	r.Title = "mutated"
	if again := MustGet("hsts.missing"); again.References[0] == "mutated" || again.Title == "mutated" {
		t.Fatal("mutating a rule returned by Get changed the catalog")
	}
}

func TestMustGetPanicsOnUnknown(t *testing.T) {
	defer func() {
		v := recover()
		if v == nil {
			t.Fatal("MustGet did not panic on an unknown ID")
		}
		if msg := fmt.Sprint(v); !strings.Contains(msg, `"no.such-rule"`) {
			t.Fatalf("panic message %q does not name the ID", msg)
		}
	}()
	MustGet("no.such-rule")
}

func TestAllSortedAndCopied(t *testing.T) {
	all := All()
	if len(all) != len(catalog) {
		t.Fatalf("All() has %d rules, catalog %d", len(all), len(catalog))
	}
	sortedOK := slices.IsSortedFunc(all, func(a, b Rule) int {
		if d := a.Category.index() - b.Category.index(); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	if !sortedOK {
		t.Error("All() is not sorted by category order, then ID")
	}
	if all[0].Category != Hosts || all[len(all)-1].Category != CDN {
		t.Errorf("All() starts with %s and ends with %s", all[0].Category, all[len(all)-1].Category)
	}
	id := all[0].ID
	all[0].ID = "changed"
	all[0].References[0] = "changed"
	if again := All(); again[0].ID != id || again[0].References[0] == "changed" {
		t.Error("mutating the result of All() changed the catalog")
	}
}

func TestNewFinding(t *testing.T) {
	f := NewFinding("hsts.max-age-short", "max-age=300 is below one year (31536000)")
	want := Finding{Rule: "hsts.max-age-short", Severity: Low, Message: "max-age=300 is below one year (31536000)"}
	if f != want {
		t.Fatalf("NewFinding = %+v, want %+v", f, want)
	}

	defer func() {
		if recover() == nil {
			t.Fatal("NewFinding did not panic on an unknown ID")
		}
	}()
	NewFinding("hsts.nope", "x")
}

func TestFindingString(t *testing.T) {
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{Rule: "hsts.missing", Severity: Medium, Message: "no header"}, "[medium] hsts.missing: no header"},
		{Finding{Rule: "cert.expired", Severity: High, Message: "expired", Target: "https://example.com/"}, "[high] cert.expired: expired (https://example.com/)"},
		{Finding{Rule: "x.y", Severity: Severity(9), Message: "m"}, "[Severity(9)] x.y: m"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestFindingJSONRoundTrip(t *testing.T) {
	in := Result{Rule: "cookie.secure-missing", Status: Fail, Finding: &Finding{
		Rule: "cookie.secure-missing", Severity: Critical, Message: "session cookie lacks Secure",
		Evidence: "Set-Cookie: sid=1; HttpOnly", Target: "https://example.com/login",
	}}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"rule":"cookie.secure-missing","status":"fail","finding":{"rule":"cookie.secure-missing","severity":"critical","message":"session cookie lacks Secure","evidence":"Set-Cookie: sid=1; HttpOnly","target":"https://example.com/login"}}`
	if string(data) != want {
		t.Fatalf("JSON = %s\nwant   %s", data, want)
	}
	var out Result
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if out.Rule != in.Rule || out.Status != in.Status || out.Finding == nil || *out.Finding != *in.Finding {
		t.Fatalf("round trip = %+v, want %+v", out, in)
	}

	if _, err := json.Marshal(Result{Rule: "x.y"}); err == nil {
		t.Error("marshalling a Result with zero Status succeeded")
	}
	if err := json.Unmarshal([]byte(`{"rule":"x.y","status":"passed"}`), &out); err == nil {
		t.Error("unmarshalling status \"passed\" succeeded")
	}
}

func TestRuleJSON(t *testing.T) {
	data, err := json.Marshal(MustGet("hsts.missing"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id":"hsts.missing"`, `"category":"hsts"`, `"severity":"medium"`, `"django":"security.W004"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("rule JSON %s lacks %s", data, want)
		}
	}
	data, err = json.Marshal(MustGet("tls.no-h2"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), `"django"`) {
		t.Errorf("rule without Django check marshals the field: %s", data)
	}
}

func TestSeverityText(t *testing.T) {
	for s := Info; s <= Critical; s++ {
		text, err := s.MarshalText()
		if err != nil {
			t.Fatalf("%d.MarshalText: %v", s, err)
		}
		if string(text) != s.String() {
			t.Errorf("MarshalText %q != String %q", text, s.String())
		}
		var back Severity
		if err := back.UnmarshalText(text); err != nil || back != s {
			t.Errorf("round trip of %q = %v, %v", text, back, err)
		}
	}
	if !(Info < Low && Low < Medium && Medium < High && High < Critical) {
		t.Error("severities are not ordered")
	}
}

func TestParseSeverity(t *testing.T) {
	tests := []struct {
		in      string
		want    Severity
		wantErr bool
	}{
		{"info", Info, false},
		{"low", Low, false},
		{"medium", Medium, false},
		{"high", High, false},
		{"critical", Critical, false},
		{"HIGH", High, false},
		{"Medium", Medium, false},
		{"", 0, true},
		{" high", 0, true},
		{"hi", 0, true},
		{"warning", 0, true},
		{"3", 0, true},
		{"high\x00", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSeverity(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSeverity(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.in)) {
			t.Errorf("ParseSeverity(%q) error %q does not quote the input", tt.in, err)
		}
	}
	// A failed UnmarshalText leaves the value untouched.
	s := High
	if err := s.UnmarshalText([]byte("bogus")); err == nil || s != High {
		t.Errorf("UnmarshalText(bogus) = %v, value %v", err, s)
	}
}

func TestSeverityInvalid(t *testing.T) {
	for _, s := range []Severity{-1, Critical + 1, 100} {
		if got, want := s.String(), fmt.Sprintf("Severity(%d)", int(s)); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
		if _, err := s.MarshalText(); err == nil {
			t.Errorf("MarshalText(%d) succeeded", int(s))
		}
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		s    Status
		want string
	}{
		{Pass, "pass"},
		{Fail, "fail"},
		{Skipped, "skipped"},
		{0, "Status(0)"},
		{Skipped + 1, "Status(4)"},
		{-2, "Status(-2)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("Status(%d).String() = %q, want %q", int(tt.s), got, tt.want)
		}
		text, err := tt.s.MarshalText()
		if tt.s.valid() != (err == nil) {
			t.Errorf("Status(%d).MarshalText error = %v", int(tt.s), err)
		}
		if err == nil {
			var back Status
			if err := back.UnmarshalText(text); err != nil || back != tt.s {
				t.Errorf("round trip of %q = %v, %v", text, back, err)
			}
		}
	}
	var s Status
	for _, bad := range []string{"", "passed", "ok", "Status(1)"} {
		if err := s.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) succeeded", bad)
		}
	}
}

func TestClipEvidence(t *testing.T) {
	short := "max-age=300"
	if ClipEvidence(short) != short {
		t.Errorf("short evidence changed")
	}
	long := strings.Repeat("a", MaxEvidence-1) + "é" + "tail" // é straddles the cut
	got := ClipEvidence(long)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || len(got) > MaxEvidence+len("…") {
		t.Errorf("ClipEvidence = %q", got)
	}
}
