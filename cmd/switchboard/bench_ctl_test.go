package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The router child's control endpoints: memory figures, and the gate that
// blocking handlers wait for. A router without them (an older -compare
// build answers 404) is reported as errNoCtl, which skips the phase.
func TestBenchCtl(t *testing.T) {
	g := newGate()
	srv := httptest.NewServer(benchCtlHandler(g, ""))
	defer srv.Close()
	ctl := newBenchCtl("ws://" + strings.TrimPrefix(srv.URL, "http://") + "/")
	ctx := context.Background()
	ms, err := ctl.mem(ctx)
	if err != nil || ms.Goroutines <= 0 || ms.HeapInuse <= 0 || ms.RSS <= 0 {
		t.Fatalf("mem: %+v, %v", ms, err)
	}
	isOpen := func() bool {
		select {
		case <-g.wait():
			return true
		default:
			return false
		}
	}
	if !isOpen() {
		t.Fatal("a new gate is closed")
	}
	if err := ctl.hold(ctx); err != nil || isOpen() {
		t.Fatalf("hold: %v, gate open %v", err, isOpen())
	}
	waiting := g.wait()
	if err := ctl.release(ctx); err != nil || !isOpen() {
		t.Fatalf("release: %v, gate open %v", err, isOpen())
	}
	select {
	case <-waiting: // a handler that waited before the release is released
	default:
		t.Fatal("release did not open the gate a handler waited on")
	}
	old := httptest.NewServer(http.NotFoundHandler())
	defer old.Close()
	if _, err := newBenchCtl("ws://" + strings.TrimPrefix(old.URL, "http://") + "/").mem(ctx); !errors.Is(err, errNoCtl) {
		t.Fatalf("router without control endpoints: %v, want errNoCtl", err)
	}
}

// The blocking procedures' delays cycle through base .. 2.5×base.
func TestBlockDelay(t *testing.T) {
	var got []time.Duration
	for n := range uint64(5) {
		got = append(got, blockDelay(2*time.Millisecond, n))
	}
	if fmt.Sprint(got) != "[2ms 3ms 4ms 5ms 2ms]" {
		t.Fatalf("delays %v", got)
	}
}
