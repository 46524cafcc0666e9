package transport

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// gateHeld reports whether a peer's reader is held.
func gateHeld(p Peer) bool {
	g := gateOf(p)
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open != nil
}

func TestRawSocketAnswersEveryPing(t *testing.T) {
	// RawSocket: every PING gets its PONG, with its payload, in order; more
	// PINGs than the pending-pong bound only make the reader wait.
	srv := startRS(t, RawSocketConfig{PingInterval: -1}, nil, nil)
	c := rsRawConnect(t, srv.addr, 15)
	nextPeer(t, srv.accepted)
	const n = 3*maxPendingPongs + 1
	var burst []byte
	for i := range n {
		p := fmt.Sprintf("ping %d", i)
		burst = append(appendRawSocketHeader(burst, rsFramePing, len(p)), p...)
	}
	if _, err := c.Write(burst); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		typ, p, err := c.readFrame()
		if err != nil || typ != rsFramePong || string(p) != fmt.Sprintf("ping %d", i) {
			t.Fatalf("frame %d: type %d %q %v, want PONG %q", i, typ, p, err, fmt.Sprintf("ping %d", i))
		}
	}
}

func TestThrottleHoldsSenderUntilReceiverDrains(t *testing.T) {
	// The receiver's client does not read, so its queue stays above the
	// soft limit (OutboundQueueMax/8 = 8) while the kernel buffers are full.
	// The receiver reads late on purpose, and its 20 MiB go out in one
	// batch under one write deadline: under the race detector on a loaded
	// machine reading them took longer than the default WriteTimeout (the
	// whole run failed once so, 26 s): neither timeout is tested here.
	srv := startRS(t, RawSocketConfig{OutboundQueueMax: 64, PingInterval: -1,
		StallTimeout: time.Hour, WriteTimeout: time.Hour}, nil, nil)
	slow := rsRawConnect(t, srv.addr, 15)
	recv := nextPeer(t, srv.accepted)
	sender, _ := dialRS(t, srv, RawSocketClientConfig{PingInterval: -1})
	send := nextPeer(t, srv.accepted)
	fc := recv.peer.(FlowControl)

	const n = 40
	for i := range n {
		if !recv.peer.Send(bigEvent(i, 512<<10)) {
			t.Fatalf("Send %d refused", i)
		}
	}
	eventually(t, "the receiver to be congested", fc.Congested)
	fc.Throttle(send.peer)
	fc.Throttle(send.peer) // once per sender
	if !gateHeld(send.peer) {
		t.Fatal("the sender's reader is not held")
	}
	if got := srv.stats.Throttled.Load(); got != 1 {
		t.Errorf("Throttled = %d, want 1", got)
	}
	sender.Send(event(7)) // read only once the sender is released

	for i := range n {
		if m, err := codecJSON.Decode(slow.readMessage(t)); err != nil || publicationOf(t, m) != i {
			t.Fatalf("message %d: %v %v", i, m, err)
		}
	}
	if got := publicationOf(t, send.nextMsg(t)); got != 7 {
		t.Fatalf("sender's message %d, want 7", got)
	}
	if fc.Congested() || gateHeld(send.peer) {
		t.Fatal("still congested or holding the sender after draining")
	}
}

func TestThrottleReleasedWhenReceiverCloses(t *testing.T) {
	srv := startRS(t, RawSocketConfig{OutboundQueueMax: 64, PingInterval: -1}, nil, nil)
	rsRawConnect(t, srv.addr, 15) // never reads
	recv := nextPeer(t, srv.accepted)
	sender, _ := dialRS(t, srv, RawSocketClientConfig{PingInterval: -1})
	send := nextPeer(t, srv.accepted)
	fc := recv.peer.(FlowControl)
	for i := range 40 {
		recv.peer.Send(bigEvent(i, 512<<10))
	}
	eventually(t, "the receiver to be congested", fc.Congested)
	fc.Throttle(send.peer)
	sender.Send(event(8))
	recv.peer.(*rsPeer).abort(closeInternalError, "test", nil)
	if got := publicationOf(t, send.nextMsg(t)); got != 8 {
		t.Fatalf("sender's message %d, want 8", got)
	}
}

// A receiver that holds a sender and writes nothing for the stall grace
// has stopped reading: it is closed as a slow consumer (well before
// WriteTimeout), and the sender reads again.
func TestStalledReceiverHoldingSenderIsClosed(t *testing.T) {
	srv := startRS(t, RawSocketConfig{OutboundQueueMax: 64, PingInterval: -1, WriteTimeout: time.Hour,
		StallTimeout: 50 * time.Millisecond}, nil, nil)
	rsRawConnect(t, srv.addr, 15) // never reads
	recv := nextPeer(t, srv.accepted)
	sender, _ := dialRS(t, srv, RawSocketClientConfig{PingInterval: -1})
	send := nextPeer(t, srv.accepted)
	fc := recv.peer.(FlowControl)
	for i := range 40 {
		recv.peer.Send(bigEvent(i, 512<<10))
	}
	eventually(t, "the receiver to be congested", fc.Congested)
	fc.Throttle(send.peer)
	sender.Send(event(9)) // read once the sender is released
	if err := recv.waitClosed(t); !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("receiver Closed(%v), want ErrSlowConsumer", err)
	}
	if got := publicationOf(t, send.nextMsg(t)); got != 9 {
		t.Fatalf("sender's message %d, want 9", got)
	}
	if got := srv.stats.SlowConsumers.Load(); got != 1 {
		t.Errorf("SlowConsumers = %d, want 1", got)
	}
	if got := srv.stats.WriteTimeouts.Load(); got != 0 {
		t.Errorf("WriteTimeouts = %d, want 0", got)
	}
}

// A subscriber that holds its publisher for EVENTs and takes no bytes for
// EventStallTimeout lets the publisher go, stays connected (its queue
// bounds and StallTimeout still apply), and holds it for no EVENT again
// until it takes bytes; a hold for anything else still holds.
func TestStalledSubscriberLetsPublisherGo(t *testing.T) {
	// EventStallTimeout is long enough that the hold is seen before it
	// passes even on a starved machine (at 20 ms the test's goroutine
	// sometimes looked only after the subscriber's socket had been still
	// that long, and found the publisher already let go).
	srv := startRS(t, RawSocketConfig{OutboundQueueMax: 64, PingInterval: -1, WriteTimeout: time.Hour,
		StallTimeout: time.Hour, EventStallTimeout: time.Second}, nil, nil)
	rsRawConnect(t, srv.addr, 15) // never reads
	recv := nextPeer(t, srv.accepted)
	sender, _ := dialRS(t, srv, RawSocketClientConfig{PingInterval: -1})
	send := nextPeer(t, srv.accepted)
	fc := recv.peer.(FlowControl)
	for i := range 40 {
		recv.peer.Send(bigEvent(i, 512<<10))
	}
	eventually(t, "the receiver to be congested", fc.Congested)
	fc.ThrottleEvent(send.peer)
	if !gateHeld(send.peer) {
		t.Fatal("the publisher's reader is not held")
	}
	eventually(t, "the stalled subscriber to let its publisher go", func() bool { return !gateHeld(send.peer) })
	sender.Send(event(10))
	if got := publicationOf(t, send.nextMsg(t)); got != 10 {
		t.Fatalf("publisher's message %d, want 10", got)
	}
	if got := srv.stats.StallReleases.Load(); got != 1 {
		t.Errorf("StallReleases = %d, want 1", got)
	}
	fc.ThrottleEvent(send.peer)
	if gateHeld(send.peer) {
		t.Fatal("a stalled subscriber holds its publisher again")
	}
	if !fc.Congested() || srv.stats.SlowConsumers.Load() != 0 {
		t.Fatal("the stalled subscriber was closed or drained; want it connected and congested")
	}
	fc.Throttle(send.peer)
	if !gateHeld(send.peer) {
		t.Fatal("a hold for a non-EVENT message does not hold")
	}
}

func TestPauseResume(t *testing.T) {
	srv := startRS(t, RawSocketConfig{PingInterval: -1}, nil, nil)
	client, _ := dialRS(t, srv, RawSocketClientConfig{PingInterval: -1})
	sr := nextPeer(t, srv.accepted)
	fc := sr.peer.(FlowControl)
	client.Send(event(1))
	if got := publicationOf(t, sr.nextMsg(t)); got != 1 {
		t.Fatalf("publication %d", got)
	}
	fc.Pause()
	fc.Pause()
	fc.Resume()
	if !gateHeld(sr.peer) {
		t.Fatal("one Pause left, but the reader is not held")
	}
	client.Send(event(2))
	fc.Resume()
	if got := publicationOf(t, sr.nextMsg(t)); got != 2 {
		t.Fatalf("publication %d", got)
	}
	// A Resume that races ahead of its Pause leaves the gate open.
	fc.Resume()
	fc.Pause()
	client.Send(event(3))
	if got := publicationOf(t, sr.nextMsg(t)); got != 3 {
		t.Fatalf("publication %d", got)
	}
}
