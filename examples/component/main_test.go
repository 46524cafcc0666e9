package main

import (
	"strings"
	"testing"
)

func TestComponent(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := `round 1: service joined
round 1: double(21) = 42
round 1: service got the event
router stopped
router started again
round 2: service joined
round 2: double(50) = 100
round 2: service got the event
components done
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
