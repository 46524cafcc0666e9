package main

import (
	"strings"
	"testing"
)

func TestHello(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := "result: Hello, world!\nevent:  Hello, world!\n"
	if out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
}
