package main

import (
	"strings"
	"testing"
)

func TestLifecycle(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := `ann: visit 1, 2 active
ann: visit 2, 2 active
bob: visit 1, 2 active
hook: closed ann after 2 visits; 1 active
shutdown hook: closed bob after 1 visits; 0 active
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
