package eventloop_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

func TestOnLoopAndSpawnBlocking(t *testing.T) {
	l := eventloop.New(eventloop.Config{})
	defer l.Close()
	if scheduler.OnLoop(l) {
		t.Fatal("the test goroutine reported as on the loop")
	}
	ex := l.NewExecutor("x")
	onLoop := make(chan bool, 1)
	must(t, l.Spawn(context.Background(), func(context.Context) { onLoop <- scheduler.OnLoop(l) }))
	if !<-onLoop {
		t.Fatal("a spawned task is not reported as on the loop")
	}
	// Blocking work runs off the loop, so it may wait for loop work.
	done := make(chan bool, 1)
	must(t, scheduler.SpawnBlocking(l, context.Background(), func(context.Context) {
		ran := make(chan struct{})
		ex.Post(func() { close(ran) })
		select {
		case <-ran:
			done <- !scheduler.OnLoop(l)
		case <-time.After(10 * time.Second):
			done <- false
		}
	}))
	if !<-done {
		t.Fatal("blocking work ran on the loop or could not wait for it")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
