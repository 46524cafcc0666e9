package peer

import "github.com/switchboard-wamp/switchboard/core/wamp"

// Unsent tells the peer that the transport could not send m (larger than
// the router's maximum message size, or holding a value the serializer
// cannot carry; err says which) and dropped it. The connection is fine, so
// the peer settles what m would have started, as the router would have
// answered it, with a local ERROR of uri (wamp.error.payload_size_exceeded
// or wamp.error.invalid_argument) and err's text as Args[0]:
//
//   - a request (CALL, acknowledged PUBLISH, SUBSCRIBE, REGISTER, ...)
//     completes with that ERROR, as if the router had refused it;
//   - a YIELD or an invocation's ERROR: the router is sent a small ERROR
//     for the invocation instead, so the caller is not left waiting (a
//     progressive YIELD ends the invocation the same way);
//   - anything else is dropped.
//
// Executor-only, like every method of Peer.
func (p *Peer) Unsent(m wamp.Message, uri wamp.URI, err error, out *Effects) {
	if p.st != stEstablished {
		return
	}
	msg := wamp.List{err.Error()}
	switch m := m.(type) {
	case *wamp.Yield:
		p.invocationUnsent(m.Request, uri, msg, out)
		return
	case *wamp.Error:
		if m.RequestType == wamp.INVOCATION && (len(m.Args) > 0 || len(m.Kwargs) > 0 || len(m.Details) > 0) {
			p.invocationUnsent(m.Request, uri, msg, out)
		}
		return
	}
	req, ok := requestOf(m)
	if !ok {
		return
	}
	if r, pending := p.pending[req]; pending && r.kind == m.Type() {
		_ = p.onError(&wamp.Error{RequestType: m.Type(), Request: req, Details: wamp.Dict{}, Error: uri, Args: msg}, out)
	}
}

// invocationUnsent answers an invocation whose YIELD or ERROR could not be
// sent with a payload-free ERROR, closing it if it is still open.
func (p *Peer) invocationUnsent(request wamp.ID, uri wamp.URI, msg wamp.List, out *Effects) {
	delete(p.invs, request)
	out.Send = append(out.Send, &wamp.Error{RequestType: wamp.INVOCATION, Request: request, Details: wamp.Dict{}, Error: uri, Args: msg})
}

// requestOf returns the request ID of a client request message.
func requestOf(m wamp.Message) (wamp.ID, bool) {
	switch m := m.(type) {
	case *wamp.Call:
		return m.Request, true
	case *wamp.Publish:
		return m.Request, true
	case *wamp.Subscribe:
		return m.Request, true
	case *wamp.Unsubscribe:
		return m.Request, true
	case *wamp.Register:
		return m.Request, true
	case *wamp.Unregister:
		return m.Request, true
	}
	return 0, false
}
