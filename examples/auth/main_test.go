package main

import (
	"strings"
	"testing"
)

func TestAuth(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := `alice: welcome, authid=alice authrole=user authmethod=ticket authextra=map[welcome:hello alice]
alice (typo): refused with wamp.error.authentication_denied (wrong ticket)
billing service: welcome, authid=billing authrole=service authmethod=api-key
stranger: refused with wamp.error.no_matching_auth_method (use a ticket or an API key)
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
