package main

import (
	"strings"
	"testing"
)

func TestPublish(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := `topic handler: ann is watching
topic handler: bob is watching
ann got "tick 1"
bob got "tick 1"
bob got "psst, bob"
ann got "tick 2"
bob got "tick 2"
topic handler: bob stopped watching
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
