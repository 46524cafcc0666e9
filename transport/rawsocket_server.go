package transport

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// RawSocketServer accepts WAMP-over-RawSocket connections on any
// net.Listener (TCP, unix, or a tls.Listener for RawSocket over TLS) and
// hands each one to its Acceptor. Safe for concurrent use.
type RawSocketServer struct {
	cfg      RawSocketConfig
	pc       *peerConfig
	acceptor Acceptor
	lenExp   byte                     // the LENGTH nibble this server announces
	bySer    [16]serialize.Serializer // by RawSocketID

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	shaking   map[net.Conn]struct{} // connections in the handshake
	peers     map[*rsPeer]struct{}
	wg        sync.WaitGroup // ServeConn calls and writer goroutines

	limits *connLimiter // MaxConnections, MaxConnectionsPerAddress

	poll      *rsPoller // idle readers without a goroutine (Linux); made on first use, under mu
	pollTried bool      // newRSPoller was called (it may have returned nil)
	pollIdle  bool      // rsPollIdle when the server was made
}

// NewRawSocketServer validates cfg and returns a server that hands each new
// connection to a.
func NewRawSocketServer(cfg RawSocketConfig, a Acceptor) (*RawSocketServer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if a == nil {
		return nil, fmt.Errorf("%w: nil Acceptor", ErrConfig)
	}
	cfg = cfg.withDefaults()
	s := &RawSocketServer{
		cfg:       cfg,
		acceptor:  a,
		lenExp:    rsLenExp(cfg.MaxMessageBytes),
		listeners: make(map[net.Listener]struct{}),
		shaking:   make(map[net.Conn]struct{}),
		peers:     make(map[*rsPeer]struct{}),
		limits:    newConnLimiter(cfg.MaxConnections, cfg.MaxConnectionsPerAddress),
		pollIdle:  rsPollIdle,
	}
	s.pc = newPeerConfig(rsMaxLen(s.lenExp), cfg.OutboundQueueMax, cfg.PingInterval,
		cfg.PongTimeout, cfg.WriteTimeout, cfg.Logger, cfg.Stats).withBudgets(cfg.OutboundQueueBytes, cfg.OutboundBudget, cfg.StallTimeout).withEventStall(cfg.EventStallTimeout).withInbound(cfg.InboundBudget)
	for _, ser := range cfg.Serializers {
		s.bySer[ser.RawSocketID()] = ser
	}
	return s, nil
}

// MaxMessageBytes returns the message size limit the server announces and
// enforces inbound (MaxMessageBytes rounded as documented). Safe for
// concurrent use.
func (s *RawSocketServer) MaxMessageBytes() int { return s.pc.maxMessageBytes }

// Serve accepts connections on ln and serves each on its own goroutine
// until Close, then returns ErrServerClosed; it returns another error if
// Accept fails permanently. Serve closes ln when it returns. It may be
// called for several listeners at once. Safe for concurrent use.
func (s *RawSocketServer) Serve(ln net.Listener) error {
	if !s.trackListener(ln) {
		_ = ln.Close()
		return ErrServerClosed
	}
	defer s.untrackListener(ln)
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			if te, ok := err.(interface{ Temporary() bool }); ok && te.Temporary() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.cfg.Logger.Warn("transport: rawsocket accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		limitUnsent(c)
		if !s.enter() {
			_ = c.Close()
			return ErrServerClosed
		}
		go func() {
			handedOff := false // then the peer's end marks the WaitGroup done
			defer func() {
				if !handedOff {
					s.wg.Done()
				}
			}()
			handedOff = s.serve(c, nil, true)
		}()
	}
}

// ServeConn runs the RawSocket handshake on c and, if it succeeds, serves
// the connection on the calling goroutine until it ends; c is closed when
// ServeConn returns. Use it to serve connections accepted elsewhere (Mux
// does). After Close it closes c at once. Safe for concurrent use.
func (s *RawSocketServer) ServeConn(c net.Conn) {
	if !s.enter() {
		_ = c.Close()
		return
	}
	defer s.wg.Done()
	s.serve(c, nil, false)
}

// Close stops every Serve (closing its listener), fails connections still
// in the handshake, closes every live peer (flush bounded by WriteTimeout,
// then half-close; Handler.Closed gets ErrServerClosed) and waits for all
// their goroutines, including ServeConn calls and the poller of idle
// connections. Idempotent.
func (s *RawSocketServer) Close() {
	s.mu.Lock()
	s.closed = true
	for ln := range s.listeners {
		_ = ln.Close()
	}
	for c := range s.shaking {
		_ = c.Close()
	}
	peers := make([]*rsPeer, 0, len(s.peers))
	for p := range s.peers {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	for _, p := range peers {
		p.shutdown(closeGoingAway, "server shutting down", ErrServerClosed)
	}
	s.mu.Lock()
	pl := s.poll
	s.mu.Unlock()
	if pl != nil { // no reader parks any more: each is closing
		pl.close()
	}
	s.wg.Wait()
}

// serve runs one connection: handshake, then the peer's reader. The
// connection holds its slot under the connection limits from before the
// handshake until it is done: after Handler.Closed, or after a failed or
// panicking handshake. Without park, serve returns when the connection is
// done. With park (Serve's goroutines), the reader may move to other
// goroutines (rsPeer.read): serve then returns true, and the peer's end
// releases the slot and marks the server's WaitGroup done.
func (s *RawSocketServer) serve(nc net.Conn, first []byte, park bool) (handedOff bool) {
	if !s.trackHandshake(nc) {
		_ = nc.Close()
		return false
	}
	slot, refusal := s.limits.acquire(remoteAddr(nc))
	p := s.handshake(nc, first, refusal)
	s.untrackHandshake(nc)
	if p == nil {
		slot.release() // nil when refused
		_ = nc.Close()
		return false
	}
	s.cfg.Stats.Accepted.Add(1)
	if !s.register(p) { // Close ran during the handshake
		p.shutdown(closeGoingAway, "server shutting down", ErrServerClosed)
	}
	if !park {
		defer slot.release()
		p.run()
		return false
	}
	p.onEnd = func() { // parks the reader (rsPeer.read)
		slot.release()
		s.wg.Done()
	}
	p.park.poll = s.idlePoller()
	p.run()
	return true
}

// idlePoller returns the server's poller for parked readers, made on first
// use; nil when there is none (not Linux, epoll refused, or the server is
// closed).
func (s *RawSocketServer) idlePoller() *rsPoller {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if !s.pollTried {
		s.pollTried = true
		if s.pollIdle {
			s.poll = newRSPoller(s.cfg.Logger)
		}
	}
	return s.poll
}

// handshake reads the client's 4 octets and answers them, all within
// HandshakeTimeout. It returns the established peer, or nil after a
// refusal (an error reply was sent if the spec calls for one) or a panic
// (logged and counted; the caller closes nc). A connection the limits
// refused (refusal) is answered with error 4 once its hello is valid.
func (s *RawSocketServer) handshake(nc net.Conn, first []byte, refusal limitRefusal) (p *rsPeer) {
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Stats.Rejected.Add(1)
			_ = readerPanic(s.cfg.Logger, s.cfg.Stats, "rawsocket handshake", remoteAddr(nc), r)
			p = nil
		}
	}()
	_ = nc.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	br := newIdleReader(nc, s.cfg.ReadBufferBytes)
	var hello [4]byte
	n := copy(hello[:], first)
	if n == 0 { // read the first octet alone: garbage fails at once
		if _, err := io.ReadFull(br, hello[:1]); err != nil {
			return s.refuse(nc, err)
		}
		n = 1
	}
	if hello[0] != rsMagic {
		return s.refuse(nc, errNotRawSocket)
	}
	if _, err := io.ReadFull(br, hello[n:]); err != nil {
		return s.refuse(nc, err)
	}
	id, lenExp, err := parseRawSocketHello(hello)
	if err != nil {
		return s.refuse(nc, err)
	}
	ser := s.bySer[id]
	if ser == nil {
		return s.refuse(nc, &RawSocketHandshakeError{RawSocketErrorSerializerUnsupported})
	}
	if refusal != limitNone {
		s.cfg.Stats.LimitRefusals.Add(1)
		return s.refuse(nc, &rsLimitError{RawSocketHandshakeError{RawSocketErrorMaxConnections}, refusal})
	}
	reply := rsHello(id, s.lenExp)
	if _, err := nc.Write(reply[:]); err != nil {
		return s.refuse(nc, err)
	}
	_ = nc.SetDeadline(time.Time{})
	p = newRSPeer(nc, br, ser, s.pc, rsMaxLen(lenExp), &s.wg, s.acceptor)
	p.onClosed = s.deregister
	return p
}

// refuse counts and logs a failed handshake, sending the error reply a
// *RawSocketHandshakeError calls for. It returns nil for handshake's
// convenience.
func (s *RawSocketServer) refuse(nc net.Conn, err error) *rsPeer {
	s.cfg.Stats.Rejected.Add(1)
	var he *RawSocketHandshakeError
	if errors.As(err, &he) {
		reply := rsErrorReply(he.Code)
		_, _ = nc.Write(reply[:]) // under the handshake deadline
	}
	s.cfg.Logger.Debug("transport: rawsocket handshake failed", "peer", remoteAddr(nc), "err", err)
	return nil
}

// enter counts a connection being served, unless the server is closed.
func (s *RawSocketServer) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *RawSocketServer) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *RawSocketServer) trackListener(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *RawSocketServer) untrackListener(ln net.Listener) {
	s.mu.Lock()
	delete(s.listeners, ln)
	s.mu.Unlock()
	_ = ln.Close()
}

func (s *RawSocketServer) trackHandshake(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.shaking[nc] = struct{}{}
	return true
}

func (s *RawSocketServer) untrackHandshake(nc net.Conn) {
	s.mu.Lock()
	delete(s.shaking, nc)
	s.mu.Unlock()
}

func (s *RawSocketServer) register(p *rsPeer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.peers[p] = struct{}{}
	return true
}

// deregister forgets a peer whose connection ended. (Its slot under the
// connection limits is released by serve, after Handler.Closed.)
func (s *RawSocketServer) deregister(p *rsPeer) {
	s.mu.Lock()
	delete(s.peers, p)
	s.mu.Unlock()
}

// rsLimitError is the error 4 refusal of a connection over a limit: it
// unwraps to the *RawSocketHandshakeError that decides the reply, and its
// text names the limit for the Debug log.
type rsLimitError struct {
	RawSocketHandshakeError
	which limitRefusal
}

func (e *rsLimitError) Error() string {
	if e.which == limitAddress {
		return e.RawSocketHandshakeError.Error() + " (MaxConnectionsPerAddress)"
	}
	return e.RawSocketHandshakeError.Error() + " (MaxConnections)"
}

func (e *rsLimitError) Unwrap() error { return &e.RawSocketHandshakeError }
