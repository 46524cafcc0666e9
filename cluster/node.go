package cluster

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-wamp/switchboard/core/engine"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// ErrClosed is returned by a Node's methods once it is closed.
var ErrClosed = errors.New("cluster: node closed")

// ctlQueue bounds the control messages waiting for the node's loop. A
// burst beyond it is dropped by the NATS client (a slow consumer): a
// lost delta shows as a version gap and is repaired by a snapshot.
const ctlQueue = 4096

// Node is one application's membership of a cluster: its NATS connection,
// what it announces of its realms, what it knows of the other nodes, and
// their node sessions in its realms. Methods are safe for concurrent use.
//
// Goroutines: the NATS client's (one per inbox subscription: realm.go,
// which posts to the realm's executor), the node's loop (run), the only
// one that reads control messages and decides which nodes live, and its
// heartbeat (beat).
type Node struct {
	cfg  Config
	name string
	inc  uint64 // incarnation, drawn at Start
	log  *slog.Logger
	ids  engine.IDSource
	nc   *nats.Conn
	ctl  chan *nats.Msg
	kick chan struct{} // reconnected: announce everything (run)
	stop chan struct{}
	done chan struct{}

	// live maps each node name known alive to its epoch (membership.go):
	// written by run, copy on write; read by inbox goroutines.
	live atomic.Pointer[map[string]uint64]

	// remoteSessions are the other nodes' session IDs (sessions.go).
	remoteSessions remoteIDs

	mu     sync.Mutex // guards what follows
	realms map[wamp.URI]*Realm
	state  localState // what this node announces (state.go)
	closed bool
}

// Start connects to NATS and joins the cluster. ids draws the node
// sessions' IDs (the application's IDSource). Realms are added with
// AddRealm; Close leaves.
func Start(cfg Config, ids engine.IDSource) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	n := &Node{
		cfg:    cfg,
		name:   cfg.NodeName,
		inc:    randomUint64(),
		log:    cfg.Log.With("node", cfg.NodeName),
		ids:    ids,
		ctl:    make(chan *nats.Msg, ctlQueue),
		kick:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		realms: make(map[wamp.URI]*Realm),
	}
	n.state.init()
	empty := map[string]uint64{}
	n.live.Store(&empty)
	nc, err := nats.Connect(joinURLs(cfg.URLs), n.natsOptions()...)
	if err != nil {
		return nil, fmt.Errorf("cluster: connecting to NATS: %w", err)
	}
	n.nc = nc
	if _, err := nc.ChanSubscribe(ctlSubject(cfg.SubjectPrefix), n.ctl); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: subscribing: %w", err)
	}
	if err := nc.Flush(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: subscribing: %w", err)
	}
	go n.run()
	return n, nil
}

// natsOptions: reconnect forever, never echo our own messages, tell the
// loop when the connection is back.
func (n *Node) natsOptions() []nats.Option {
	opts := []nats.Option{
		nats.Name("switchboard " + n.name),
		nats.NoEcho(),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(false),
		nats.ReconnectHandler(func(*nats.Conn) {
			select {
			case n.kick <- struct{}{}:
			default:
			}
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				n.log.Warn("cluster: disconnected from NATS", "err", err)
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			n.log.Warn("cluster: NATS error", "subject", subj, "err", err)
		}),
	}
	if n.cfg.CredentialsFile != "" {
		opts = append(opts, nats.UserCredentials(n.cfg.CredentialsFile))
	}
	if n.cfg.TLS != nil {
		opts = append(opts, nats.Secure(n.cfg.TLS))
	}
	return opts
}

// Name returns the node's name.
func (n *Node) Name() string { return n.name }

// Conn returns the node's NATS connection (for tests and metrics).
func (n *Node) Conn() *nats.Conn { return n.nc }

// Close leaves the cluster: the other nodes are told (they drop this
// node's sessions at once instead of after NodeTimeout), the loop stops,
// the connection is closed. The realms' node sessions stay until the
// realms shut down. Idempotent.
func (n *Node) Close() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	realms := make([]*Realm, 0, len(n.realms))
	for _, r := range n.realms {
		realms = append(realms, r)
	}
	n.mu.Unlock()
	close(n.stop)
	<-n.done
	n.publishCtl(&ctlMsg{Kind: ctlBye})
	for _, r := range realms {
		r.unsubscribe()
	}
	_ = n.nc.FlushTimeout(time.Second) // the goodbye, if NATS is there to take it
	n.nc.Close()
}

// publishCtl stamps m with the node's identity and sends it on the
// control subject. A message that cannot be sent (NATS down and the
// reconnect buffer full) is lost: the receivers repair state from the
// next snapshot.
func (n *Node) publishCtl(m *ctlMsg) {
	m.Node, m.Inc = n.name, n.inc
	b, err := encodeCtl(m)
	if err == nil {
		err = n.nc.Publish(ctlSubject(n.cfg.SubjectPrefix), b)
	}
	if err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		n.log.Debug("cluster: control message not sent", "kind", m.Kind, "err", err)
	}
}

func randomUint64() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) | 1
}

func joinURLs(urls []string) string {
	s := ""
	for i, u := range urls {
		if i > 0 {
			s += ","
		}
		s += u
	}
	return s
}
