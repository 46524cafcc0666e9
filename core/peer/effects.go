package peer

import "github.com/switchboard-wamp/switchboard/core/wamp"

// Effects is what one step of the peer wants done, appended in emission
// order into a buffer the driver owns. The driver applies it (sends Send in
// order, completes waiters, runs handlers) and then calls Reset before the
// next step. Slices inside (EventDelivery.Handles) may be shared with the
// peer's state and must be treated as read-only.
type Effects struct {
	// Send holds the messages to write to the router, in order.
	Send []wamp.Message
	// Joined is set when WELCOME established the session.
	Joined *wamp.Welcome
	// Challenge is set when the router sent CHALLENGE; the driver answers
	// with Peer.Authenticate or Peer.Abort.
	Challenge *wamp.Challenge
	// Completions report replies to (or failures of) local requests.
	Completions []Completion
	// Invocations are calls of local procedures to run.
	Invocations []Invocation
	// Interrupts ask the driver to cancel running invocations.
	Interrupts []Interrupt
	// Events are publications to deliver to local subscription handles.
	Events []EventDelivery
	// Revoked lists subscriptions and registrations the router removed on
	// its own (subscription/registration revocation).
	Revoked []Revocation
	// Closed is set when the session ended in this step. The driver closes
	// the connection after sending Send.
	Closed *CloseInfo
}

// Reset empties fx, keeping capacity.
func (fx *Effects) Reset() {
	clear(fx.Send)
	fx.Send = fx.Send[:0]
	fx.Joined = nil
	fx.Challenge = nil
	clear(fx.Completions)
	fx.Completions = fx.Completions[:0]
	clear(fx.Invocations)
	fx.Invocations = fx.Invocations[:0]
	clear(fx.Interrupts)
	fx.Interrupts = fx.Interrupts[:0]
	clear(fx.Events)
	fx.Events = fx.Events[:0]
	clear(fx.Revoked)
	fx.Revoked = fx.Revoked[:0]
	fx.Closed = nil
}

// Empty reports whether fx holds nothing to do.
func (fx *Effects) Empty() bool {
	return len(fx.Send) == 0 && fx.Joined == nil && fx.Challenge == nil &&
		len(fx.Completions) == 0 && len(fx.Invocations) == 0 &&
		len(fx.Interrupts) == 0 && len(fx.Events) == 0 &&
		len(fx.Revoked) == 0 && fx.Closed == nil
}

// Completion reports the outcome of one local request, identified by the
// token the driver passed when it made the request.
//
// Exactly one of these holds:
//   - Err != nil: the request failed locally (the session closed before a
//     reply: Err wraps ErrSessionClosed; or the request was invalid in the
//     current state: ErrNotEstablished, ErrNoSuchSubscription, ...).
//   - Reply is *wamp.Error: the router answered with ERROR.
//   - Reply is the success reply (*wamp.Result, *wamp.Subscribed,
//     *wamp.Unsubscribed, *wamp.Registered, *wamp.Unregistered,
//     *wamp.Published).
//   - Reply and Err are both nil: the request completed locally without a
//     round trip (unsubscribing one of several local handles).
type Completion struct {
	Token any
	// Kind is the request's message type (CALL, SUBSCRIBE, ...).
	Kind wamp.Type
	// Request is the request ID (0 for a request rejected before an ID
	// was allocated).
	Request wamp.ID
	// Progress marks a progressive RESULT: the call stays pending and more
	// completions with the same token follow.
	Progress bool
	Reply    wamp.Message
	Err      error
}

// Invocation asks the driver to run the handler of a local registration.
// The driver answers with Peer.Yield or Peer.InvocationError.
type Invocation struct {
	// Token is the token given to Peer.Register.
	Token any
	Msg   *wamp.Invocation
	// ReceiveProgress reports that the caller accepts progressive results.
	ReceiveProgress bool
}

// Interrupt asks the driver to cancel a running invocation (advanced
// profile call canceling). The invocation still needs an answer
// (conventionally an ERROR wamp.error.canceled).
type Interrupt struct {
	// Token is the registration token of the interrupted invocation.
	Token   any
	Request wamp.ID
	// Mode is the options.mode of the INTERRUPT ("kill", "killnowait"), or "".
	Mode string
	Msg  *wamp.Interrupt
}

// EventDelivery is one EVENT to deliver to every local handle of its
// subscription, in order.
type EventDelivery struct {
	// Handles are the tokens given to Peer.Subscribe for this subscription.
	// The slice is never modified after it is handed out.
	Handles []any
	Msg     *wamp.Event
}

// Revocation reports that the router removed a subscription (Kind
// SUBSCRIBE) or registration (Kind REGISTER) without being asked.
type Revocation struct {
	Kind wamp.Type
	ID   wamp.ID
	// Tokens are the local handles that were attached to it.
	Tokens []any
	Reason string
}

// CloseInfo describes how the session ended.
type CloseInfo struct {
	// Reason is the GOODBYE/ABORT reason URI: the router's when Remote, the
	// one sent otherwise. Empty when the connection was lost.
	Reason wamp.URI
	// Details are the details of the router's GOODBYE or ABORT.
	Details wamp.Dict
	// Remote reports that the router ended the session (its ABORT, or a
	// GOODBYE it sent first).
	Remote bool
	// Goodbye reports an orderly end: a GOODBYE exchange, whichever side
	// started it.
	Goodbye bool
	// Err is the local cause: a protocol violation by the router
	// (ErrProtocolViolation), a lost connection (ErrConnectionLost), or a
	// driver-requested abort. Nil for an orderly close.
	Err error
}
