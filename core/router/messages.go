package router

import (
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// emptyDetails is the shared Details/Options dict of outgoing messages that
// carry nothing. Messages in Effects are immutable once emitted (the same
// value may be delivered to many sessions); the driver and the serializers
// must never write into them.
var emptyDetails = wamp.Dict{}

// abortMsg builds an ABORT with Details {"message": msg}.
func abortMsg(reason wamp.URI, msg string) *wamp.Abort {
	return &wamp.Abort{Details: wamp.Dict{"message": msg}, Reason: reason}
}

// errorMsg builds a router-generated ERROR answering a request: Details {},
// and Args [msg] with a human-readable explanation (as autobahn and
// Crossbar do), so every router-generated ERROR carries one argument.
func errorMsg(reqType wamp.Type, req wamp.ID, uri wamp.URI, msg string) *wamp.Error {
	return &wamp.Error{RequestType: reqType, Request: req, Details: emptyDetails, Error: uri, Args: wamp.List{msg}}
}

// send appends one outbound message.
func (fx *Effects) send(to SessionID, m wamp.Message) {
	fx.Out = append(fx.Out, Outbound{To: to, Msg: m})
}

// close appends one close operation.
func (fx *Effects) close(sid SessionID, reason wamp.URI) {
	fx.Close = append(fx.Close, CloseOp{Session: sid, Reason: reason})
}
