package transport

import (
	"errors"
	"testing"
)

// Readers take what a frame header declares from the server's inbound
// budget while the frame is read and give it back once its message is
// decoded: a connection part way through a large message holds its
// length, a frame that does not fit fails only its own connection (with
// ErrInboundBudget, counted), and once the first message is delivered the
// budget is whole again.
func TestInboundBudgetWebSocket(t *testing.T) {
	budget := NewInboundBudget(150 << 10)
	srv := startServer(t, WebSocketConfig{InboundBudget: budget, MaxMessageBytes: 1 << 20, PingInterval: -1}, nil)
	payload, err := codecJSON.Append(nil, bigEvent(1, 100<<10))
	if err != nil {
		t.Fatal(err)
	}
	frame := maskedFrame(0x1, payload)

	held := rawDial(t, srv.addr, "wamp.2.json")
	sh := nextPeer(t, srv.accepted)
	half := len(frame) / 2
	if _, err := held.Write(frame[:half]); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first reader to hold its message's length", func() bool { return budget.Used() == int64(len(payload)) })

	refused := rawDial(t, srv.addr, "wamp.2.json")
	sr := nextPeer(t, srv.accepted)
	if _, err := refused.Write(frame); err != nil {
		t.Fatal(err)
	}
	if code, err := closeOutcome(refused.br); code != closeTryAgainLater && code != -1 {
		t.Fatalf("close code %d (%v), want 1013 or the connection ending", code, err)
	}
	if err := sr.waitClosed(t); !errors.Is(err, ErrInboundBudget) {
		t.Fatalf("refused connection closed with %v, want ErrInboundBudget", err)
	}
	if got := srv.stats.InboundBudgetRefusals.Load(); got != 1 {
		t.Errorf("InboundBudgetRefusals = %d, want 1", got)
	}

	if _, err := held.Write(frame[half:]); err != nil {
		t.Fatal(err)
	}
	if got := publicationOf(t, sh.nextMsg(t)); got != 1 {
		t.Fatalf("held connection delivered %d, want 1", got)
	}
	eventually(t, "the budget to be whole again", func() bool { return budget.Used() == 0 })
	held.writeFrame(t, 0x1, payload) // fits again
	if got := publicationOf(t, sh.nextMsg(t)); got != 1 {
		t.Fatalf("second message %d, want 1", got)
	}
	eventually(t, "the budget to be whole after the second message", func() bool { return budget.Used() == 0 })
}

// The same for RawSocket, whose refusal closes the connection.
func TestInboundBudgetRawSocket(t *testing.T) {
	budget := NewInboundBudget(150 << 10)
	srv := startRS(t, RawSocketConfig{InboundBudget: budget, PingInterval: -1}, nil, nil)
	payload, err := codecJSON.Append(nil, bigEvent(2, 100<<10))
	if err != nil {
		t.Fatal(err)
	}
	frame := append(appendRawSocketHeader(nil, rsFrameMessage, len(payload)), payload...)

	held := rsRawConnect(t, srv.addr, 15)
	sh := nextPeer(t, srv.accepted)
	half := len(frame) / 2
	if _, err := held.Write(frame[:half]); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first reader to hold its message's length", func() bool { return budget.Used() == int64(len(payload)) })

	refused := rsRawConnect(t, srv.addr, 15)
	sr := nextPeer(t, srv.accepted)
	if _, err := refused.Write(frame); err != nil {
		t.Fatal(err)
	}
	refused.waitEOF(t)
	if err := sr.waitClosed(t); !errors.Is(err, ErrInboundBudget) {
		t.Fatalf("refused connection closed with %v, want ErrInboundBudget", err)
	}
	if got := srv.stats.InboundBudgetRefusals.Load(); got != 1 {
		t.Errorf("InboundBudgetRefusals = %d, want 1", got)
	}

	if _, err := held.Write(frame[half:]); err != nil {
		t.Fatal(err)
	}
	if got := publicationOf(t, sh.nextMsg(t)); got != 2 {
		t.Fatalf("held connection delivered %d, want 2", got)
	}
	eventually(t, "the budget to be whole again", func() bool { return budget.Used() == 0 })
}
