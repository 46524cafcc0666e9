package main

import (
	"strings"
	"testing"
)

func TestProgressive(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := `progress: a.txt: 25%
progress: a.txt: 50%
progress: a.txt: 75%
progress: a.txt: 100%
result:   a.txt: done 4 chunks
result without progress: b.txt: done
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
