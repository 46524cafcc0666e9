package main

import (
	"strings"
	"testing"
)

func TestAuthMethods(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := `anonymous: welcome, authrole=public authmethod=anonymous
alice (ticket): welcome, authrole=writer authmethod=ticket
bob (salted WAMP-CRA): welcome, authrole=writer authmethod=wampcra
sensor-1 (cryptosign): welcome, authrole=device authmethod=cryptosign
bob (wrong password): refused with wamp.error.authentication_denied (authentication denied)
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
