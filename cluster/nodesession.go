package cluster

import (
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// nodeSession is another node's presence in a realm of this node: a
// session of the router (SessionInfo.Internal, authrole NodeAuthRole)
// that subscribes and registers on the node's behalf, and the engine
// outlet of that session, whose Send hands what the router sends it to
// the node over NATS instead of writing to a socket. Executor-owned.
type nodeSession struct {
	r       *Realm
	node    string
	epoch   uint64
	sid     wamp.ID
	subject string // where its messages go: the node's inbox for the realm

	// state is what the node announced of the realm (state.go).
	state map[stateKey][]any
	gone  bool // detached, or closed by the router

	lastReq wamp.ID // the session's last request ID
	// subs are the subscriptions made for the node's interest
	// (pubsub.go), by entry key; subReqs maps a SUBSCRIBE's request ID
	// to its key until SUBSCRIBED.
	subs    map[string]*nodeSub
	subReqs map[wamp.ID]string
	// rpc is what the session registered for its node (rpc.go).
	rpc rpcSession
}

func newNodeSession(r *Realm, node string, epoch uint64, sid wamp.ID) *nodeSession {
	return &nodeSession{r: r, node: node, epoch: epoch, sid: sid,
		subject: msgSubject(r.n.cfg.SubjectPrefix, r.uri, node, r.n.name),
		state:   make(map[stateKey][]any), subs: make(map[string]*nodeSub), subReqs: make(map[wamp.ID]string)}
}

// sendHandler acts on a message the router sends a node session; it
// returns what Outlet.Send returns. Executor-only.
type sendHandler func(ns *nodeSession, m wamp.Message) bool

// receiveHandler acts on a message node ns sent this realm. Executor-only.
type receiveHandler func(r *Realm, ns *nodeSession, m wamp.Message)

// onSend and onReceive dispatch by message type; ERRORs the router sends
// are dispatched by the type of the request they answer (onSendError).
// A type without a send handler is forwarded to the node as it is; one
// without a receive handler is dropped. Each feature's file adds its own
// handlers in an init function (pubsub.go; rpc.go); read-only once the
// program runs.
var (
	onSend      = map[wamp.Type]sendHandler{}
	onSendError = map[wamp.Type]sendHandler{}
	onReceive   = map[wamp.Type]receiveHandler{}
)

func init() {
	onSend[wamp.WELCOME] = func(*nodeSession, wamp.Message) bool { return true }
	onSend[wamp.ABORT] = func(*nodeSession, wamp.Message) bool { return true }
	onSend[wamp.GOODBYE] = (*nodeSession).goodbye
	onSend[wamp.ERROR] = func(ns *nodeSession, m wamp.Message) bool {
		e := m.(*wamp.Error)
		if h := onSendError[e.RequestType]; h != nil {
			return h(ns, m)
		}
		return ns.forward(m)
	}
}

// Send implements engine.Outlet: what the router sends the session.
// Executor-only.
func (ns *nodeSession) Send(m wamp.Message) bool {
	if h := onSend[m.Type()]; h != nil {
		return h(ns, m)
	}
	return ns.forward(m)
}

// Close implements engine.Outlet: the router closed the session (the
// realm shut down, or it was killed). Executor-only.
func (ns *nodeSession) Close() { ns.r.forget(ns) }

// goodbye answers the router's GOODBYE (the realm shuts down).
func (ns *nodeSession) goodbye(_ wamp.Message) bool {
	ns.handle(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut})
	return true
}

// forward sends m to the node. Executor-only.
func (ns *nodeSession) forward(m wamp.Message) bool { return ns.forwardFor(m, m) }

// forwardFor sends the node m, which carries orig, a message the router
// sent the node session (m is orig, or what orig becomes on the other
// node: a CALL for an INVOCATION). Too large for NATS, orig is reported
// to the router as refused, which answers whoever caused it (a call fails
// at once instead of waiting for its timeout). Executor-only.
func (ns *nodeSession) forwardFor(orig, m wamp.Message) bool {
	b, err := encodeMsg(m)
	if err != nil {
		ns.r.n.log.Warn("cluster: message for a node not encodable", "realm", string(ns.r.uri), "peer", ns.node, "type", m.Type(), "err", err)
		return true
	}
	if max := ns.r.n.nc.MaxPayload(); int64(len(b)) > max {
		ns.r.e.Refused(ns.sid, orig, fmt.Errorf("%w: %d bytes for node %s, NATS carries at most %d",
			transport.ErrMessageTooLarge, len(b), ns.node, max))
		return true
	}
	return ns.publish(b)
}

// publish sends an encoded message to the node. Lost when NATS is away
// and its reconnect buffer full (at most once). Executor-only.
func (ns *nodeSession) publish(b []byte) bool {
	if err := ns.r.n.nc.Publish(ns.subject, b); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		ns.r.n.log.Debug("cluster: message for a node lost", "realm", string(ns.r.uri), "peer", ns.node, "err", err)
	}
	return true
}

// request returns a new request ID of the session. Executor-only.
func (ns *nodeSession) request() wamp.ID {
	ns.lastReq++
	return ns.lastReq
}

// handle feeds the router a message from the session. Executor-only.
func (ns *nodeSession) handle(m wamp.Message) {
	if !ns.gone {
		ns.r.e.HandleLocal(ns.sid, m)
	}
}
