package stack

import "testing"

// TestGrow calls Grow on fresh goroutines, shallow and deep: it only
// makes room, so the caller carries on with its frames intact.
func TestGrow(t *testing.T) {
	var deep func(n int) int
	deep = func(n int) int {
		if n == 0 {
			Grow()
			return 0
		}
		var pad [64]byte
		pad[n%64] = byte(n)
		return deep(n-1) + int(pad[n%64])
	}
	for _, depth := range []int{0, 10, 200} {
		done := make(chan int)
		go func() { done <- deep(depth) }()
		want := 0
		for n := 1; n <= depth; n++ {
			want += n % 256
		}
		if got := <-done; got != want {
			t.Errorf("depth %d: got %d, want %d", depth, got, want)
		}
	}
}
