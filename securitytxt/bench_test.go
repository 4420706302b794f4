package securitytxt

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func BenchmarkHandlerRolling(b *testing.B) {
	h, err := Handler(*fullFile(), HandlerOptions{ExpiresIn: 90 * 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/.well-known/security.txt", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

func BenchmarkParse(b *testing.B) {
	data := []byte(signed(string(fullFile().Render())))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		Parse(data)
	}
}
