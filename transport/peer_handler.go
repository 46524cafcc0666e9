package transport

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// The calls into the Acceptor and Handler, shared by every transport. All
// run on the connection's reader goroutine.

// accept asks the Acceptor for the Handler; a panic or a nil Handler closes
// the connection (WebSocket: 1011).
func (q *peerCore) accept() {
	defer q.recoverHandler("Accept")
	h := q.acceptor.Accept(q.self)
	// Messages sent before Accept returned (from inside it, or by whoever
	// it handed the peer to) wait for the Handler: the writer may need it
	// (refuse), and reads it under mu.
	q.mu.Lock()
	q.h, q.accepted = h, true
	start := len(q.queue) > 0 && q.state == stateOpen && q.startWriterLocked()
	q.mu.Unlock()
	if start {
		go q.writeLoop()
	}
	if h == nil {
		q.cfg.logger.Error("transport: Acceptor returned a nil Handler; closing connection",
			"transport", q.info.Transport, "peer", q.info.PeerAddr)
		q.abort(closeInternalError, "internal error", errors.New("transport: Acceptor returned a nil Handler"))
	}
}

// closed delivers Handler.Closed, recovering (and logging) a panic.
func (q *peerCore) closed(cause error) {
	defer func() {
		if r := recover(); r != nil {
			q.cfg.logger.Error("transport: panic in Handler.Closed", "transport", q.info.Transport,
				"peer", q.info.PeerAddr, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	q.h.Closed(cause)
}

// recoverHandler turns a panic in the Acceptor or Handler into a logged
// error and an abort, so one bad session cannot kill the process.
func (q *peerCore) recoverHandler(where string) {
	r := recover()
	if r == nil {
		return
	}
	q.cfg.logger.Error("transport: panic in handler; closing connection", "transport", q.info.Transport,
		"peer", q.info.PeerAddr, "in", where, "panic", r, "stack", string(debug.Stack()))
	q.abort(closeInternalError, "internal error", fmt.Errorf("%w in %s: %v", ErrHandlerPanic, where, r))
}
