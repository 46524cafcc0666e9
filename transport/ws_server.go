package transport

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/lxzan/gws"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

const hdrProtocol = "Sec-WebSocket-Protocol"

// WebSocketServer accepts WAMP-over-WebSocket connections. It is an
// http.Handler that upgrades at whatever path it is mounted on, and hands
// each connection to its Acceptor. Safe for concurrent use.
type WebSocketServer struct {
	cfg       WebSocketConfig
	pc        *peerConfig
	acceptor  Acceptor
	protos    []string        // subprotocols, preference order
	upgraders []*gws.Upgrader // one per serializer, so our negotiation decides

	mu     sync.Mutex
	closed bool
	peers  map[*wsPeer]struct{}
	wg     sync.WaitGroup // reader and writer goroutines of every peer

	limits *connLimiter // MaxConnections, MaxConnectionsPerAddress
}

// NewWebSocketServer validates cfg and returns a server that hands each new
// connection to a.
func NewWebSocketServer(cfg WebSocketConfig, a Acceptor) (*WebSocketServer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if a == nil {
		return nil, fmt.Errorf("%w: nil Acceptor", ErrConfig)
	}
	cfg = cfg.withDefaults()
	s := &WebSocketServer{
		cfg:      cfg,
		acceptor: a,
		peers:    make(map[*wsPeer]struct{}),
		limits:   newConnLimiter(cfg.MaxConnections, cfg.MaxConnectionsPerAddress),
		pc: newPeerConfig(cfg.MaxMessageBytes, cfg.OutboundQueueMax, cfg.PingInterval,
			cfg.PongTimeout, cfg.WriteTimeout, cfg.Logger, cfg.Stats).withBudgets(cfg.OutboundQueueBytes, cfg.OutboundBudget, cfg.StallTimeout).withEventStall(cfg.EventStallTimeout).withInbound(cfg.InboundBudget),
	}
	for _, ser := range cfg.Serializers {
		s.protos = append(s.protos, ser.SubProtocol())
		s.upgraders = append(s.upgraders, gws.NewUpgrader(wsEvents{}, &gws.ServerOption{
			ParallelEnabled:     false,            // per-connection order is required
			CheckUtf8Enabled:    !cfg.Compression, // else checked after inflating (ws_inflate.go)
			ReadMaxPayloadSize:  s.pc.maxMessageBytes,
			WriteMaxPayloadSize: s.pc.maxMessageBytes,
			SubProtocols:        []string{ser.SubProtocol()},
			HandshakeTimeout:    s.pc.writeTimeout,
			ReadBufferSize:      cfg.ReadBufferBytes,
			PermessageDeflate:   gws.PermessageDeflate{Enabled: cfg.Compression},
			Recovery:            gws.Recovery,
			Logger:              gwsLogger{cfg.Logger},
			NewSession:          func() gws.SessionStorage { return s.newPeer(ser) },
		}))
	}
	return s, nil
}

// newPeer allocates the peer gws attaches to a connection being upgraded.
func (s *WebSocketServer) newPeer(ser serialize.Serializer) *wsPeer {
	p := &wsPeer{onClosed: s.deregister}
	p.cfg, p.ser, p.wg, p.acceptor = s.pc, ser, &s.wg, s.acceptor
	return p
}

// ServeHTTP upgrades the request to a WebSocket. It answers 400 to a request
// that is not an upgrade or offers none of the server's subprotocols, 403
// when CheckOrigin refuses, 505 when the connection is not HTTP/1.1 or w is
// not an http.Hijacker (a middleware wrapping w must keep that), 503
// after Close or when MaxConnections connections are upgrading or
// established, and 429 when MaxConnectionsPerAddress of them come from the
// request's source IP. After an upgrade it runs the connection's reader
// and returns only when the connection has ended (the goroutine net/http
// gave the request reads the connection: none is started per connection);
// a middleware around it sees the whole connection as one request. Safe
// for concurrent use.
func (s *WebSocketServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		s.reject(w, r, http.StatusBadRequest, "transport: expected a WebSocket upgrade request")
		return
	}
	if _, ok := w.(http.Hijacker); !ok || r.ProtoMajor != 1 {
		s.reject(w, r, http.StatusHTTPVersionNotSupported,
			"transport: WebSocket needs an HTTP/1.1 connection the handler can hijack")
		return
	}
	if !s.cfg.CheckOrigin(r) {
		s.reject(w, r, http.StatusForbidden, "transport: origin not allowed")
		return
	}
	i := s.negotiate(r.Header)
	if i < 0 {
		s.reject(w, r, http.StatusBadRequest, "transport: no supported WAMP subprotocol offered in "+
			hdrProtocol+"; this server supports: "+strings.Join(s.protos, ", "))
		return
	}
	slot, refusal := s.limits.acquire(r.RemoteAddr)
	switch refusal {
	case limitTotal:
		s.cfg.Stats.LimitRefusals.Add(1)
		s.reject(w, r, http.StatusServiceUnavailable, "transport: connection limit reached (MaxConnections); try again later")
		return
	case limitAddress:
		s.cfg.Stats.LimitRefusals.Add(1)
		s.reject(w, r, http.StatusTooManyRequests, "transport: too many connections from your address (MaxConnectionsPerAddress)")
		return
	}
	// The slot is the peer's once its reader runs (released by finish,
	// after Handler.Closed); until then, any way out of here gives it back.
	handedOff := false
	defer func() {
		if !handedOff {
			slot.release()
		}
	}()
	if !s.reserve() {
		s.reject(w, r, http.StatusServiceUnavailable, "transport: server closed")
		return
	}
	conn, err := s.upgraders[i].Upgrade(wsHijacker{w, s.pc, r.RemoteAddr}, withProtocol(r, s.protos[i]))
	if err != nil { // gws has answered 400 and closed the connection
		s.wg.Done()
		s.cfg.Stats.Rejected.Add(1)
		s.cfg.Logger.Debug("transport: websocket upgrade failed", "peer", r.RemoteAddr, "err", err)
		return
	}
	p := peerOf(conn)
	p.slot = slot
	p.attach(conn, p.ser, false, s.cfg.Compression)
	if s.cfg.Compression && p.wc != nil {
		// The peer inflates what the client compresses (ws_inflate.go);
		// gws negotiated the extension on the same test.
		p.checkUTF8 = true
		p.wc.scan.inflate = strings.Contains(r.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate")
	}
	p.info = Info{
		Transport:  "websocket",
		Serializer: p.ser.Name(),
		PeerAddr:   r.RemoteAddr,
		Path:       r.URL.Path,
		Query:      r.URL.RawQuery,
		Header:     r.Header,
		Cookies:    r.Cookies(),
		TLS:        r.TLS != nil,
	}
	if r.TLS != nil {
		p.info.TLSUnique = r.TLS.TLSUnique
	}
	s.cfg.Stats.Accepted.Add(1)
	if !s.register(p) { // Close ran during the handshake
		p.shutdown(closeGoingAway, "server shutting down", ErrServerClosed)
	}
	handedOff = true
	// The connection's reader runs on this goroutine, net/http's for the
	// connection, whose stack has already grown: no goroutine to start,
	// no stack to grow again (net/http does nothing more with a hijacked
	// connection; ServeHTTP returns when the connection has ended).
	defer s.wg.Done()
	p.readLoop()
}

// Close closes every live peer (flush bounded by WriteTimeout, then close
// 1001 "server shutting down"; Handler.Closed gets ErrServerClosed) and
// waits for all their goroutines. Later handshakes get 503. It does not
// close the http.Server or listener the handler is mounted on. Idempotent.
func (s *WebSocketServer) Close() {
	s.mu.Lock()
	s.closed = true
	peers := make([]*wsPeer, 0, len(s.peers))
	for p := range s.peers {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	for _, p := range peers {
		p.shutdown(closeGoingAway, "server shutting down", ErrServerClosed)
	}
	s.wg.Wait()
}

// negotiate returns the index of the first server serializer whose
// subprotocol the client offered, or -1.
func (s *WebSocketServer) negotiate(h http.Header) int {
	offered := h.Values(hdrProtocol)
	for i, want := range s.protos {
		for _, line := range offered {
			for tok := range strings.SplitSeq(line, ",") {
				if strings.TrimSpace(tok) == want {
					return i
				}
			}
		}
	}
	return -1
}

// withProtocol returns r, or a copy whose Sec-WebSocket-Protocol is exactly
// proto when the offer spans several header lines (gws reads only the first).
func withProtocol(r *http.Request, proto string) *http.Request {
	if len(r.Header.Values(hdrProtocol)) <= 1 {
		return r
	}
	r2 := r.WithContext(r.Context())
	r2.Header = r.Header.Clone()
	r2.Header.Set(hdrProtocol, proto)
	return r2
}

// reserve counts an upgrade in progress, unless the server is closed.
func (s *WebSocketServer) reserve() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *WebSocketServer) register(p *wsPeer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.peers[p] = struct{}{}
	return true
}

func (s *WebSocketServer) deregister(p *wsPeer) {
	s.mu.Lock()
	delete(s.peers, p)
	s.mu.Unlock()
}

func (s *WebSocketServer) reject(w http.ResponseWriter, r *http.Request, code int, msg string) {
	s.cfg.Stats.Rejected.Add(1)
	s.cfg.Logger.Debug("transport: websocket handshake rejected", "peer", r.RemoteAddr, "status", code, "reason", msg)
	http.Error(w, msg, code)
}
