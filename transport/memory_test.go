package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/serialize/shared"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/scheduler/schedtest"
)

// memLog is a Handler that records what an end of a pipe receives, and
// can be told to react to a message.
type memLog struct {
	mu        sync.Mutex
	peer      Peer
	events    []string // "accept", message type names, "malformed", "closed"
	msgs      []wamp.Message
	malformed []error
	cause     error
	closed    int
	onMessage func(p Peer, m wamp.Message)
}

func (l *memLog) Accept(p Peer) Handler {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.peer = p
	l.events = append(l.events, "accept")
	return l
}

func (l *memLog) Message(m wamp.Message) {
	l.mu.Lock()
	l.events = append(l.events, m.Type().String())
	l.msgs = append(l.msgs, m)
	f, p := l.onMessage, l.peer
	l.mu.Unlock()
	if f != nil {
		f(p, m)
	}
}

func (l *memLog) Malformed(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, "malformed")
	l.malformed = append(l.malformed, err)
}

func (l *memLog) Closed(cause error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, "closed")
	l.cause = cause
	l.closed++
}

func (l *memLog) snapshot() (events []string, msgs []wamp.Message, cause error, closed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.events...), append([]wamp.Message(nil), l.msgs...), l.cause, l.closed
}

// virtualPipe connects two memLogs on a Virtual, each end on its own
// executor.
func virtualPipe(t *testing.T, cfg PipeConfig) (v *schedtest.Virtual, a, b Peer, la, lb *memLog) {
	t.Helper()
	v = schedtest.NewVirtual(1, time.Unix(0, 0))
	t.Cleanup(func() { v.Close() })
	if cfg.Logger == nil {
		cfg.Logger = quietLogger
	}
	la, lb = &memLog{}, &memLog{}
	a, b, err := Pipe(cfg, PipeEnd{Acceptor: la, Executor: v.NewExecutor("a")}, PipeEnd{Acceptor: lb, Executor: v.NewExecutor("b")})
	if err != nil {
		t.Fatal(err)
	}
	return v, a, b, la, lb
}

func pub(n int) *wamp.Publish {
	return &wamp.Publish{Request: wamp.ID(n), Options: wamp.Dict{}, Topic: "com.example.t", Args: wamp.List{n}}
}

func wantEvents(t *testing.T, who string, got []string, want ...string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s received %v, want %v", who, got, want)
	}
}

func wantCloseErr(t *testing.T, cause error, code int) {
	t.Helper()
	var ce *CloseError
	if !errors.As(cause, &ce) || ce.Code != code || !ce.Remote {
		t.Fatalf("close cause %v, want remote close %d", cause, code)
	}
}

// Messages sent before Accept ran are delivered after it, in order; an
// orderly Close delivers what was sent, then Closed on both ends.
func TestPipeOrderAndClose(t *testing.T) {
	for _, ser := range []serialize.Serializer{nil, serialize.JSON, serialize.MsgPack, serialize.CBOR} {
		name := "values"
		if ser != nil {
			name = ser.Name()
		}
		t.Run(name, func(t *testing.T) {
			v, a, b, la, lb := virtualPipe(t, PipeConfig{Serializer: ser})
			for i := 1; i <= 3; i++ {
				if !a.Send(pub(i)) {
					t.Fatalf("Send %d refused", i)
				}
			}
			if !b.Send(pub(9)) {
				t.Fatal("Send from b refused")
			}
			a.Close()
			if a.Send(pub(4)) || b.Send(pub(5)) {
				t.Fatal("Send after Close accepted")
			}
			v.RunUntilIdle()
			ev, msgs, cause, n := lb.snapshot()
			wantEvents(t, "b", ev, "accept", "PUBLISH", "PUBLISH", "PUBLISH", "closed")
			wantCloseErr(t, cause, 1000)
			for i, m := range msgs {
				if got, _ := wamp.ToInt(m.(*wamp.Publish).Args[0]); got != int64(i+1) {
					t.Fatalf("message %d carries %v", i, m.(*wamp.Publish).Args)
				}
			}
			// a closed first: b's message is not delivered to it.
			ev, _, cause, na := la.snapshot()
			wantEvents(t, "a", ev, "accept", "closed")
			if cause != nil || n != 1 || na != 1 {
				t.Fatalf("a's cause %v; Closed calls a=%d b=%d, want nil, 1, 1", cause, na, n)
			}
			a.Close()
			b.Close()
			v.RunUntilIdle()
			if _, _, _, n := lb.snapshot(); n != 1 {
				t.Fatalf("b got Closed %d times", n)
			}
			if a.Info().Transport != "memory" || a.Info().Serializer == "" {
				t.Fatalf("Info %+v", a.Info())
			}
		})
	}
}

// With a serializer the receiver gets its own copy, in wire types; a
// shared.Message is unwrapped and encoded once per format.
func TestPipeSerializerCopies(t *testing.T) {
	v, a, _, _, lb := virtualPipe(t, PipeConfig{Serializer: serialize.JSON})
	args := wamp.List{1, "x"}
	sent := &wamp.Event{Subscription: 7, Publication: 8, Details: wamp.Dict{}, Args: args}
	sm := shared.Wrap(sent).(*shared.Message)
	if !a.Send(sm) || !a.Send(sm) {
		t.Fatal("Send refused")
	}
	v.RunUntilIdle()
	_, msgs, _, _ := lb.snapshot()
	if len(msgs) != 2 {
		t.Fatalf("got %d messages", len(msgs))
	}
	got := msgs[0].(*wamp.Event)
	if got == sent || got.Args[0] != int64(1) || got.Args[1] != "x" || got.Publication != 8 {
		t.Fatalf("got %#v, want a decoded copy with int64 arguments", got)
	}
	got.Args[1] = "changed"
	if args[1] != "x" {
		t.Fatal("the receiver's message aliases the sender's")
	}
	if n := sm.Formats(); n != 1 {
		t.Fatalf("shared cache holds %d encodings, want one", n)
	}
	// Without a serializer the value itself arrives, unwrapped.
	v2, a2, _, _, lb2 := virtualPipe(t, PipeConfig{})
	a2.Send(sm)
	v2.RunUntilIdle()
	if _, msgs, _, _ := lb2.snapshot(); len(msgs) != 1 || msgs[0] != wamp.Message(sent) {
		t.Fatalf("got %v, want the unwrapped message itself", msgs)
	}
}

// Overflow, encode errors, invalid messages, nil handlers and panics close
// the connection the way the socket transports do.
func TestPipeFailures(t *testing.T) {
	cases := []struct {
		name      string
		cfg       PipeConfig
		act       func(t *testing.T, a, b Peer, la, lb *memLog)
		aEvents   []string
		bEvents   []string
		aCause    func(error) bool
		bCode     int
		slow, enc int64
	}{
		{
			name: "slow consumer", cfg: PipeConfig{QueueMax: 2},
			act: func(t *testing.T, a, _ Peer, _, _ *memLog) {
				if !a.Send(pub(1)) || !a.Send(pub(2)) {
					t.Fatal("Send within the bound refused")
				}
				if a.Send(pub(3)) {
					t.Fatal("Send on a full direction accepted")
				}
			},
			aEvents: []string{"accept", "closed"}, bEvents: []string{"accept", "closed"},
			aCause: func(err error) bool { return errors.Is(err, ErrSlowConsumer) }, bCode: 1008, slow: 1,
		},
		{
			name: "encode error", cfg: PipeConfig{Serializer: serialize.JSON},
			act: func(t *testing.T, a, _ Peer, _, _ *memLog) {
				a.Send(&wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "a.b", Args: wamp.List{make(chan int)}})
				a.Send(pub(2))
			},
			aEvents: []string{"accept", "closed"}, bEvents: []string{"accept", "closed"},
			aCause: func(err error) bool { return errors.Is(err, ErrEncode) }, bCode: 1011, enc: 1,
		},
		{
			name: "invalid message", cfg: PipeConfig{Serializer: serialize.JSON},
			act: func(t *testing.T, a, _ Peer, _, _ *memLog) {
				a.Send(&wamp.Publish{Request: 0, Options: wamp.Dict{}, Topic: "a.b"})
				a.Send(pub(2))
				a.Close()
			},
			aEvents: []string{"accept", "closed"}, bEvents: []string{"accept", "malformed", "PUBLISH", "closed"},
			aCause: func(err error) bool { return err == nil }, bCode: 1000,
		},
		{
			name: "handler panic",
			act: func(t *testing.T, a, _ Peer, _, lb *memLog) {
				lb.onMessage = func(Peer, wamp.Message) { panic("boom") }
				a.Send(pub(1))
				a.Send(pub(2))
			},
			aEvents: []string{"accept", "closed"}, bEvents: []string{"accept", "PUBLISH", "closed"},
			aCause: func(err error) bool { var ce *CloseError; return errors.As(err, &ce) && ce.Code == 1011 },
			bCode:  -1, // b's own cause is the panic
		},
		{
			name: "handler closes its end",
			act: func(t *testing.T, a, _ Peer, _, lb *memLog) {
				lb.onMessage = func(p Peer, _ wamp.Message) { p.Close() }
				a.Send(pub(1))
				a.Send(pub(2))
			},
			aEvents: []string{"accept", "closed"}, bEvents: []string{"accept", "PUBLISH", "closed"},
			aCause: func(err error) bool { var ce *CloseError; return errors.As(err, &ce) && ce.Code == 1000 },
			bCode:  0, // local close: nil
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var st Stats
			tc.cfg.Stats = &st
			v, a, b, la, lb := virtualPipe(t, tc.cfg)
			tc.act(t, a, b, la, lb)
			v.RunUntilIdle()
			aev, _, acause, _ := la.snapshot()
			bev, _, bcause, _ := lb.snapshot()
			wantEvents(t, "a", aev, tc.aEvents...)
			wantEvents(t, "b", bev, tc.bEvents...)
			if !tc.aCause(acause) {
				t.Fatalf("a's close cause: %v", acause)
			}
			switch tc.bCode {
			case -1:
				if !errors.Is(bcause, ErrHandlerPanic) {
					t.Fatalf("b's close cause %v, want ErrHandlerPanic", bcause)
				}
			case 0:
				if bcause != nil {
					t.Fatalf("b's close cause %v, want nil", bcause)
				}
			default:
				wantCloseErr(t, bcause, tc.bCode)
			}
			if st.SlowConsumers.Load() != tc.slow || st.EncodeErrors.Load() != tc.enc || st.Closed.Load() != 2 {
				t.Fatalf("stats: slow %d enc %d closed %d", st.SlowConsumers.Load(), st.EncodeErrors.Load(), st.Closed.Load())
			}
		})
	}
}

func TestPipeConfigErrors(t *testing.T) {
	v := schedtest.NewVirtual(1, time.Unix(0, 0))
	ok := PipeEnd{Acceptor: &memLog{}, Executor: v.NewExecutor("x")}
	for _, tc := range []struct {
		name string
		a, b PipeEnd
		want error
	}{
		{"no executor", PipeEnd{Acceptor: &memLog{}}, ok, ErrNoExecutor},
		{"no acceptor", ok, PipeEnd{Executor: v.NewExecutor("y")}, ErrNoExecutor},
	} {
		if _, _, err := Pipe(PipeConfig{}, tc.a, tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
	v.Close()
	if _, _, err := Pipe(PipeConfig{}, ok, PipeEnd{Acceptor: &memLog{}, Executor: v.NewExecutor("z")}); !errors.Is(err, scheduler.ErrClosed) {
		t.Fatalf("closed executor: err %v", err)
	}
	la := &memLog{}
	nilAcceptor := AcceptorFunc(func(Peer) Handler { return nil })
	v2 := schedtest.NewVirtual(2, time.Unix(0, 0))
	defer v2.Close()
	_, _, err := Pipe(PipeConfig{Logger: quietLogger}, PipeEnd{Acceptor: la, Executor: v2.NewExecutor("a")},
		PipeEnd{Acceptor: nilAcceptor, Executor: v2.NewExecutor("b")})
	if err != nil {
		t.Fatal(err)
	}
	v2.RunUntilIdle()
	ev, _, cause, _ := la.snapshot()
	wantEvents(t, "a", ev, "accept", "closed")
	wantCloseErr(t, cause, 1011)
}

// MemoryServer: each Dial is a connection to the server's Acceptor; Close
// ends them all with 1001 and refuses new ones.
func TestMemoryServer(t *testing.T) {
	v := schedtest.NewVirtual(3, time.Unix(0, 0))
	defer v.Close()
	var mu sync.Mutex
	var servers []*memLog
	srv := NewMemoryServer(PipeConfig{Serializer: serialize.JSON}, v, AcceptorFunc(func(p Peer) Handler {
		l := &memLog{onMessage: func(p Peer, m wamp.Message) { p.Send(m) }} // echo
		mu.Lock()
		servers = append(servers, l)
		mu.Unlock()
		return l.Accept(p)
	}))
	ctx := context.Background()
	var clients []*memLog
	var peers []Peer
	for range 2 {
		l := &memLog{}
		p, err := srv.Dial(ctx, v.NewExecutor("client"), l)
		if err != nil {
			t.Fatal(err)
		}
		clients, peers = append(clients, l), append(peers, p)
	}
	peers[0].Send(pub(1))
	v.RunUntilIdle()
	if srv.Len() != 2 || len(servers) != 2 {
		t.Fatalf("server has %d connections, %d accepted", srv.Len(), len(servers))
	}
	// The Virtual runs the two Accept tasks in a seeded order.
	if addrs := servers[0].peer.Info().PeerAddr + " " + servers[1].peer.Info().PeerAddr; addrs != "memory:1 memory:2" && addrs != "memory:2 memory:1" {
		t.Fatalf("server ends' addresses %q", addrs)
	}
	if servers[0].peer.Info().PeerAddr == "memory:2" {
		servers[0], servers[1] = servers[1], servers[0]
	}
	peers[1].Close()
	v.RunUntilIdle()
	if srv.Len() != 1 {
		t.Fatalf("after a client closed the server has %d connections", srv.Len())
	}
	srv.Close()
	v.RunUntilIdle()
	ev, _, cause, _ := clients[0].snapshot()
	wantEvents(t, "client 0", ev, "accept", "PUBLISH", "closed")
	wantCloseErr(t, cause, 1001)
	if _, _, c, _ := servers[0].snapshot(); !errors.Is(c, ErrServerClosed) {
		t.Fatalf("server end's cause %v, want ErrServerClosed", c)
	}
	if srv.Len() != 0 {
		t.Fatalf("%d connections after Close", srv.Len())
	}
	if _, err := srv.Dial(ctx, v.NewExecutor("late"), &memLog{}); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Dial after Close: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := NewMemoryServer(PipeConfig{}, v, &memLog{}).Dial(cctx, v.NewExecutor("c"), &memLog{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial with a done context: %v", err)
	}
}

// On a real backend, both directions stay in order under concurrent
// senders, and Closed comes once, last.
func TestPipeConcurrentOnGoroutineBackend(t *testing.T) {
	be := goroutine.New(goroutine.Config{})
	defer be.Close()
	la, lb := &memLog{}, &memLog{}
	const n = 2000
	lb.onMessage = func(p Peer, m wamp.Message) { p.Send(m) } // echo back
	a, _, err := Pipe(PipeConfig{Serializer: serialize.MsgPack, QueueMax: 2 * n},
		PipeEnd{Acceptor: la, Executor: be.NewExecutor("a")}, PipeEnd{Acceptor: lb, Executor: be.NewExecutor("b")})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := range n / 2 {
				a.Send(pub(g*n + i + 1))
			}
		})
	}
	wg.Wait()
	eventually(t, "every message echoed", func() bool { _, msgs, _, _ := la.snapshot(); return len(msgs) == n })
	a.Close()
	eventually(t, "b closed", func() bool { _, _, _, c := lb.snapshot(); return c == 1 })
	_, msgs, _, _ := la.snapshot()
	last := map[int64]int64{0: 0, 1: int64(n)} // per sender goroutine
	for _, m := range msgs {
		x, _ := wamp.ToInt(m.(*wamp.Publish).Args[0])
		g := (x - 1) / n
		if x <= last[g] {
			t.Fatalf("echo of %d after %d: out of order", x, last[g])
		}
		last[g] = x
	}
}
