package transport

import (
	"errors"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// A peer that stops reading is closed as a slow consumer once its queue
// holds more than OutboundQueueBytes, long before OutboundQueueMax
// messages; the bytes it held are given back to the server's budget.
func TestOutboundQueueBytesClosesSlowConsumer(t *testing.T) {
	budget := NewOutboundBudget(0)
	srv := startServer(t, WebSocketConfig{OutboundQueueBytes: 1 << 20, OutboundBudget: budget, PingInterval: -1}, nil)
	rawDial(t, srv.addr, "wamp.2.json") // never reads
	sr := nextPeer(t, srv.accepted)
	big := bigEvent(1, 64<<10)
	sent := 0        // some go into socket buffers before the queue grows
	for range 1000 { // 64 MiB if nothing stopped it
		if !sr.peer.Send(big) {
			break
		}
		sent++
	}
	if sent == 1000 {
		t.Fatal("1000 x 64 KiB queued for a peer that does not read")
	}
	if err := sr.waitClosed(t); !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("Closed(%v), want ErrSlowConsumer", err)
	}
	if got := srv.stats.SlowConsumers.Load(); got != 1 {
		t.Errorf("SlowConsumers = %d, want 1", got)
	}
	eventually(t, "the budget to be given back", func() bool { return budget.Used() == 0 })
}

// Peers sharing an exhausted OutboundBudget: the one with a backlog is
// closed, a peer with nothing queued still gets its message.
func TestOutboundBudgetSharedByServers(t *testing.T) {
	budget := NewOutboundBudget(2 << 20)
	ws := startServer(t, WebSocketConfig{OutboundBudget: budget, PingInterval: -1}, nil)
	rs := startRS(t, RawSocketConfig{OutboundBudget: budget, PingInterval: -1}, nil, nil)

	rawDial(t, ws.addr, "wamp.2.json") // never reads
	hog := nextPeer(t, ws.accepted)
	_, reader := dialRS(t, rs, RawSocketClientConfig{})
	good := nextPeer(t, rs.accepted)

	big := bigEvent(1, 64<<10)
	for range 1000 {
		if !hog.peer.Send(big) {
			break
		}
	}
	if err := hog.waitClosed(t); !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("hog Closed(%v), want ErrSlowConsumer", err)
	}
	if budget.Used() > budget.Max()+int64(messageBytes(big)) {
		t.Errorf("budget used %d of %d", budget.Used(), budget.Max())
	}
	// The other server's peer, which reads, gets its messages.
	for i := range 5 {
		if !good.peer.Send(event(i + 1)) {
			t.Fatalf("Send %d to a reading peer refused", i+1)
		}
		if got := publicationOf(t, reader.nextMsg(t)); got != i+1 {
			t.Fatalf("reader got %d, want %d", got, i+1)
		}
	}
	eventually(t, "the budget to be given back", func() bool { return budget.Used() == 0 })
}

func TestOutboundQueueBytesValidated(t *testing.T) {
	cfg := WebSocketConfig{Serializers: []serialize.Serializer{codecJSON}, OutboundQueueBytes: -1}
	if err := cfg.Validate(); !errors.Is(err, ErrConfig) {
		t.Errorf("negative OutboundQueueBytes: %v, want ErrConfig", err)
	}
	rcfg := RawSocketConfig{Serializers: []serialize.Serializer{codecJSON}, OutboundQueueBytes: -1}
	if err := rcfg.Validate(); !errors.Is(err, ErrConfig) {
		t.Errorf("negative RawSocket OutboundQueueBytes: %v, want ErrConfig", err)
	}
}
