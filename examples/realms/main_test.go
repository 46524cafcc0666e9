package main

import (
	"strings"
	"testing"
)

func TestRealms(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := `hook: a session joined guests as anonymous
guest: catalog [coffee tea]
guest: follow orders: wamp.error.not_authorized: sign in first
hook: a session joined customers as customer
ann: catalog [coffee tea] for=ann prices=map[coffee:4 tea:3]
ann: follow orders: wamp.error.not_authorized: staff only
eve: refused: wamp.error.authentication_denied (not a customer)
hook: a session joined admins as admin
root: catalog [coffee tea] prices=map[coffee:4 tea:3] stock=map[coffee:12 tea:0]
root: following orders
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
