package client

import (
	"fmt"
	"io"
	"sync"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// memPeer is one end of an in-memory connection implementing
// transport.Peer: Send queues to the other end, whose reader goroutine
// delivers to its Handler in order, then Closed exactly once.
type memPeer struct {
	mu       sync.Mutex
	remote   *memPeer
	h        transport.Handler
	inq      []wamp.Message
	closed   bool  // Close was called on this end (or the pipe was cut)
	eof      bool  // the other end closed: Closed after draining inq
	cause    error // Closed cause for a local close or a cut
	wake     chan struct{}
	finished chan struct{}
	wire     bool // set before use: copy through the list form
}

// pipe returns two connected ends; start each with its Handler.
func pipe() (*memPeer, *memPeer) {
	a := &memPeer{wake: make(chan struct{}, 1), finished: make(chan struct{})}
	b := &memPeer{wake: make(chan struct{}, 1), finished: make(chan struct{})}
	a.remote, b.remote = b, a
	return a, b
}

func (p *memPeer) start(h transport.Handler) {
	p.h = h
	go p.readLoop()
}

func (p *memPeer) signal() {
	select {
	case p.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

func (p *memPeer) readLoop() {
	defer close(p.finished)
	for range p.wake {
		p.mu.Lock()
		batch, closed, eof, cause := p.inq, p.closed, p.eof, p.cause
		p.inq = nil
		p.mu.Unlock()
		if closed {
			p.h.Closed(cause)
			return
		}
		for _, m := range batch {
			p.h.Message(m)
		}
		if eof {
			p.h.Closed(io.EOF)
			return
		}
	}
}

// Send queues m for the other end. On a wire pipe, m travels as a
// serializer would carry it: converted to its list form, deep-copied with
// integers as int64, and validated back into a message.
func (p *memPeer) Send(m wamp.Message) bool {
	if p.wire {
		copied, err := wamp.FromList(wireCopy(wamp.ToList(m)).(wamp.List))
		if err != nil {
			panic(fmt.Sprintf("memPeer: invalid %s on the wire: %v", m.Type(), err))
		}
		m = copied
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return false
	}
	r := p.remote
	r.mu.Lock()
	if r.closed || r.eof {
		r.mu.Unlock()
		return false
	}
	r.inq = append(r.inq, m)
	r.mu.Unlock()
	r.signal()
	return true
}

// Close closes this end: its handler gets Closed(nil), the other end gets
// what was queued and then Closed(io.EOF).
func (p *memPeer) Close() { p.shut(nil) }

func (p *memPeer) shut(cause error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed, p.cause = true, cause
	p.mu.Unlock()
	p.signal()
	r := p.remote
	r.mu.Lock()
	r.eof = true
	r.mu.Unlock()
	r.signal()
}

// cut drops the connection: both ends get Closed(cause) at once.
func (p *memPeer) cut(cause error) {
	r := p.remote
	r.mu.Lock()
	r.closed, r.cause = true, cause
	r.mu.Unlock()
	r.signal()
	p.shut(cause)
}

// wireCopy deep-copies a decoded-like value, turning every integer kind
// into int64 as the JSON and msgpack decoders do.
func wireCopy(v any) any {
	switch x := v.(type) {
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = wireCopy(e)
		}
		return l
	case map[string]any:
		d := make(map[string]any, len(x))
		for k, e := range x {
			d[k] = wireCopy(e)
		}
		return d
	case int:
		return int64(x)
	case uint64:
		return int64(x)
	case wamp.ID:
		return int64(x)
	}
	return v
}

func (p *memPeer) Info() transport.Info {
	return transport.Info{Transport: "memory", Serializer: "none"}
}
