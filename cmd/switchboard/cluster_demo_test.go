package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// cluster-demo starts NATS and two nodes, prints their addresses, and
// the nodes share realm1: an event published on node a reaches a
// subscriber on node b, and a caller on node a reaches node b's Go
// procedure.
func TestClusterDemo(t *testing.T) {
	sigs := make(chan os.Signal, 1)
	running := make(chan *demo, 1)
	done := make(chan error, 1)
	var out strings.Builder
	go func() {
		done <- runClusterDemo(demoOptions{nodes: 2, addr: "127.0.0.1:0", backend: "goroutine"}, &out, quietLog(), sigs,
			func(d *demo) { running <- d })
	}()
	var d *demo
	select {
	case d = <-running:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not start")
	}
	for _, want := range []string{"NATS:   nats://127.0.0.1:", "node a: ws://127.0.0.1:", "node b: ws://127.0.0.1:", "demo.b.hello"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dial := func(url string) *client.Session {
		as := goroutine.New(goroutine.Config{})
		s, err := client.Dial(ctx, url, client.Config{Realm: "realm1", Backend: as})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Leave(context.Background(), ""); as.Close() })
		return s
	}
	onA, onB := dial(d.nodes[0].URLs()[0]), dial(d.nodes[1].URLs()[0])
	got := make(chan *client.Event, 1)
	if _, err := onB.Subscribe(ctx, "com.example.demo", func(e *client.Event) { got <- e }, nil); err != nil {
		t.Fatal(err)
	}
	// The subscription reaches node a through NATS; an event published
	// before that is not forwarded to b.
	waitUntil(t, "node a to know node b's subscriber", func() bool {
		realm, ok := d.nodes[0].app.Realm("realm1")
		if !ok {
			return false
		}
		in, _ := realm.Cluster().Interest(ctx)
		return len(in["b"]) == 1
	})
	if err := onA.Publish(ctx, "com.example.demo", wamp.List{"from a"}, nil, &client.PublishOptions{Acknowledge: true}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-got:
		if e.Args[0] != "from a" {
			t.Fatalf("event %v", e.Args)
		}
	case <-ctx.Done():
		t.Fatal("node b's subscriber got no event from node a")
	}
	// Node b's Go procedure, called on node a (once node a knows it).
	var res *client.Result
	waitUntil(t, "node a to reach demo.b.hello", func() bool {
		var err error
		res, err = onA.Call(ctx, "demo.b.hello", nil, nil, nil)
		return err == nil
	})
	if res.Args[0] != "hello from node b" || res.Kwargs["node"] != "b" {
		t.Fatalf("demo.b.hello = %v %v", res.Args, res.Kwargs)
	}
	sigs <- os.Interrupt
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not stop")
	}
}
