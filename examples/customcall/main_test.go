package main

import (
	"strings"
	"testing"
)

func TestCustomCall(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := `progress: Added 1
progress: Added 2
progress: Added 3
add_stuff(1, 2, 3) = 6 for session anonymous
add_stuff(1, "x") failed: wamp.error.invalid_argument: Numbers only!
something.else failed: myapp.custom_error: unknown procedure something.else
from Go: add_stuff(40, 2) = 42 for the application
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
