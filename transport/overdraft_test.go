package transport

import (
	"net"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// smallBufListener serves TCP connections with a small send buffer, so
// that a message of 1 MiB to a peer that does not read stays pending (the
// kernel's buffers would otherwise take megabytes).
type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(64 << 10)
	}
	return c, err
}

func smallBufListen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return smallBufListener{ln}
}

// stalledRS connects a RawSocket peer with a small receive buffer that
// reads nothing until the test says so: a large message to it stays
// pending on the server.
func stalledRS(t *testing.T, addr string) *rsRaw {
	t.Helper()
	c := rsRawDial(t, addr)
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(128 << 10)
	}
	if reply, err := c.handshake(rsHello(1, 15)); err != nil || reply[0] != rsMagic {
		t.Fatalf("handshake reply % X, %v", reply, err)
	}
	return c
}

// A peer with nothing queued gets a message larger than its own byte
// budget from the shared overdraft. Once the overdraft is exhausted such a
// message is still queued (never dropped), counted (OverdraftHolds) and in
// the inbound budget, and its peer is congested, so that the router holds
// the sender until the message is written; everything is given back then.
func TestOutboundOverdraft(t *testing.T) {
	const size = 1 << 20 // more than the socket buffers take
	budget := NewOutboundBudgetOverdraft(256<<10, 1536<<10)
	inbound := NewInboundBudget(0)
	srv := startRS(t, RawSocketConfig{OutboundQueueBytes: 256 << 10, OutboundBudget: budget, InboundBudget: inbound,
		PingInterval: -1}, smallBufListen(t), nil)
	a := stalledRS(t, srv.addr)
	ra := nextPeer(t, srv.accepted)
	b := stalledRS(t, srv.addr)
	rb := nextPeer(t, srv.accepted)
	sender, _ := dialRS(t, srv, RawSocketClientConfig{PingInterval: -1})
	rs := nextPeer(t, srv.accepted)

	first, second := bigEvent(1, size), bigEvent(2, size)
	n := int64(messageBytes(first))
	if !ra.peer.Send(first) {
		t.Fatal("a peer with nothing queued was refused a message past its byte budget")
	}
	if got := budget.OverdraftUsed(); got != n || budget.Used() != 0 || inbound.Used() != 0 {
		t.Fatalf("after the first message: overdraft %d (want %d), budget %d, inbound %d", got, n, budget.Used(), inbound.Used())
	}
	if !rb.peer.Send(second) {
		t.Fatal("a message past the exhausted overdraft was refused; want it queued")
	}
	if got := srv.stats.OverdraftHolds.Load(); got != 1 {
		t.Errorf("OverdraftHolds = %d, want 1", got)
	}
	if got := inbound.Used(); got != n {
		t.Errorf("inbound budget %d, want the held message's %d", got, n)
	}
	fc := rb.peer.(FlowControl)
	if !fc.Congested() {
		t.Fatal("the peer of a held message is not congested: its sender would not be held")
	}
	fc.Throttle(rs.peer) // what the router does after Send when the receiver is congested
	if !gateHeld(rs.peer) {
		t.Fatal("the sender's reader is not held")
	}
	sender.Send(event(7))

	if got := publicationOf(t, decodeRS(t, b.readMessage(t))); got != 2 {
		t.Fatalf("held message %d, want 2", got)
	}
	if got := publicationOf(t, rs.nextMsg(t)); got != 7 {
		t.Fatalf("sender's message %d, want 7", got)
	}
	eventually(t, "the held message's bytes to be given back", func() bool {
		return inbound.Used() == 0 && budget.OverdraftUsed() == n && !gateHeld(rs.peer)
	})
	if got := publicationOf(t, decodeRS(t, a.readMessage(t))); got != 1 {
		t.Fatalf("first message %d, want 1", got)
	}
	eventually(t, "the overdraft to be given back", func() bool { return budget.OverdraftUsed() == 0 && budget.Used() == 0 })
	if got := srv.stats.SlowConsumers.Load(); got != 0 {
		t.Errorf("SlowConsumers = %d, want 0", got)
	}
}

// Without an overdraft (-1) every message past a peer's own budget to a
// peer with nothing queued is held; a peer with a backlog is still a slow
// consumer when the shared budget is exhausted.
func TestOutboundNoOverdraft(t *testing.T) {
	budget := NewOutboundBudgetOverdraft(256<<10, -1)
	if budget.OverdraftMax() != 0 {
		t.Fatalf("OverdraftMax %d, want 0", budget.OverdraftMax())
	}
	inbound := NewInboundBudget(0)
	srv := startRS(t, RawSocketConfig{OutboundQueueBytes: 256 << 10, OutboundBudget: budget, InboundBudget: inbound,
		PingInterval: -1}, smallBufListen(t), nil)
	c := stalledRS(t, srv.addr)
	rc := nextPeer(t, srv.accepted)
	if !rc.peer.Send(bigEvent(1, 1<<20)) {
		t.Fatal("refused")
	}
	if got := srv.stats.OverdraftHolds.Load(); got != 1 {
		t.Errorf("OverdraftHolds = %d, want 1", got)
	}
	if got := publicationOf(t, decodeRS(t, c.readMessage(t))); got != 1 {
		t.Fatalf("message %d, want 1", got)
	}
	eventually(t, "the budgets to be given back", func() bool {
		return budget.OverdraftUsed() == 0 && inbound.Used() == 0
	})
}

func decodeRS(t *testing.T, b []byte) wamp.Message {
	t.Helper()
	m, err := codecJSON.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
