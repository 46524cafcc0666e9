package transport

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// MemoryServer accepts in-memory connections (Pipe) for an Acceptor, the
// way WebSocketServer does over the network: each Dial makes a new
// connection whose server end runs on a fresh executor of the server's
// backend. With a client's DialFunc it lets a whole client/router stack run
// in memory, on schedtest.Virtual deterministically. Safe for concurrent
// use.
type MemoryServer struct {
	cfg      PipeConfig
	backend  scheduler.AsyncSupport
	acceptor Acceptor

	mu     sync.Mutex
	closed bool
	n      int             // connections made, for names and addresses
	conns  map[*memEnd]int // open server ends, by connection number
}

// NewMemoryServer returns a server whose connections' server ends call a
// and run on executors of backend.
func NewMemoryServer(cfg PipeConfig, backend scheduler.AsyncSupport, a Acceptor) *MemoryServer {
	return &MemoryServer{cfg: cfg.withDefaults(), backend: backend, acceptor: a, conns: make(map[*memEnd]int)}
}

// Dial connects a new client end, whose Accept and Handler calls run on ex,
// and returns its Peer. The server end's Info has PeerAddr "memory:N" (N
// counts connections from 1), the client end's "memory:server". It fails
// with ctx's error, ErrServerClosed after Close, or as Pipe does. Safe for
// concurrent use.
func (s *MemoryServer) Dial(ctx context.Context, ex scheduler.Executor, a Acceptor) (Peer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrServerClosed
	}
	s.n++
	n := s.n
	addr := "memory:" + strconv.Itoa(n)
	s.mu.Unlock()
	server := PipeEnd{Acceptor: s.acceptor, Executor: s.backend.NewExecutor("memory conn " + addr), Info: Info{PeerAddr: addr}}
	client := PipeEnd{Acceptor: a, Executor: ex, Info: Info{PeerAddr: "memory:server"}}
	cp, sp, err := Pipe(s.cfg, client, server)
	if err != nil {
		return nil, fmt.Errorf("transport: memory dial: %w", err)
	}
	end := sp.(*memEnd)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		end.closeGoingAway(ErrServerClosed)
		return nil, ErrServerClosed
	}
	s.conns[end] = n
	s.mu.Unlock()
	end.pipe.mu.Lock()
	end.onDone = func() { s.forget(end) }
	done := end.done
	end.pipe.mu.Unlock()
	if done {
		s.forget(end)
	}
	return cp, nil
}

func (s *MemoryServer) forget(e *memEnd) {
	s.mu.Lock()
	delete(s.conns, e)
	s.mu.Unlock()
}

// Len reports the number of open connections (server ends whose Handler
// has not yet received Closed). Safe for concurrent use.
func (s *MemoryServer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Close refuses new connections and closes every open one in order: the
// server end's Handler gets Closed(ErrServerClosed) and the client end's,
// after what the server sent, a *CloseError{Code: 1001, Remote: true}. It
// does not wait for the Handlers, which run on their executors.
// Idempotent; safe for concurrent use.
func (s *MemoryServer) Close() {
	s.mu.Lock()
	s.closed = true
	ends := make([]*memEnd, 0, len(s.conns))
	for e := range s.conns {
		ends = append(ends, e)
	}
	// In connection order, so that a Virtual replays the same posts.
	slices.SortFunc(ends, func(a, b *memEnd) int { return s.conns[a] - s.conns[b] })
	s.mu.Unlock()
	for _, e := range ends {
		e.closeGoingAway(ErrServerClosed)
	}
}
