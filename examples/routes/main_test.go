package main

import (
	"strings"
	"testing"
)

func TestRoutes(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := `com.shop.cart.get    -> exact com.shop.cart.get
com.shop.cart.add    -> the client's com.shop.cart.add
com.shop.cart.clear  -> prefix com.shop.cart
com.shop.pay         -> prefix com.shop
com.blog.cart.get    -> wildcard com..cart.get
org.shop.order.42    -> regex map[id:42 kind:order]
org.shop.order.x     -> error wamp.error.no_such_procedure: no callee registered for procedure "org.shop.order.x"
com.report           -> the client says tea in stock
realm2: org.shop.item.7 -> regex map[id:7 kind:item]
`
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
