package main

import (
	"strings"
	"testing"
)

func TestTyped(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := `add(40, 2) = 42
add(a=1, b=2) = 3
add(1, "two") failed: wamp.error.invalid_argument: argument "b" (position 2): want integer, got string
order: item=tea total=3.75 note="coupon HALF applied"
order without quantity failed: wamp.error.invalid_argument: argument "quantity" (position 2) is required
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
